// Values and gradients against PyTorch autograd, in float32.
//
// Each case runs here under a GradientTape (output and d sum(out * w) / d
// input for a random cotangent w), its inputs and w go to .npy files, and
// tests/autodiff/torch_oracle.py evaluates the same expression with torch
// 1.13 autograd. Everything must agree to 1e-5 relative
// (|a - b| / max(1, |a|, |b|), the measure check_gradients uses).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>

#include "nabla/autodiff.hpp"
#include "nabla/core/random.hpp"
#include "nabla/io/npy.hpp"
#include "nabla/ops/conv.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/linalg.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"
#include "support/requirements.hpp"

using namespace nabla;
namespace fs = std::filesystem;

namespace {

constexpr double kTolerance = 1e-5;

struct Case {
    std::string name;
    std::vector<Tensor> inputs;
    std::function<Tensor(const std::vector<Tensor>&)> f;
};

random::Generator& gen() {
    static random::Generator g(20240601);
    return g;
}
Tensor rn(const Shape& s) { return random::normal(s, 0.0, 1.0, gen(), float32); }
Tensor pos(const Shape& s) { return random::uniform(s, 0.5, 2.0, gen(), float32); }
Tensor prob(const Shape& s) { return random::uniform(s, 0.05, 1.0, gen(), float32); }
Tensor ids(const Shape& s, std::int64_t classes) { return random::randint(0, classes, s, gen()); }
Tensor mask(const Shape& s) { return random::uniform(s, 0.0, 1.0, gen(), float32) > 0.5; }

using In = const std::vector<Tensor>&;

std::vector<Case> elementwise_cases() {
    return {
        {"add_same", {rn({3, 4}), rn({3, 4})}, [](In x) { return x[0] + x[1]; }},
        {"add_row", {rn({3, 4}), rn({4})}, [](In x) { return x[0] + x[1]; }},
        {"add_outer", {rn({3, 1}), rn({1, 5})}, [](In x) { return x[0] + x[1]; }},
        {"add_scalar", {rn({2, 3}), rn({})}, [](In x) { return x[0] + x[1]; }},
        {"subtract_bcast", {rn({2, 1, 4}), rn({3, 1})}, [](In x) { return x[0] - x[1]; }},
        {"multiply_bcast", {rn({2, 3, 4}), rn({3, 4})}, [](In x) { return x[0] * x[1]; }},
        {"multiply_self", {rn({5})}, [](In x) { return x[0] * x[0]; }},
        {"divide_bcast", {rn({4, 3}), pos({4, 1})}, [](In x) { return x[0] / x[1]; }},
        {"maximum_bcast", {rn({3, 4}), rn({4})}, [](In x) { return maximum(x[0], x[1]); }},
        {"minimum_bcast", {rn({3, 4}), rn({3, 1})}, [](In x) { return minimum(x[0], x[1]); }},
        {"power_bcast", {pos({3, 4}), rn({4})}, [](In x) { return power(x[0], x[1]); }},
        {"where_bcast", {mask({3, 1}), rn({3, 4}), rn({4})}, [](In x) { return where(x[0], x[1], x[2]); }},
        {"negative", {rn({6})}, [](In x) { return -x[0]; }},
        {"abs", {rn({2, 5})}, [](In x) { return abs(x[0]); }},
        {"exp", {rn({2, 5})}, [](In x) { return exp(x[0]); }},
        {"log", {pos({2, 5})}, [](In x) { return log(x[0]); }},
        {"sqrt", {pos({2, 5})}, [](In x) { return sqrt(x[0]); }},
        {"square", {rn({2, 5})}, [](In x) { return square(x[0]); }},
        {"tanh", {rn({2, 5})}, [](In x) { return tanh(x[0]); }},
        {"sigmoid", {rn({2, 5})}, [](In x) { return sigmoid(x[0]); }},
        {"relu", {rn({2, 5})}, [](In x) { return relu(x[0]); }},
        {"clip", {rn({3, 5})}, [](In x) { return clip(x[0], -0.5, 0.5); }},
        {"chain", {rn({3, 4}), rn({4})},
         [](In x) { return exp(tanh(x[0] * x[1]) + sigmoid(x[0] - x[1])) / (1 + x[1] * x[1]); }},
    };
}

std::vector<Case> reduction_and_view_cases() {
    return {
        {"sum_all", {rn({3, 4})}, [](In x) { return sum(x[0]); }},
        {"sum_axis0", {rn({3, 4})}, [](In x) { return sum(x[0], 0); }},
        {"sum_axes02_keep", {rn({2, 3, 4})}, [](In x) { return sum(x[0], {0, 2}, true); }},
        {"mean_last_keep", {rn({2, 3, 4})}, [](In x) { return mean(x[0], -1, true); }},
        {"mean_all", {rn({2, 3, 4})}, [](In x) { return mean(x[0]); }},
        {"max_axis1", {rn({2, 3, 4})}, [](In x) { return max(x[0], 1); }},
        {"min_all", {rn({3, 4})}, [](In x) { return min(x[0]); }},
        {"max_axes01_keep", {rn({2, 3, 4})}, [](In x) { return max(x[0], {0, 1}, true); }},
        {"reshape", {rn({2, 3, 4})}, [](In x) { return x[0].reshape({4, 6}) * arange(0.0, 24.0).reshape({4, 6}); }},
        {"transpose", {rn({2, 3, 4})},
         [](In x) { return x[0].transpose({2, 0, 1}) * arange(0.0, 24.0).reshape({4, 2, 3}); }},
        {"slice_step", {rn({4, 5})}, [](In x) { return x[0](Slice(1, None), Slice(None, None, 2)) * 3; }},
        {"slice_negative", {rn({4, 5})}, [](In x) { return x[0](Slice(None, None, -1), Slice(1, -1)) * 2; }},
        {"index_int", {rn({4, 3})}, [](In x) { return x[0][1] * x[0][2]; }},
        {"expand_squeeze", {rn({3, 4})}, [](In x) { return x[0].expand_dims(1).squeeze(1) * x[0]; }},
    };
}

std::vector<Case> linalg_cases() {
    return {
        {"dot_1d_1d", {rn({5}), rn({5})}, [](In x) { return dot(x[0], x[1]); }},
        {"dot_2d_2d", {rn({3, 5}), rn({5, 4})}, [](In x) { return dot(x[0], x[1]); }},
        {"dot_2d_1d", {rn({3, 5}), rn({5})}, [](In x) { return dot(x[0], x[1]); }},
        {"dot_1d_2d", {rn({5}), rn({5, 4})}, [](In x) { return dot(x[0], x[1]); }},
        {"dot_3d_2d", {rn({2, 3, 5}), rn({5, 4})}, [](In x) { return dot(x[0], x[1]); }},
        {"matmul_batch_bcast", {rn({2, 1, 3, 4}), rn({5, 4, 2})}, [](In x) { return matmul(x[0], x[1]); }},
        {"matmul_1d_3d", {rn({4}), rn({2, 4, 3})}, [](In x) { return matmul(x[0], x[1]); }},
    };
}

Case dense_case(const std::string& name, Activation a) {
    return {name, {rn({6, 5}), rn({5, 4}), rn({4})}, [a](In x) { return dense(x[0], x[1], x[2], a); }};
}

std::vector<Case> nn_cases() {
    return {
        {"softmax_last", {rn({3, 5})}, [](In x) { return softmax(x[0]); }},
        {"softmax_axis0", {rn({3, 5})}, [](In x) { return softmax(x[0], 0); }},
        {"log_softmax_axis1", {rn({2, 3, 4})}, [](In x) { return log_softmax(x[0], 1); }},
        {"cce_probs", {prob({4, 5}), prob({4, 5})}, [](In x) { return categorical_crossentropy(x[0], x[1]); }},
        {"cce_logits", {prob({4, 5}), rn({4, 5})},
         [](In x) { return categorical_crossentropy(x[0], x[1], true); }},
        {"sparse_probs", {ids({4}, 5), prob({4, 5})},
         [](In x) { return sparse_categorical_crossentropy(x[0], x[1]); }},
        {"sparse_logits", {ids({6}, 5), rn({6, 5})},
         [](In x) { return sparse_categorical_crossentropy(x[0], x[1], true); }},
        {"bce_probs", {prob({4, 3}), prob({4, 3})}, [](In x) { return binary_crossentropy(x[0], x[1]); }},
        {"bce_logits", {prob({4, 3}), rn({4, 3})}, [](In x) { return binary_crossentropy(x[0], x[1], true); }},
        {"bce_logits_formula", {prob({4, 3}), rn({4, 3})},
         [](In x) { return binary_crossentropy(x[0], x[1], true); }},
        {"mse", {rn({4, 3}), rn({4, 3})}, [](In x) { return mean_squared_error(x[0], x[1]); }},
        dense_case("dense_linear", Activation::Linear),
        dense_case("dense_relu", Activation::ReLU),
        dense_case("dense_sigmoid", Activation::Sigmoid),
        dense_case("dense_tanh", Activation::Tanh),
        dense_case("dense_softmax", Activation::Softmax),
        {"dense_nobias_3d", {rn({2, 3, 5}), rn({5, 4})},
         [](In x) { return dense(x[0], x[1], Tensor(), Activation::ReLU); }},
        {"mlp_loss", {rn({8, 6}), rn({6, 5}), rn({5}), rn({5, 3}), rn({3}), ids({8}, 3)},
         [](In x) {
             Tensor h = dense(x[0], x[1], x[2], Activation::ReLU);
             return mean(sparse_categorical_crossentropy(x[5], dense(h, x[3], x[4]), true));
         }},
    };
}

// Convolution and pooling (NHWC here; the script transposes to torch's NCHW
// and pads explicitly, TensorFlow's way, for "same").
std::vector<Case> conv_cases() {
    const Padding same = Padding::Same;
    return {
        {"conv_valid_bias", {rn({2, 7, 6, 3}), rn({3, 3, 3, 4}), rn({4})}, [](In x) { return conv2d(x[0], x[1], x[2]); }},
        {"conv_same_strided", {rn({2, 7, 6, 3}), rn({3, 2, 3, 4}), rn({4})},
         [same](In x) { return conv2d(x[0], x[1], x[2], {.strides = {2, 3}, .padding = same}); }},
        {"conv_dilated", {rn({1, 9, 8, 2}), rn({3, 3, 2, 3})},
         [](In x) { return conv2d(x[0], x[1], Conv2DParams{.dilation = {2, 3}}); }},
        {"conv_same_dilated", {rn({2, 6, 7, 2}), rn({2, 3, 2, 3}), rn({3})},
         [same](In x) { return conv2d(x[0], x[1], x[2], {.padding = same, .dilation = 2}); }},
        {"conv_big", {rn({4, 12, 12, 16}), rn({3, 3, 16, 32}), rn({32})},
         [](In x) { return relu(conv2d(x[0], x[1], x[2])); }},
        {"maxpool_2", {rn({2, 6, 5, 3})}, [](In x) { return max_pool2d(x[0]); }},
        {"maxpool_same_overlap", {rn({2, 7, 6, 3})},
         [same](In x) { return max_pool2d(x[0], {.pool_size = 3, .strides = {2, 1}, .padding = same}); }},
        {"avgpool_2", {rn({2, 6, 5, 3})}, [](In x) { return avg_pool2d(x[0]); }},
        {"avgpool_same_overlap", {rn({2, 7, 6, 3})},
         [same](In x) { return avg_pool2d(x[0], {.pool_size = {3, 2}, .strides = {2, 1}, .padding = same}); }},
        {"bn_train", {rn({4, 3, 3, 5}), rn({5}), rn({5})},
         [](In x) { return batch_norm_training(x[0], x[1], x[2], 1e-3).y; }},
        {"bn_infer", {rn({4, 3, 3, 5}), rn({5}), pos({5}), rn({5}), rn({5})},
         [](In x) { return batch_norm(x[0], x[1], x[2], x[3], x[4], 1e-3); }},
    };
}

std::vector<Case> all_cases() {
    std::vector<Case> all;
    for (auto&& group : {elementwise_cases(), reduction_and_view_cases(), linalg_cases(), nn_cases(), conv_cases()})
        all.insert(all.end(), group.begin(), group.end());
    return all;
}

struct Computed {
    Tensor out;
    std::vector<Tensor> grads;  // one per input; undefined for integer/bool inputs
};

Computed compute(const Case& c, const fs::path& dir) {
    GradientTape tape;
    std::vector<Tensor> sources;
    for (const auto& in : c.inputs)
        if (is_floating(in.dtype())) {
            tape.watch(in);
            sources.push_back(in);
        }
    Computed r;
    r.out = c.f(c.inputs);
    const Tensor w = random::normal(r.out.shape(), 0.0, 1.0, gen(), float32);
    const std::vector<Tensor> g = tape.gradient(sum(r.out * w), sources);
    for (std::size_t k = 0, s = 0; k < c.inputs.size(); ++k)
        r.grads.push_back(is_floating(c.inputs[k].dtype()) ? g[s++] : Tensor());
    fs::create_directories(dir / c.name);
    for (std::size_t k = 0; k < c.inputs.size(); ++k)
        io::save_npy(dir / c.name / ("in" + std::to_string(k) + ".npy"), c.inputs[k]);
    io::save_npy(dir / c.name / "w.npy", w);
    return r;
}

// "" when within tolerance, else where the worst element is.
std::string compare(const Tensor& ours, const Tensor& torch_value) {
    if (ours.shape() != torch_value.shape())
        return "shape " + to_string(ours.shape()) + " != torch's " + to_string(torch_value.shape());
    const std::vector<double> a = ours.to_vector<double>(), b = torch_value.to_vector<double>();
    double worst = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double err = std::abs(a[i] - b[i]) / std::max({1.0, std::abs(a[i]), std::abs(b[i])});
        if (!(err <= worst)) {
            worst = err;
            at = i;
        }
    }
    if (worst <= kTolerance) return "";
    std::ostringstream os;
    os << "relative error " << worst << " at element " << at << ": nabla " << a[at] << ", torch " << b[at];
    return os.str();
}

