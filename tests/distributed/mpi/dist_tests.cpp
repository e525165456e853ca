// The multi-process checks of nabla/distributed, one case per ctest entry,
// each launched by mpirun (tests/distributed/mpi/CMakeLists.txt):
//   nabla_dist_tests allreduce | equivalence | mnist | size1 | mismatch | kill | throw
// Every rank runs the same case; a failed check prints the rank and exits 1
// (mpirun then fails the job). The reference of each comparison is the
// non-distributed fit of the same model, run on every rank.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "nabla/nabla.hpp"

using namespace nabla;

namespace {

distributed::DataParallel* g_dp = nullptr;

[[noreturn]] void fail(const std::string& what) {
    std::cerr << "rank " << g_dp->rank() << ": FAIL: " << what << std::endl;
    std::exit(1);
}
void check(bool ok, const std::string& what) {
    if (!ok) fail(what);
}
void say(const std::string& text) {
    if (g_dp->is_chief()) std::cout << text << std::endl;
}

std::uint64_t checksum(const models::Sequential& m) {
    std::uint64_t h = 1469598103934665603ull;
    for (const Tensor& w : m.get_weights()) {
        const auto* p = static_cast<const unsigned char*>(w.raw_data());
        for (std::size_t i = 0; i < w.nbytes(); ++i) h = (h ^ p[i]) * 1099511628211ull;
    }
    return h;
}

// max |a - b| / max |b| over every weight tensor.
double weights_rel_diff(const models::Sequential& a, const models::Sequential& b) {
    const auto wa = a.get_weights(), wb = b.get_weights();
    double worst = 0;
    for (std::size_t i = 0; i < wa.size(); ++i) {
        const Tensor x = wa[i].astype(float64), y = wb[i].astype(float64);
        double diff = 0, scale = 0;
        for (std::int64_t k = 0; k < x.size(); ++k) {
            diff = std::max(diff, std::abs(x.data<double>()[k] - y.data<double>()[k]));
            scale = std::max(scale, std::abs(y.data<double>()[k]));
        }
        worst = std::max(worst, diff / std::max(scale, 1e-30));
    }
    return worst;
}

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-30); }

double history_rel_diff(const callbacks::History& a, const callbacks::History& b) {
    double worst = 0;
    check(a.history.size() == b.history.size(), "history keys differ");
    for (const auto& [k, v] : b.history) {
        const auto& u = a.history.at(k);
        check(u.size() == v.size(), "history length differs for " + k);
        for (std::size_t i = 0; i < v.size(); ++i) worst = std::max(worst, rel(u[i], v[i]));
    }
    return worst;
}

// After every step (metrics are updated after the update), a checksum of
// the weights; every rank's list must be the same.
class WeightWatch final : public metrics::Metric {
public:
    explicit WeightWatch(models::Sequential* m, int fail_rank = -1, int fail_step = -1, bool kill = false)
        : Metric("watch"), model_(m), fail_rank_(fail_rank), fail_step_(fail_step), kill_(kill) {}
    void update_state(const Tensor&, const Tensor&, const Tensor&) override {
        if (g_dp->rank() == fail_rank_ && int(sums.size()) == fail_step_) {
            if (kill_) std::raise(SIGKILL);
            throw ValueError("injected failure at step " + std::to_string(fail_step_));
        }
        sums.push_back(checksum(*model_));
    }
    double result() const override { return 0; }
    void reset_state() override {}
    metrics::Direction direction() const override { return metrics::Direction::Up; }
    std::vector<std::uint64_t> sums;

private:
    models::Sequential* model_;
    int fail_rank_, fail_step_;
    bool kill_;
};

void check_same_on_every_rank(const std::vector<std::uint64_t>& sums, const std::string& what) {
    auto& comm = g_dp->communicator();
    std::vector<std::size_t> counts;
    const auto all = comm.allgather(std::as_bytes(std::span(sums)), &counts);
    for (std::size_t r = 0, at = 0; r < counts.size(); at += counts[r], ++r) {
        check(counts[r] == sums.size() * sizeof(std::uint64_t), what + ": rank " + std::to_string(r) +
                                                                    " recorded a different number of steps");
        check(std::memcmp(all.data() + at, sums.data(), counts[r]) == 0,
              what + ": rank " + std::to_string(r) + "'s weights differ from this rank's after some step");
    }
}

