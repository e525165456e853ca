#include "nabla/core/graph.hpp"

#include <algorithm>

namespace nabla::graph {

namespace detail {
thread_local int active_recorders = 0;
}

namespace {
struct Entry {
    Recorder* recorder;
    bool active;
};
thread_local std::vector<Entry> stack;
thread_local const std::vector<bool>* needed_mask = nullptr;

void recount() {
    detail::active_recorders = static_cast<int>(std::count_if(stack.begin(), stack.end(), [](const Entry& e) { return e.active; }));
}
}  // namespace

void record(const char* op, const std::vector<Tensor>& inputs, const Tensor& output, const BackwardFn& backward) {
    // Copy: a recorder's record() may not change the stack, but be safe.
    for (std::size_t i = 0; i < stack.size(); ++i)
        if (stack[i].active) stack[i].recorder->record(op, inputs, output, backward);
}

bool needs_gradient(std::size_t input) noexcept {
    return needed_mask == nullptr || input >= needed_mask->size() || (*needed_mask)[input];
}

NeededGradients::NeededGradients(const std::vector<bool>& needed) noexcept : previous_(needed_mask) {
    needed_mask = &needed;
}

NeededGradients::~NeededGradients() { needed_mask = previous_; }

void push_recorder(Recorder* r) {
    stack.push_back({r, true});
    recount();
}

void pop_recorder(Recorder* r) {
    auto it = std::find_if(stack.begin(), stack.end(), [r](const Entry& e) { return e.recorder == r; });
    if (it != stack.end()) stack.erase(it);
    recount();
}

PauseRecorder::PauseRecorder(Recorder* r) : r_(r), was_active_(false) {
    for (auto& e : stack)
        if (e.recorder == r_) {
            was_active_ = e.active;
            e.active = false;
        }
    recount();
}

PauseRecorder::~PauseRecorder() {
    for (auto& e : stack)
        if (e.recorder == r_) e.active = was_active_;
    recount();
}

}  // namespace nabla::graph
