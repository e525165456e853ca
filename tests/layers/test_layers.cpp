#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "nabla/autodiff/gradient_tape.hpp"
#include "nabla/layers.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;
using ::testing::HasSubstr;

namespace {

// Runs f, expects an exception of type E whose message contains every piece.
template <typename E, typename F>
void expect_error(F&& f, std::initializer_list<const char*> pieces) {
    try {
        f();
        ADD_FAILURE() << "no exception thrown";
    } catch (const E& e) {
        for (const char* p : pieces) EXPECT_THAT(e.what(), HasSubstr(p));
    }
}

}  // namespace

TEST(Layers, AutomaticNamesFollowKeras) {
    layers::clear_session();
    layers::Dense a(4), b(4);
    layers::Dropout d(0.5);
    layers::Dense c(4, "relu", {.name = "mine"});
    EXPECT_EQ(a.name(), "dense");
    EXPECT_EQ(b.name(), "dense_1");
    EXPECT_EQ(d.name(), "dropout");
    EXPECT_EQ(c.name(), "mine");
    layers::clear_session();
    EXPECT_EQ(layers::Dense(2).name(), "dense");
}

TEST(Layers, ShapeStringPrintsNoneForUnknown) {
    EXPECT_EQ(layers::shape_string({-1, 512}), "(None, 512)");
    EXPECT_EQ(layers::shape_string({7}), "(7,)");
}

TEST(Dense, BuildsOnFirstCallWithKerasShapes) {
    layers::Dense dense(512, "relu");
    EXPECT_FALSE(dense.built());
    EXPECT_THROW(dense.count_params(), ValueError);
    Tensor x = random::uniform({3, 784}, 0, 1);
    Tensor y = dense(x);
    EXPECT_TRUE(dense.built());
    EXPECT_EQ(y.shape(), (Shape{3, 512}));
    EXPECT_EQ(dense.kernel().shape(), (Shape{784, 512}));
    EXPECT_EQ(dense.bias().shape(), (Shape{512}));
    EXPECT_EQ(dense.count_params(), 784 * 512 + 512);
    EXPECT_EQ(dense.input_shape(), (Shape{-1, 784}));
    EXPECT_EQ(dense.output_shape(), (Shape{-1, 512}));
    EXPECT_EQ(dense.trainable_weights().size(), 2u);
    EXPECT_EQ(dense.kernel().name(), dense.name() + "/kernel");
    EXPECT_GE(min(y).item<double>(), 0.0);  // relu
}

TEST(Dense, ComputesActivationOfAffineMap) {
    layers::Dense dense(2, Activation::Sigmoid, {.kernel_initializer = "ones", .bias_initializer = initializers::constant(0.5)});
    Tensor x{{1., 2., 3.}, {-1., 0., 0.}};
    Tensor y = dense(x);
    const double e0 = 1 / (1 + std::exp(-6.5)), e1 = 1 / (1 + std::exp(0.5));
    EXPECT_NEAR(y.at({0, 0}), e0, 1e-6);
    EXPECT_NEAR(y.at({0, 1}), e0, 1e-6);
    EXPECT_NEAR(y.at({1, 0}), e1, 1e-6);
}

TEST(Dense, NoBiasAndFloat64) {
    layers::Dense dense(3, "linear", {.use_bias = false, .dtype = float64});
    Tensor y = dense(Tensor{{1.0, 2.0}});
    EXPECT_EQ(y.dtype(), float64);
    EXPECT_EQ(dense.weights().size(), 1u);
    EXPECT_EQ(dense.count_params(), 6);
    expect_error<ValueError>([&] { (void)dense.bias(); }, {"use_bias = false"});
}

TEST(Dense, RejectsImagesWithActionableMessage) {
    layers::Dense dense(512, "relu", {.name = "hidden"});
    expect_error<ShapeError>([&] { dense(zeros({128, 28, 28})); },
                             {"Dense 'hidden'", "(batch, features)", "(128, 28, 28)", "(128, 784)", "Flatten"});
    dense(zeros({2, 784}));
    expect_error<ShapeError>([&] { dense(zeros({128, 100})); },
                             {"Dense 'hidden'", "(batch, 784)", "(128, 100)"});
    expect_error<ShapeError>([&] { dense(zeros({784})); }, {"batch axis"});
}

TEST(Dense, RejectsIntegerImagesWithHint) {
    layers::Dense dense(4);
    expect_error<DTypeError>([&] { dense(zeros({2, 3}, uint8)); }, {"uint8", "astype(float32) / 255"});
}