models::Sequential dense_model(std::int64_t in, std::vector<std::int64_t> hidden, std::int64_t out,
                               const std::string& out_activation, std::uint64_t seed) {
    models::Sequential m;
    m.set_seed(seed);
    bool first = true;
    for (std::int64_t u : hidden) {
        layers::DenseOptions o;
        if (first) o.input_shape = Shape{in};
        m.add(layers::Dense(u, "relu", o));
        first = false;
    }
    m.add(layers::Dense(out, out_activation));
    return m;
}

std::pair<Tensor, Tensor> synthetic(std::int64_t n, std::int64_t in, std::int64_t classes, std::uint64_t seed) {
    random::Generator g(seed);
    Tensor x = random::uniform({n, in}, 0.0, 1.0, g);
    Tensor ids = Tensor::uninitialized({n}, int64);
    for (std::int64_t i = 0; i < n; ++i) ids.data<std::int64_t>()[i] = std::int64_t(g.next_u64() % classes);
    return {x, utils::to_categorical(ids, classes)};
}

// --- cases ---

int case_allreduce() {
    auto& c = g_dp->communicator();
    const int r = c.rank(), n = c.size();
    std::vector<float> f(1000);
    std::vector<double> d(1000);
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = float(r + 1) * float(i), d[i] = (r + 1) * 0.5 + double(i);
    c.allreduce(std::span(f), distributed::ReduceOp::sum);
    c.allreduce(std::span(d), distributed::ReduceOp::mean);
    const double ranks_sum = n * (n + 1) / 2.0;  // sum of (r + 1)
    for (std::size_t i = 0; i < f.size(); ++i) {
        check(f[i] == float(ranks_sum * double(i)), "float allreduce sum at " + std::to_string(i));
        check(std::abs(d[i] - (ranks_sum * 0.5 / n + double(i))) < 1e-12, "double allreduce mean at " + std::to_string(i));
    }
    std::vector<std::int64_t> b(7, r == 0 ? 42 : -1);
    c.broadcast(std::span(b), 0);
    for (auto v : b) check(v == 42, "broadcast from rank 0");
    const std::string mine(std::size_t(r + 1), char('a' + r));  // rank r sends r + 1 letters
    std::vector<std::size_t> counts;
    const auto all = c.allgather(std::as_bytes(std::span(mine)), &counts);
    std::string expected;
    for (int k = 0; k < n; ++k) expected += std::string(std::size_t(k + 1), char('a' + k));
    check(std::string(reinterpret_cast<const char*>(all.data()), all.size()) == expected, "allgather in rank order");
    c.barrier();
    say("allreduce, broadcast, allgather: closed forms hold on " + std::to_string(n) + " ranks");
    return 0;
}

