// nabla's side of bench/latency.py: per-call latency of the book's model.
//   nabla_latency write DIR          makes the model (seed 1) and writes
//                                    DIR/model.keras, DIR/model.onnx (its
//                                    export) and DIR/weights.npz for the peers
//   nabla_latency run DIR ROWS CALLS loads DIR/model.keras and times CALLS
//                                    predict_into calls of ROWS real-looking
//                                    rows after 200 warm-up calls; prints one
//                                    JSON object {"us": [per-call µs ...]}
// One thread (set_num_threads(1)), as the peers.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "nabla/nabla.hpp"

using namespace nabla;

namespace {

int write(const std::string& dir) {
    models::Sequential m({layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    m.set_seed(1);
    m.save(dir + "/model.keras");
    m.export_model(dir + "/model.onnx", "onnx");
    const auto w = m.get_weights();
    io::save_npz(dir + "/weights.npz", {{"w0", w[0]}, {"b0", w[1]}, {"w1", w[2]}, {"b1", w[3]}});
    return 0;
}

int run(const std::string& dir, std::int64_t rows, int calls) {
    set_num_threads(1);
    auto m = models::load_model(dir + "/model.keras", {.compile = false});
    random::Generator gen(7);
    const Tensor x = random::uniform({rows, 784}, 0.0, 1.0, gen);
    Tensor out = Tensor::uninitialized({rows, 10});
    for (int i = 0; i < 200; ++i) m.predict_into(x, out);
    std::string json = "{\"us\": [";
    for (int i = 0; i < calls; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        m.predict_into(x, out);
        const auto t1 = std::chrono::steady_clock::now();
        if (i) json += ',';
        json += std::to_string(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::cout << json << "]}\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "write" && argc == 3) return write(argv[2]);
        if (mode == "run" && argc == 5) return run(argv[2], std::atoll(argv[3]), std::atoi(argv[4]));
        std::cerr << "usage: nabla_latency write DIR | run DIR ROWS CALLS\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "nabla_latency: " << e.what() << "\n";
        return 1;
    }
}