TEST(Dense, BadArguments) {
    EXPECT_THROW(layers::Dense(0), ValueError);
    expect_error<ValueError>([] { layers::Dense(3, "relu6"); }, {"relu6"});
    expect_error<ValueError>([] { layers::Dense(3, "relu", {.kernel_initializer = "glorot"}); },
                             {"glorot", "glorot_uniform"});
    EXPECT_THROW(layers::Dense(3, "relu", {.dtype = int32}), DTypeError);
    EXPECT_THROW(layers::Dense(3, "relu", {.input_shape = {0}}), ValueError);
}

TEST(Dense, SameSeedSameWeights) {
    layers::Dense a(5), b(5), c(5);
    a.set_seed(42);
    b.set_seed(42);
    c.set_seed(43);
    a.build({-1, 7});
    b.build({-1, 7});
    c.build({-1, 7});
    EXPECT_EQ(a.kernel().value().to_vector<float>(), b.kernel().value().to_vector<float>());
    EXPECT_NE(a.kernel().value().to_vector<float>(), c.kernel().value().to_vector<float>());
}

// A large float kernel sits 16 bytes off a 32-byte boundary, where the
// matrix library multiplies by it fastest (docs/PERFORMANCE.md); it is an
// ordinary contiguous tensor, and set_weights keeps it there.
TEST(Dense, LargeKernelIsPlacedForTheMatrixProduct) {
    const auto address = [](const Variable& v) { return reinterpret_cast<std::uintptr_t>(v.value().raw_data()); };
    layers::Dense big(512), small(5);
    big.build({-1, 784});
    small.build({-1, 7});
    EXPECT_EQ(address(big.kernel()) % 32, 16u);
    EXPECT_TRUE(big.kernel().value().is_contiguous());
    EXPECT_EQ(big.kernel().shape(), (Shape{784, 512}));
    EXPECT_EQ(address(small.kernel()) % 64, 0u);
    const Tensor ones = nabla::ones({784, 512});
    big.set_weights({ones, big.bias().value()});
    EXPECT_EQ(address(big.kernel()) % 32, 16u);
    EXPECT_EQ(big.kernel().value().to_vector<float>(), ones.to_vector<float>());
}

TEST(Dense, GradientsReachKernelAndBias) {
    layers::Dense dense(3, "tanh");
    Tensor x = random::normal({4, 5});
    GradientTape tape;
    Tensor loss = sum(dense(x));
    auto grads = tape.gradient(loss, {dense.kernel(), dense.bias()});
    EXPECT_EQ(grads[0].shape(), (Shape{5, 3}));
    EXPECT_EQ(grads[1].shape(), (Shape{3}));
    EXPECT_GT(sum(abs(grads[0])).item<double>(), 0.0);
}

TEST(Dense, SetWeightsChecksShapes) {
    layers::Dense dense(2);
    dense.build({-1, 3});
    dense.set_weights({ones({3, 2}), full({2}, 0.25)});
    Tensor y = dense(ones({1, 3}));
    EXPECT_FLOAT_EQ(y.at<float>({0, 1}), 3.25f);
    auto w = dense.get_weights();
    w[0].fill(7);  // a copy: the layer is unchanged
    EXPECT_FLOAT_EQ(dense.kernel().value().at<float>({0, 0}), 1.0f);
    expect_error<ShapeError>([&] { dense.set_weights({ones({2, 2}), ones({2})}); }, {"(3, 2)", "(2, 2)"});
    EXPECT_THROW(dense.set_weights({ones({3, 2})}), ValueError);
}

TEST(Dense, FrozenLayerHasNoTrainableWeights) {
    layers::Dense dense(2);
    dense.build({-1, 3});
    dense.set_trainable(false);
    EXPECT_TRUE(dense.trainable_weights().empty());
    EXPECT_EQ(dense.non_trainable_weights().size(), 2u);
}