int case_equivalence() {
    // Fused Dense path, one-hot labels, validation, uneven last batch
    // (769 = 6 x 128 + 1: rank 1 has no row in the last step).
    {
        auto [x, y] = synthetic(769, 20, 10, 7);
        auto [xv, yv] = synthetic(101, 20, 10, 8);
        models::Sequential ref = dense_model(20, {32}, 10, "softmax", 11), dist = dense_model(20, {32}, 10, "softmax", 11);
        ref.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
        auto watch = std::make_shared<WeightWatch>(&dist);
        dist.compile("rmsprop", "categorical_crossentropy", {"accuracy", models::MetricArg(watch)});
        models::FitOptions o{.epochs = 3, .batch_size = 128, .verbose = 0, .validation_data = {xv, yv}};
        auto h_ref = ref.fit(x, y, o);
        o.distribution = g_dp;
        auto h_dist = dist.fit(x, y, o);
        h_dist.history.erase("watch");
        h_dist.history.erase("val_watch");
        const double hd = history_rel_diff(h_dist, h_ref), wd = weights_rel_diff(dist, ref);
        std::ostringstream s;
        s << "fused step, 769 samples, batch 128, 3 epochs, validation: history rel diff " << hd << ", weights " << wd
          << "; equal weight checksums on every rank";
        say(s.str());
        check(hd < 1e-6 && wd < 1e-6, "fused step: not within 1e-6 of one process");
        // The first epoch's first 6 steps (rank 1 has no row in the 7th,
        // and validation batches update the watch too); the final weights
        // below cover the rest.
        check(watch->sums.size() >= 6, "steps seen by the watch");
        check_same_on_every_rank(std::vector(watch->sums.begin(), watch->sums.begin() + 6), "fused step");
        check(checksum(dist) == [&] {
            std::vector<std::uint64_t> v = {checksum(dist)};
            g_dp->communicator().broadcast(std::span(v), 0);
            return v[0];
        }(), "final weights differ from rank 0's");
        // evaluate and predict split the samples and gather in order.
        const auto e_ref = ref.evaluate(xv, yv, {.batch_size = 32, .verbose = 0});
        const auto e_dist = dist.evaluate(xv, yv, {.batch_size = 32, .verbose = 0, .distribution = g_dp});
        const auto e_local = dist.evaluate(xv, yv, {.batch_size = 32, .verbose = 0});
        check(rel(e_dist.loss, e_local.loss) < 1e-6 && rel(e_dist["accuracy"], e_local["accuracy"]) < 1e-12,
              "evaluate: distributed differs from one process");
        (void)e_ref;
        const Tensor p_dist = dist.predict(xv, {.batch_size = 16, .distribution = g_dp});
        const Tensor p_local = dist.predict(xv, {.batch_size = 16});
        check(p_dist.shape() == p_local.shape() &&
                  std::memcmp(p_dist.raw_data(), p_local.raw_data(), p_local.nbytes()) == 0,
              "predict: the gathered predictions differ from one process's");
        say("evaluate and predict under the strategy: same as one process (loss rel " +
            std::to_string(rel(e_dist.loss, e_local.loss)) + ", predictions bit-identical)");
    }
    // Rank 0 alone runs the callbacks; its stop_training reaches every rank
    // (a rank that went on would wait for the others forever).
    {
        auto [x, y] = synthetic(640, 20, 10, 17);
        models::Sequential m = dense_model(20, {8}, 10, "softmax", 4);
        m.compile("sgd", "categorical_crossentropy");
        int calls = 0;
        auto stop = std::make_shared<callbacks::LambdaCallback>(callbacks::LambdaCallbackFunctions{
            .on_train_batch_end = [&](std::int64_t batch, const callbacks::Logs&) {
                ++calls;
                if (batch == 2) m.stop_training = true;
            }});
        const auto h = m.fit(x, y, {.epochs = 4, .batch_size = 64, .verbose = 0, .callbacks = {stop}, .distribution = g_dp});
        check(calls == (g_dp->is_chief() ? 3 : 0), "callbacks ran on a rank other than 0, or too often");
        check(h.epoch.size() == 1 && m.optimizer()->iterations() == 3, "rank 0's stop_training did not stop this rank");
        std::vector<std::uint64_t> mine = {checksum(m)};
        check_same_on_every_rank(mine, "weights after a stop by rank 0's callback");
        say("a callback's stop_training on rank 0 stopped every rank after the same step");
    }
    // Tape path (mean squared error, linear output: not the fused step),
    // Adam, and a rank 0 that already trained a step before fit (its
    // weights and optimizer slots are what every rank must adopt).
    {
        auto [x, y] = synthetic(300, 12, 3, 21);
        auto make = [] { return dense_model(12, {16}, 3, "linear", 5); };
        models::Sequential ref = make(), dist = make();
        ref.compile("adam", "mean_squared_error", {"mean_absolute_error"});
        dist.compile("adam", "mean_squared_error", {"mean_absolute_error"});
        auto [xp, yp] = synthetic(40, 12, 3, 99);
        ref.train_on_batch(xp, yp);
        if (g_dp->is_chief()) dist.train_on_batch(xp, yp);
        models::FitOptions o{.epochs = 2, .batch_size = 64, .verbose = 0};
        auto h_ref = ref.fit(x, y, o);
        o.distribution = g_dp;
        auto h_dist = dist.fit(x, y, o);
        const double hd = history_rel_diff(h_dist, h_ref), wd = weights_rel_diff(dist, ref);
        std::ostringstream s;
        s << "tape step (mse, adam, rank 0's optimizer state adopted), 300 samples, batch 64, 2 epochs: history rel diff "
          << hd << ", weights " << wd;
        say(s.str());
        check(hd < 1e-6 && wd < 1e-6, "tape step: not within 1e-6 of one process");
        check(dist.optimizer()->iterations() == ref.optimizer()->iterations(), "optimizer iterations differ");
    }
    return 0;
}

