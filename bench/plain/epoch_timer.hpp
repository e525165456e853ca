#pragma once
// Wall-clock seconds of each epoch of a fit (History records no times), for
// the bench/plain programs' JSON.
#include <chrono>
#include <vector>

#include "nabla/training/callbacks.hpp"

namespace nabla::bench {

class EpochTimer : public callbacks::Callback {
public:
    std::vector<double> seconds;
    void on_epoch_begin(int, const callbacks::Logs&) override { start_ = std::chrono::steady_clock::now(); }
    void on_epoch_end(int, const callbacks::Logs&) override {
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }

private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace nabla::bench
