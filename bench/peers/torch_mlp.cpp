// The book's model in libtorch C++, trained exactly as nabla trains it:
// 784 -> Dense(512, relu) -> Dense(10, softmax), RMSprop with Keras's
// defaults (lr 1e-3, rho 0.9, eps 1e-7), batch 128, shuffled each epoch.
//   torch_mlp <data_dir> <epochs> <threads> [samples]
// (samples: train on the first N images only; the under-load row uses 15,000)
// prints one JSON object: epoch_seconds, test_accuracy, eval_images_per_s.
#include <torch/torch.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

static std::vector<unsigned char> read_gz(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path);
    std::vector<unsigned char> out;
    unsigned char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    gzclose(f);
    return out;
}

static torch::Tensor images(const std::string& path) {
    auto b = read_gz(path);
    const int64_t n = (b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7];
    auto t = torch::from_blob(b.data() + 16, {n, 784}, torch::kUInt8).clone();
    return t.to(torch::kFloat32).div_(255.0);
}

static torch::Tensor labels(const std::string& path) {
    auto b = read_gz(path);
    const int64_t n = (b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7];
    return torch::from_blob(b.data() + 8, {n}, torch::kUInt8).clone().to(torch::kInt64);
}

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: torch_mlp <data_dir> <epochs> <threads>\n";
        return 2;
    }
    const std::string dir = argv[1];
    const int epochs = std::stoi(argv[2]);
    torch::set_num_threads(std::stoi(argv[3]));
    torch::manual_seed(0);
    auto x = images(dir + "/train-images-idx3-ubyte.gz"), y = labels(dir + "/train-labels-idx1-ubyte.gz");
    if (argc > 4) {
        const int64_t keep = std::min<int64_t>(std::stoll(argv[4]), x.size(0));
        x = x.slice(0, 0, keep).clone();
        y = y.slice(0, 0, keep).clone();
    }
    auto xt = images(dir + "/t10k-images-idx3-ubyte.gz"), yt = labels(dir + "/t10k-labels-idx1-ubyte.gz");
    torch::nn::Sequential model(torch::nn::Linear(784, 512), torch::nn::ReLU(), torch::nn::Linear(512, 10));
    torch::optim::RMSprop opt(model->parameters(), torch::optim::RMSpropOptions(1e-3).alpha(0.9).eps(1e-7));
    const int64_t n = x.size(0), batch = 128;
    std::vector<double> seconds;
    for (int e = 0; e < epochs; ++e) {
        auto t0 = std::chrono::steady_clock::now();
        auto perm = torch::randperm(n);
        for (int64_t i = 0; i < n; i += batch) {
            auto idx = perm.slice(0, i, std::min(i + batch, n));
            auto logits = model->forward(x.index_select(0, idx));
            auto loss = torch::nn::functional::cross_entropy(logits, y.index_select(0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    torch::NoGradGuard no_grad;
    auto t0 = std::chrono::steady_clock::now();
    auto pred = model->forward(xt).argmax(1);
    const double eval_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double acc = pred.eq(yt).to(torch::kFloat64).mean().item<double>();
    std::printf("{\"epoch_seconds\": [");
    for (size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.4f", i ? ", " : "", seconds[i]);
    std::printf("], \"test_accuracy\": %.4f, \"eval_images_per_s\": %.0f}\n", acc, xt.size(0) / eval_s);
}