Tensor load_digits(const char* file, std::int64_t n) {
    const std::string dir = NABLA_SHARED_DATA_DIR "/mnist/";
    Tensor t = io::read_idx(dir + file);
    return t(Slice(0, n)).contiguous();
}

int case_mnist() {
    const std::int64_t n = 8000;
    Tensor images = load_digits("t10k-images-idx3-ubyte.gz", n), labels = load_digits("t10k-labels-idx1-ubyte.gz", n);
    Tensor x = images.reshape({n, 784}).astype(float32);
    x /= 255.0;
    Tensor y = utils::to_categorical(labels, 10);
    auto make = [] { return dense_model(784, {512}, 10, "softmax", 3); };
    models::Sequential ref = make(), dist = make();
    ref.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    auto watch = std::make_shared<WeightWatch>(&dist);
    dist.compile("rmsprop", "categorical_crossentropy", {"accuracy", models::MetricArg(watch)});
    // Several steps first (5 x 128), then a full epoch of the 8,000 digits.
    models::FitOptions few{.epochs = 1, .batch_size = 128, .verbose = 0};
    auto h_ref = ref.fit(x(Slice(0, 640)), y(Slice(0, 640)), few);
    few.distribution = g_dp;
    auto h_dist = dist.fit(x(Slice(0, 640)), y(Slice(0, 640)), few);
    h_dist.history.erase("watch");
    double hd = history_rel_diff(h_dist, h_ref), wd = weights_rel_diff(dist, ref);
    std::ostringstream s;
    s << "book model on MNIST digits, 2 ranks x 64 vs 1 x 128, 5 steps: loss rel diff " << hd << ", weights " << wd;
    check(hd < 1e-6 && wd < 1e-6, "mnist, 5 steps: not within 1e-6");
    models::FitOptions epoch{.epochs = 1, .batch_size = 128, .verbose = 0};
    h_ref = ref.fit(x, y, epoch);
    epoch.distribution = g_dp;
    h_dist = dist.fit(x, y, epoch);
    h_dist.history.erase("watch");
    hd = history_rel_diff(h_dist, h_ref), wd = weights_rel_diff(dist, ref);
    s << "; then a full epoch of " << n << " digits (63 steps): loss/accuracy rel diff " << hd << ", weights " << wd
      << "; loss " << h_dist.history["loss"].back() << " vs " << h_ref.history["loss"].back();
    say(s.str());
    check(hd < 1e-6 && wd < 1e-6, "mnist, full epoch: not within 1e-6");
    check_same_on_every_rank(watch->sums, "mnist");
    say("bit-identical weights on every rank after each of " + std::to_string(watch->sums.size()) + " steps");
    return 0;
}

// A world of one: the strategy's fit is the plain fit, bit for bit.
int case_size1() {
    check(g_dp->size() == 1, "run with mpirun -np 1");
    for (const char* loss : {"categorical_crossentropy", "mean_squared_error"}) {
        auto [x, y] = synthetic(333, 20, 10, 1);
        models::Sequential a = dense_model(20, {32}, 10, "softmax", 2), b = dense_model(20, {32}, 10, "softmax", 2);
        a.compile("rmsprop", loss, {"accuracy"});
        b.compile("rmsprop", loss, {"accuracy"});
        models::FitOptions o{.epochs = 2, .batch_size = 64, .verbose = 0, .validation_split = 0.2};
        auto ha = a.fit(x, y, o);
        o.distribution = g_dp;
        auto hb = b.fit(x, y, o);
        check(ha.history == hb.history, std::string(loss) + ": histories are not bit-identical");
        check(checksum(a) == checksum(b), std::string(loss) + ": weights are not bit-identical");
        const auto ea = a.evaluate(x, y, {.verbose = 0}), eb = b.evaluate(x, y, {.verbose = 0, .distribution = g_dp});
        check(ea.logs == eb.logs, "evaluate is not bit-identical");
    }
    say("world size 1: histories, weights and evaluate bit-identical to the non-distributed fit (fused and tape steps)");
    return 0;
}