TEST(Initializers, KerasScales) {
    random::Generator gen(7);
    Tensor k = initializers::glorot_uniform()({300, 200}, float32, gen);
    const double limit = std::sqrt(6.0 / 500);
    EXPECT_LE(max(abs(k)).item<double>(), limit);
    EXPECT_GT(max(abs(k)).item<double>(), 0.95 * limit);
    // uniform(-l, l) has variance l²/3
    EXPECT_NEAR(mean(square(k)).item<double>(), limit * limit / 3, 0.05 * limit * limit / 3);
    Tensor h = initializers::he_normal()({400, 300}, float32, gen);
    EXPECT_NEAR(mean(square(h)).item<double>(), 2.0 / 400, 0.05 * 2.0 / 400);  // truncation corrected
    const double trunc = 2 * std::sqrt(2.0 / 400) / 0.87962566103423978;
    EXPECT_LE(max(abs(h)).item<double>(), trunc + 1e-6);
    EXPECT_EQ(initializers::Initializer("zeros")({2, 2}, float64, gen).to_vector<double>(),
              std::vector<double>(4, 0.0));
    EXPECT_THROW(initializers::zeros()({2}, int32, gen), DTypeError);
    EXPECT_THROW(initializers::random_normal(0, -1), ValueError);
}

TEST(Initializers, Fans) {
    auto f = initializers::compute_fans({3, 3, 16, 32});
    EXPECT_EQ(f.fan_in, 144);
    EXPECT_EQ(f.fan_out, 288);
    EXPECT_EQ(initializers::compute_fans({5}).fan_in, 5);
}

TEST(Dropout, IdentityAtInferenceScaledMaskInTraining) {
    layers::Dropout drop(0.25, {.seed = 3});
    Tensor x = ones({200, 100});
    Tensor inference = drop(x);
    EXPECT_EQ(inference.id(), x.id());  // passes the tensor through
    Tensor y = drop(x, /*training=*/true);
    const auto v = y.to_vector<float>();
    std::int64_t zeros_seen = 0;
    for (float e : v) {
        if (e == 0.0f) ++zeros_seen;
        else EXPECT_FLOAT_EQ(e, 1.0f / 0.75f);
    }
    EXPECT_NEAR(double(zeros_seen) / v.size(), 0.25, 0.01);
    EXPECT_NEAR(mean(y).item<double>(), 1.0, 0.02);
    // a new mask every call
    EXPECT_NE(drop(x, true).to_vector<float>(), v);
}

TEST(Dropout, SameSeedSameMasksAndGradientUsesMask) {
    layers::Dropout a(0.5, {.seed = 11}), b(0.5, {.seed = 11});
    Tensor x = random::normal({8, 8});
    Tensor w = x.copy();
    GradientTape tape;
    tape.watch(w);
    Tensor ya = a(w, true);
    EXPECT_EQ(ya.to_vector<float>(), b(x, true).to_vector<float>());
    Tensor g = tape.gradient(sum(ya), w);
    const auto gv = g.to_vector<float>(), yv = ya.to_vector<float>();
    for (std::size_t i = 0; i < gv.size(); ++i) EXPECT_FLOAT_EQ(gv[i], yv[i] == 0.0f ? 0.0f : 2.0f);
}

TEST(Dropout, RateIsChecked) {
    EXPECT_THROW(layers::Dropout(1.0), ValueError);
    EXPECT_THROW(layers::Dropout(-0.1), ValueError);
    layers::Dropout zero(0.0);
    Tensor x = ones({2, 2});
    EXPECT_EQ(zero(x, true).id(), x.id());
}

TEST(Flatten, FlattensAllButBatch) {
    layers::Flatten flatten;
    Tensor x = arange(0.0, 2 * 3 * 4, 1.0).reshape({2, 3, 4});
    Tensor y = flatten(x);
    EXPECT_EQ(y.shape(), (Shape{2, 12}));
    EXPECT_EQ(y.at<float>({1, 5}), 17.0f);
    EXPECT_EQ(flatten.compute_output_shape({-1, 28, 28}), (Shape{-1, 784}));
    EXPECT_THROW(flatten.compute_output_shape({}), ShapeError);
}

TEST(ActivationLayer, ByNameAndEnum) {
    layers::Activation relu("relu"), soft(Activation::Softmax);
    Tensor x{{-1., 2.}};
    EXPECT_EQ(relu(x).to_vector<float>(), (std::vector<float>{0, 2}));
    EXPECT_NEAR(sum(soft(x)).item<double>(), 1.0, 1e-6);
    EXPECT_EQ(relu.class_name(), "Activation");
}

TEST(InputLayer, ChecksSampleShape) {
    auto in = layers::Input({784});
    EXPECT_EQ(in.compute_output_shape({-1, 784}), (Shape{-1, 784}));
    expect_error<ShapeError>([&] { in(zeros({2, 28, 28})); }, {"(None, 784)", "(2, 28, 28)"});
    EXPECT_THROW(layers::Input({}), ValueError);
}
