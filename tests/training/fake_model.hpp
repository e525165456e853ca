#pragma once
// A ModelHandle whose save/save_weights write its weights as raw float32
// (atomically), for testing the checkpoint callbacks without a model file
// format; it records every call.
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "nabla/io/file.hpp"
#include "nabla/nabla.hpp"

namespace nabla::test {

class FakeModel : public callbacks::ModelHandle {
public:
    std::vector<float> w = {1, 2, 3};
    random::Generator rng{5};
    mutable std::vector<std::string> saved, saved_weights;
    std::vector<std::string> loaded;

    std::vector<Tensor> get_weights() const override { return {Tensor(w, Shape{static_cast<std::int64_t>(w.size())})}; }
    void set_weights(const std::vector<Tensor>& v) override { w = v.at(0).to_vector<float>(); }
    void save(const std::string& path, bool) const override {
        write(path);
        saved.push_back(path);
    }
    void save_weights(const std::string& path, bool) const override {
        write(path);
        saved_weights.push_back(path);
    }
    void load_weights(const std::string& path) override {
        const auto bytes = io::read_file(path);
        w.assign(bytes.size() / sizeof(float), 0.0f);
        std::memcpy(w.data(), bytes.data(), bytes.size());
        loaded.push_back(path);
    }
    RandomState random_state() const override { return {{"model", rng.state()}}; }
    void set_random_state(const RandomState& s) override { rng.set_state(s.at(0).second); }

private:
    void write(const std::string& path) const {
        io::atomic_write(path, std::span(reinterpret_cast<const std::uint8_t*>(w.data()), w.size() * sizeof(float)));
    }
};

}  // namespace nabla::test