int case_mismatch() {
    auto [x, y] = synthetic(200, 8, 4, 3);
    const bool one = g_dp->rank() == 1;
    auto expect = [&](const std::function<void()>& body, std::vector<std::string> words, const std::string& what) {
        try {
            body();
        } catch (const ValueError& e) {
            const std::string m = e.what();
            for (const auto& w : words)
                check(m.find(w) != std::string::npos, what + ": message lacks '" + w + "': " + m);
            say(what + ": refused: " + m);
            return;
        }
        fail(what + ": not refused");
    };
    {
        models::Sequential m = dense_model(8, {8}, 4, "softmax", 1);
        m.compile("rmsprop", "categorical_crossentropy");
        expect([&] { m.fit(x, y, {.batch_size = one ? 64 : 32, .verbose = 0, .distribution = g_dp}); },
               {"batch_size", "rank 1 has 64", "rank 0 has 32"}, "different batch sizes");
        expect([&] { m.fit(one ? x(Slice(0, 150)) : x, one ? y(Slice(0, 150)) : y, {.verbose = 0, .distribution = g_dp}); },
               {"training samples", "rank 1 has 150"}, "different sample counts");
    }
    {
        models::Sequential m = dense_model(8, {one ? 16 : 8}, 4, "softmax", 1);
        m.compile("rmsprop", "categorical_crossentropy");
        expect([&] { m.fit(x, y, {.verbose = 0, .distribution = g_dp}); }, {"model configuration", "rank 1"},
               "different models");
    }
    {
        models::Sequential m = dense_model(8, {8}, 4, "softmax", 1);
        m.compile("rmsprop", "categorical_crossentropy");
        const Tensor bad = one ? zeros_like(y)(Slice(0, 10)) : y;  // rank 1: 10 labels for 200 samples
        if (one) {
            try {
                m.fit(x, bad, {.verbose = 0, .distribution = g_dp});
                fail("bad labels on rank 1: not refused there");
            } catch (const ValueError&) {
            }
        } else {
            expect([&] { m.fit(x, bad, {.verbose = 0, .distribution = g_dp}); },
                   {"rank 1 failed before training started", "different numbers of samples"}, "a rank whose data is wrong");
        }
    }
    return 0;
}

// Rank 1 dies (SIGKILL) or throws in its 4th step of the first epoch; the
// job must end non-zero with a message naming rank 1 (checked by
// expect_failure.sh, which also times it).
int case_failure(bool kill) {
    auto [x, y] = synthetic(4000, 20, 10, 4);
    models::Sequential m = dense_model(20, {32}, 10, "softmax", 1);
    auto watch = std::make_shared<WeightWatch>(&m, /*fail_rank=*/1, /*fail_step=*/3, kill);
    m.compile("rmsprop", "categorical_crossentropy", {models::MetricArg(watch)});
    m.fit(x, y, {.epochs = 1000, .batch_size = 16, .verbose = 0, .distribution = g_dp});
    fail("training finished although rank 1 failed");
}

// Not a test (no timing asserts): the time of the book model's gradient
// allreduce alone, each after a barrier, for docs/distributed.md.
int case_allreduce_time() {
    auto& c = g_dp->communicator();
    std::vector<float> grads(407050 + 1, 1.0f);
    const int reps = 50;
    std::vector<double> ms;
    for (int i = 0; i < reps; ++i) {
        c.barrier();
        const auto t0 = std::chrono::steady_clock::now();
        c.allreduce(std::span(grads), distributed::ReduceOp::sum);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::ostringstream s;
    s << c.size() << " ranks, allreduce of " << grads.size() * 4 << " bytes, " << reps << " times: median " << ms[reps / 2]
      << " ms, min " << ms.front() << " ms, max " << ms.back() << " ms";
    say(s.str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    distributed::DataParallel dp;
    g_dp = &dp;
    const std::string which = argc > 1 ? argv[1] : "";
    if (which == "allreduce") return case_allreduce();
    if (which == "equivalence") return case_equivalence();
    if (which == "mnist") return case_mnist();
    if (which == "size1") return case_size1();
    if (which == "mismatch") return case_mismatch();
    if (which == "kill") return case_failure(true);
    if (which == "throw") return case_failure(false);
    if (which == "allreduce_time") return case_allreduce_time();
    std::cerr << "usage: nabla_dist_tests allreduce|equivalence|mnist|size1|mismatch|kill|throw\n";
    return 2;
}