std::pair<int, std::string> run_command(const std::string& cmd) {
    std::string output;
    FILE* pipe = popen((cmd + " 2>&1").c_str(), "r");
    if (!pipe) return {-1, "popen failed"};
    char buf[4096];
    while (std::fgets(buf, sizeof buf, pipe)) output += buf;
    return {pclose(pipe), output};
}

}  // namespace

TEST(TorchOracle, ValuesAndGradientsMatchPyTorch) {
    const std::string python = NABLA_PYTHON;
    if (run_command(python + " -c 'import torch, numpy'").first != 0)
        NABLA_SKIP_OR_FAIL("PyTorch/NumPy not importable by " << python);
    const fs::path dir = fs::temp_directory_path() / ("nabla_torch_oracle_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::vector<Case> cases = all_cases();
    std::vector<Computed> ours;
    {
        std::ofstream manifest(dir / "cases.txt");
        for (const auto& c : cases) {
            ours.push_back(compute(c, dir));
            manifest << c.name << ' ' << c.inputs.size() << '\n';
        }
    }
    const auto [rc, output] =
        run_command(python + " " NABLA_SOURCE_DIR "/tests/autodiff/torch_oracle.py '" + dir.string() + "'");
    ASSERT_EQ(rc, 0) << output;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const fs::path cdir = dir / cases[i].name;
        EXPECT_EQ(compare(ours[i].out, io::load_npy(cdir / "out.npy")), "") << cases[i].name << " value";
        for (std::size_t k = 0; k < ours[i].grads.size(); ++k) {
            if (!ours[i].grads[k].defined()) continue;
            const Tensor ref = io::load_npy(cdir / ("grad" + std::to_string(k) + ".npy"));
            EXPECT_EQ(compare(ours[i].grads[k], ref), "") << cases[i].name << " gradient of input " << k;
        }
    }
    if (HasFailure()) ADD_FAILURE() << "inputs and torch's results are kept in " << dir;
    else fs::remove_all(dir);
}
