// libtorch C++'s side of bench/latency.py: per-call latency of the book's
// model with nabla's weights, on one thread.
//   torch_latency WEIGHTS INPUT ROWS CALLS
// WEIGHTS: the raw little-endian float32 file bench/latency.py writes from
// nabla's weights.npz: w0 (784×512, Keras's (in, units) layout), b0 (512),
// w1 (512×10), b1 (10), one after another. INPUT: at least ROWS×784 raw
// float32 inputs (the script's uniform rows). Warms up with 200 calls, then
// times CALLS forward passes of the first ROWS rows under
// c10::InferenceMode; prints one JSON object {"us": [per-call µs ...],
// "y0": [the first row's 10 outputs]} (the script checks y0 against NumPy).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr int64_t kIn = 784, kHidden = 512, kOut = 10;

// The whole file; `exact`: it must hold exactly `floats`, else at least.
std::vector<float> read_floats(const std::string& path, int64_t floats, bool exact) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) throw std::runtime_error("cannot open " + path);
    const std::streamsize bytes = f.tellg();
    if (exact ? bytes != floats * 4 : bytes < floats * 4)
        throw std::runtime_error(path + " has " + std::to_string(bytes) + " bytes; expected " +
                                 (exact ? "" : "at least ") + std::to_string(floats * 4));
    std::vector<float> v(static_cast<size_t>(bytes / 4));
    f.seekg(0);
    f.read(reinterpret_cast<char*>(v.data()), bytes);
    return v;
}

// Keras's kernel is (in, units); torch::nn::Linear's weight is (units, in).
void load(torch::nn::Linear& layer, const float*& p, int64_t in, int64_t units) {
    torch::NoGradGuard no_grad;
    layer->weight.copy_(torch::from_blob(const_cast<float*>(p), {in, units}).t());
    p += in * units;
    layer->bias.copy_(torch::from_blob(const_cast<float*>(p), {units}));
    p += units;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: torch_latency WEIGHTS INPUT ROWS CALLS\n";
        return 2;
    }
    try {
        torch::set_num_threads(1);
        const std::vector<float> w = read_floats(argv[1], kIn * kHidden + kHidden + kHidden * kOut + kOut, true);
        const int64_t rows = std::stoll(argv[3]);
        const int calls = std::stoi(argv[4]);
        std::vector<float> input = read_floats(argv[2], rows * kIn, false);
        torch::nn::Linear l0(kIn, kHidden), l1(kHidden, kOut);
        const float* p = w.data();
        load(l0, p, kIn, kHidden);
        load(l1, p, kHidden, kOut);
        torch::nn::Sequential model(l0, torch::nn::ReLU(), l1, torch::nn::Softmax(-1));
        model->eval();
        const torch::Tensor x = torch::from_blob(input.data(), {rows, kIn});
        c10::InferenceMode guard;
        for (int i = 0; i < 200; ++i) model->forward(x);
        std::string json = "{\"us\": [";
        for (int i = 0; i < calls; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            const torch::Tensor y = model->forward(x);
            const auto t1 = std::chrono::steady_clock::now();
            if (i) json += ',';
            json += std::to_string(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
        const torch::Tensor y0 = model->forward(x)[0].contiguous();
        json += "], \"y0\": [";
        for (int64_t j = 0; j < kOut; ++j) {
            if (j) json += ',';
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.9g", double(y0[j].item<float>()));
            json += buf;
        }
        std::cout << json << "]}\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "torch_latency: " << e.what() << "\n";
        return 1;
    }
}
