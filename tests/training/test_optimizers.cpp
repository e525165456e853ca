#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "nabla/core/threading.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/training/optimizers.hpp"

using namespace nabla;
namespace opt = nabla::optimizers;

namespace {

// The shared fixture of tests/training/reference/optimizers.py.
const std::vector<double> kW0 = {0.5, -1.5, 2.0, 0.0, -0.25};
const std::vector<std::vector<double>> kGrads = {{0.1, -0.2, 0.3, -0.4, 0.5},
                                                 {0.3, 0.1, -0.2, 0.05, -0.6},
                                                 {-0.5, 0.4, 0.2, -0.1, 0.7},
                                                 {0.2, -0.3, -0.4, 0.25, 0.1}};

// Runs `o` for every fixture step on a variable of `dtype`; returns w.
std::vector<double> run(opt::Optimizer& o, DType dtype) {
    Variable w(Tensor(kW0, {5}).astype(dtype), "w");
    for (const auto& g : kGrads) o.apply_gradients({{Tensor(g, {5}).astype(dtype), &w}});
    return w.value().to_vector<double>();
}

// rtol: a few float32 ulps for the float32 runs; atol covers element 3,
// which starts at 0 and sums increments of both signs (its rounding error is
// that of the increments, not of its small final value).
void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double rtol,
                     const char* what, double atol = 5e-9) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_NEAR(got[i], want[i], rtol * std::abs(want[i]) + atol) << what << " element " << i;
}

// --- the update rules written out by hand, in double ---

using Rule = std::function<double(double w, double g, std::vector<double>& slot, int t)>;

std::vector<double> by_hand(const Rule& rule, int slots, double initial_slot = 0.0) {
    std::vector<double> w = kW0;
    std::vector<std::vector<double>> s(w.size(), std::vector<double>(static_cast<std::size_t>(slots), initial_slot));
    for (int t = 0; t < static_cast<int>(kGrads.size()); ++t)
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = rule(w[i], kGrads[t][i], s[i], t);
    return w;
}

Rule sgd_rule(double lr, double mu, bool nesterov) {
    return [=](double w, double g, std::vector<double>& s, int) {
        if (mu == 0.0) return w - lr * g;
        s[0] = mu * s[0] - lr * g;
        return nesterov ? w + mu * s[0] - lr * g : w + s[0];
    };
}

Rule rmsprop_rule(double lr, double rho, double mu, double eps, bool centered) {
    return [=](double w, double g, std::vector<double>& s, int) {
        s[0] = rho * s[0] + (1 - rho) * g * g;
        double den = s[0] + eps;
        if (centered) {
            s[2] = rho * s[2] + (1 - rho) * g;
            den = s[0] - s[2] * s[2] + eps;
        }
        const double inc = lr * g / std::sqrt(den);
        if (mu == 0.0) return w - inc;
        s[1] = mu * s[1] + inc;
        return w - s[1];
    };
}

Rule adagrad_rule(double lr, double eps) {
    return [=](double w, double g, std::vector<double>& s, int) {
        s[0] += g * g;
        return w - lr * g / std::sqrt(s[0] + eps);
    };
}

Rule adam_rule(double lr, double b1, double b2, double eps, bool amsgrad) {
    return [=](double w, double g, std::vector<double>& s, int t) {
        const double alpha = lr * std::sqrt(1 - std::pow(b2, t + 1)) / (1 - std::pow(b1, t + 1));
        s[0] += (g - s[0]) * (1 - b1);
        s[1] += (g * g - s[1]) * (1 - b2);
        s[2] = std::max(s[2], s[1]);
        return w - s[0] * alpha / (std::sqrt(amsgrad ? s[2] : s[1]) + eps);
    };
}

}  // namespace

TEST(Optimizers, DefaultsAreKeras3s) {
    const opt::SGD sgd;
    EXPECT_EQ(sgd.learning_rate(), 0.01);
    EXPECT_EQ(sgd.options().momentum, 0.0);
    EXPECT_FALSE(sgd.options().nesterov);
    const opt::RMSprop rms;
    EXPECT_EQ(rms.learning_rate(), 0.001);
    EXPECT_EQ(rms.options().rho, 0.9);
    EXPECT_EQ(rms.options().epsilon, 1e-7);
    EXPECT_FALSE(rms.options().centered);
    const opt::Adagrad ada;
    EXPECT_EQ(ada.learning_rate(), 0.001);
    EXPECT_EQ(ada.options().initial_accumulator_value, 0.1);
    EXPECT_EQ(ada.options().epsilon, 1e-7);
    const opt::Adam adam;
    EXPECT_EQ(adam.learning_rate(), 0.001);
    EXPECT_EQ(adam.options().beta_1, 0.9);
    EXPECT_EQ(adam.options().beta_2, 0.999);
    EXPECT_EQ(adam.options().epsilon, 1e-7);
    EXPECT_FALSE(adam.options().amsgrad);
    EXPECT_EQ(opt::RMSprop({.learning_rate = 0.5, .centered = true}).options().rho, 0.9);
}

TEST(Optimizers, SGDMatchesHandRuleKerasAndTorch) {
    struct Case {
        opt::SGDOptions o;
        std::vector<double> keras, torch;
    };
    const std::vector<Case> cases = {
        {{},
         {0.49900004267692566, -1.5, 2.000999927520752, 0.0020000003278255463, -0.25699999928474426},
         {0.49900004267692566, -1.5, 2.000999927520752, 0.0020000003278255463, -0.25699999928474426}},
        {{.momentum = 0.9},
         {0.4959310293197632, -1.500432014465332, 1.9953030347824097, 0.011800999753177166, -0.2652350068092346},
         {0.4959310293197632, -1.500432014465332, 1.9953030347824097, 0.011800998821854591, -0.2652350068092346}},
        {{.momentum = 0.9, .nesterov = true},
         {0.49533793330192566, -1.5003888607025146, 1.9967726469039917, 0.012620899826288223, -0.2707114815711975},
         {0.49533793330192566, -1.5003888607025146, 1.9967726469039917, 0.012620897963643074, -0.2707114815711975}},
    };
    for (const auto& c : cases) {
        opt::SGD f64(c.o), f32(c.o);
        expect_near_all(run(f64, float64), by_hand(sgd_rule(c.o.learning_rate, c.o.momentum, c.o.nesterov), 1),
                        1e-14, "SGD float64 vs hand");
        const auto w32 = run(f32, float32);
        expect_near_all(w32, c.keras, 3e-7, "SGD float32 vs Keras rule in NumPy");
        expect_near_all(w32, c.torch, 3e-7, "SGD float32 vs torch.optim.SGD");
        EXPECT_EQ(f32.iterations(), 4);
    }
}

TEST(Optimizers, RMSpropMatchesHandRuleKerasAndTorch) {
    opt::RMSprop plain, plain64;
    expect_near_all(run(plain64, float64), by_hand(rmsprop_rule(0.001, 0.9, 0.0, 1e-7, false), 3), 1e-14,
                    "RMSprop float64 vs hand");
    expect_near_all(run(plain, float32),
                    {0.4954615533351898, -1.4993091821670532, 1.9993497133255005, 0.0017758960602805018,
                     -0.2532059848308563},
                    3e-7, "RMSprop vs Keras rule");

    const opt::RMSpropOptions mc{.momentum = 0.5, .centered = true};
    opt::RMSprop centered(mc), centered64(mc);
    expect_near_all(run(centered64, float64), by_hand(rmsprop_rule(0.001, 0.9, 0.5, 1e-7, true), 3), 1e-14,
                    "RMSprop centered+momentum float64 vs hand");
    expect_near_all(run(centered, float32),
                    {0.49102407693862915, -1.4988723993301392, 1.996764063835144, 0.005013741552829742,
                     -0.2555823028087616},
                    3e-7, "RMSprop centered+momentum vs Keras rule");

    // With epsilon 0 the Keras and PyTorch rules coincide (PyTorch adds
    // epsilon outside the square root, Keras inside).
    opt::RMSprop eps0({.epsilon = 0.0});
    expect_near_all(run(eps0, float32),
                    {0.4954614043235779, -1.4993091821670532, 1.9993497133255005, 0.0017759025795385242,
                     -0.2532059848308563},
                    3e-7, "RMSprop eps 0 vs torch");
    opt::RMSprop eps0c({.momentum = 0.5, .epsilon = 0.0, .centered = true});
    expect_near_all(run(eps0c, float32),
                    {0.4910236895084381, -1.4988723993301392, 1.996764063835144, 0.005013759713619947,
                     -0.2555823028087616},
                    3e-7, "RMSprop eps 0 centered+momentum vs torch");
}

TEST(Optimizers, RMSpropKerasDocstringExample) {
    // keras.optimizers.RMSprop docstring: lr 0.1, var1 = 10, loss var1^2/2 -> 9.683772.
    Variable v(Tensor::scalar(10.0), "var1");
    opt::RMSprop o({.learning_rate = 0.1});
    o.apply_gradients({{v.value().copy(), &v}});
    EXPECT_NEAR(v.value().item(), 9.683772, 1e-6);
}

// The blocked SIMD kernel against the rule in scalar float arithmetic over
// the whole float range: subnormal, zero and infinite radicands and NaN
// come out as from sqrt and divide.
TEST(Optimizers, RMSpropOverTheFloatRange) {
    std::vector<float> g;
    for (int e = -38; e <= 38; ++e)
        for (float m : {1.0f, -2.5f, 7.3f}) g.push_back(m * std::pow(10.0f, static_cast<float>(e)));
    g.push_back(0.0f);
    g.push_back(std::numeric_limits<float>::infinity());
    g.push_back(std::numeric_limits<float>::quiet_NaN());
    const auto n = static_cast<std::int64_t>(g.size());
    for (const float eps : {1e-7f, 0.0f}) {
        Variable w(zeros({n}), "w");
        opt::RMSprop o({.learning_rate = 1.0, .epsilon = eps});
        o.apply_gradients({{Tensor(g, {n}), &w}});
        const auto got = w.value().to_vector<float>();
        for (std::size_t i = 0; i < g.size(); ++i) {
            // The rule in float with sqrt and divide, as Keras computes it.
            const float v = 0.1f * (g[i] * g[i]);
            const float want = 0.0f - g[i] / std::sqrt(v + eps);
            if (std::isnan(want)) {
                EXPECT_TRUE(std::isnan(got[i])) << "g = " << g[i] << ", eps = " << eps;
            } else if (std::isinf(want)) {
                EXPECT_EQ(got[i], want) << "g = " << g[i] << ", eps = " << eps;
            } else {
                EXPECT_NEAR(got[i], want, 6e-7 * std::abs(want)) << "g = " << g[i] << ", eps = " << eps;
            }
        }
    }
}

TEST(Optimizers, AdagradMatchesHandRuleKerasAndTorch) {
    opt::Adagrad a32, a64;
    expect_near_all(run(a64, float64), by_hand(adagrad_rule(0.001, 1e-7), 1, 0.1), 1e-14, "Adagrad float64 vs hand");
    expect_near_all(run(a32, float32),
                    {0.4994873106479645, -1.4999678134918213, 1.9999538660049438, 0.00044650552445091307,
                     -0.2508630156517029},
                    3e-7, "Adagrad vs Keras rule");
    opt::Adagrad eps0({.epsilon = 0.0});
    expect_near_all(run(eps0, float32),
                    {0.4994873106479645, -1.4999678134918213, 1.9999538660049438, 0.00044650552445091307,
                     -0.2508630156517029},
                    3e-7, "Adagrad eps 0 vs torch");
}

TEST(Optimizers, AdamMatchesHandRuleKerasAndTorch) {
    opt::Adam a32, a64;
    expect_near_all(run(a64, float64), by_hand(adam_rule(0.001, 0.9, 0.999, 1e-7, false), 3), 1e-14,
                    "Adam float64 vs hand");
    expect_near_all(run(a32, float32),
                    {0.4981818199157715, -1.4991859197616577, 1.9986132383346558, 0.002265303861349821,
                     -0.2515372633934021},
                    3e-7, "Adam vs Keras rule");
    const opt::AdamOptions ams{.beta_2 = 0.5, .amsgrad = true};
    opt::Adam am32(ams), am64(ams);
    expect_near_all(run(am64, float64), by_hand(adam_rule(0.001, 0.9, 0.5, 1e-7, true), 3), 1e-14,
                    "AMSGrad float64 vs hand");
    const auto w_ams = run(am32, float32);
    expect_near_all(w_ams,
                    {0.49826961755752563, -1.4991203546524048, 1.9985665082931519, 0.0020527674350887537,
                     -0.2514664828777313},
                    3e-7, "AMSGrad vs Keras rule");
    // The fixture makes v shrink, so AMSGrad must differ from plain Adam.
    opt::Adam plain_b2({.beta_2 = 0.5});
    EXPECT_GT(std::abs(run(plain_b2, float32)[3] - w_ams[3]), 1e-4);

    // Epsilon 0: Keras's "epsilon hat" and PyTorch's epsilon placement agree.
    // Keras computes 1 - beta_2^t in float32, where 1 - 0.999f is off by
    // 1.3e-5 relative (PyTorch uses Python doubles), so the per-step
    // difference is ~1e-5 of a ~1e-3 step.
    opt::Adam eps0({.epsilon = 0.0});
    const auto w_eps0 = run(eps0, float32);
    expect_near_all(w_eps0,
                    {0.4981817603111267, -1.4991858005523682, 1.9986131191253662, 0.0022653366904705763,
                     -0.2515372633934021},
                    0.0, "Adam eps 0 vs torch", 6e-8);
    expect_near_all(w_eps0,
                    {0.4981817901134491, -1.4991858005523682, 1.9986131191253662, 0.002265321556478739,
                     -0.2515372633934021},
                    3e-7, "Adam eps 0 vs Keras rule");
    opt::Adam eps0ams({.beta_2 = 0.5, .epsilon = 0.0, .amsgrad = true});
    expect_near_all(run(eps0ams, float32),
                    {0.49826961755752563, -1.4991203546524048, 1.9985665082931519, 0.0020527683664113283,
                     -0.2514664828777313},
                    3e-7, "AMSGrad eps 0 vs torch");
}

TEST(Optimizers, WeightDecayAndClipping) {
    opt::Adam wd({.learning_rate = 0.1, .weight_decay = 0.05});
    expect_near_all(run(wd, float32),
                    {0.3105852007865906, -1.3903460502624512, 1.8234449625015259, 0.22417506575584412,
                     -0.3972392976284027},
                    3e-7, "Adam weight_decay vs Keras rule");
    opt::SGD cn({.learning_rate = 0.1, .clipnorm = 0.5});
    expect_near_all(run(cn, float32),
                    {0.4811379909515381, -1.4891754388809204, 2.0168392658233643, 0.00780978798866272,
                     -0.28560304641723633},
                    3e-7, "SGD clipnorm vs Keras rule");
    opt::SGD cv({.learning_rate = 0.1, .clipvalue = 0.25});
    expect_near_all(run(cv, float32),
                    {0.4699999988079071, -1.4900000095367432, 2.0, 0.005000000819563866, -0.2849999964237213},
                    3e-7, "SGD clipvalue vs Keras rule");

    // global_clipnorm: both gradients scaled by clip / joint norm = 1 / 5.
    Variable a(Tensor{0.0, 0.0}, "a"), b(Tensor{0.0}, "b");
    opt::SGD gc({.learning_rate = 1.0, .global_clipnorm = 1.0});
    gc.apply_gradients({{Tensor{3.0, 0.0}, &a}, {Tensor{4.0}, &b}});
    EXPECT_FLOAT_EQ(a.value().at<float>({0}), -0.6f);
    EXPECT_FLOAT_EQ(b.value().at<float>({0}), -0.8f);
    // Below the bound, nothing changes.
    Variable c(Tensor{0.0}, "c");
    opt::SGD loose({.learning_rate = 1.0, .global_clipnorm = 10.0});
    loose.apply_gradients({{Tensor{3.0}, &c}});
    EXPECT_FLOAT_EQ(c.value().item<float>(), -3.0f);
    // A non-finite norm poisons the step (Keras's NaN scale).
    Variable d(Tensor{1.0}, "d");
    opt::SGD inf_norm({.learning_rate = 1.0, .global_clipnorm = 1.0});
    inf_norm.apply_gradients({{Tensor{std::numeric_limits<double>::infinity()}, &d}});
    EXPECT_TRUE(std::isnan(d.value().item()));
}

TEST(Optimizers, SlotsAreLazyPerVariableAndReadable) {
    Variable w(Tensor{1.0, 2.0}, "w"), b(Tensor{0.5}, "b");
    opt::Adagrad o;
    EXPECT_EQ(o.tracked_variables(), 0u);
    EXPECT_THROW(o.slot(w, "accumulator"), ValueError);
    o.apply_gradients({{Tensor{1.0, 2.0}, &w}});
    EXPECT_EQ(o.tracked_variables(), 1u);
    EXPECT_EQ(o.slot(w, "accumulator").to_vector<float>(), (std::vector<float>{1.1f, 4.1f}));
    o.apply_gradients({{Tensor{1.0, 0.0}, &w}, {Tensor{2.0}, &b}});
    EXPECT_EQ(o.tracked_variables(), 2u);
    EXPECT_EQ(o.slot(b, "accumulator").to_vector<float>(), (std::vector<float>{4.1f}));
    EXPECT_EQ(o.slot(w, "accumulator").to_vector<float>(), (std::vector<float>{2.1f, 4.1f}));
    EXPECT_EQ(o.iterations(), 2);
    EXPECT_THROW(o.slot(w, "momentum"), ValueError);

    // A moved Variable keeps its slots (the key is its value's identity).
    Variable moved = std::move(w);
    o.apply_gradients({{Tensor{0.0, 0.0}, &moved}});
    EXPECT_EQ(o.tracked_variables(), 2u);

    o.reset();
    EXPECT_EQ(o.iterations(), 0);
    EXPECT_EQ(o.tracked_variables(), 0u);

    EXPECT_EQ(opt::SGD().slot_names(), std::vector<std::string>{});
    EXPECT_EQ(opt::SGD({.momentum = 0.9}).slot_names(), std::vector<std::string>{"momentum"});
    EXPECT_EQ(opt::RMSprop({.momentum = 0.1, .centered = true}).slot_names(),
              (std::vector<std::string>{"velocity", "momentum", "average_gradient"}));
    EXPECT_EQ(opt::Adam({.amsgrad = true}).slot_names(),
              (std::vector<std::string>{"momentum", "velocity", "velocity_hat"}));
}

TEST(Optimizers, LearningRateSetterAndSchedule) {
    Variable w(Tensor{0.0}, "w");
    opt::SGD o({.learning_rate = 1.0});
    o.set_learning_rate(0.5);
    o.apply_gradients({{Tensor{1.0}, &w}});
    EXPECT_FLOAT_EQ(w.value().item<float>(), -0.5f);
    // Keras's LearningRateSchedule is called with the step count.
    o.set_learning_rate_schedule([](std::int64_t step) { return 0.1 * static_cast<double>(step); });
    EXPECT_DOUBLE_EQ(o.learning_rate(), 0.1);
    o.apply_gradients({{Tensor{1.0}, &w}});  // lr 0.1 at step 1
    o.apply_gradients({{Tensor{1.0}, &w}});  // lr 0.2 at step 2
    EXPECT_FLOAT_EQ(w.value().item<float>(), -0.8f);
    o.set_learning_rate(0.01);
    EXPECT_DOUBLE_EQ(o.learning_rate(), 0.01);
    EXPECT_THROW(o.set_learning_rate(std::nan("")), ValueError);
    EXPECT_THROW(o.set_learning_rate_schedule(nullptr), ValueError);
}

TEST(Optimizers, GradientsAreConvertedAndMayBeViews) {
    Variable w(Tensor{{1.0, 2.0}, {3.0, 4.0}}, "w");
    opt::SGD o({.learning_rate = 1.0});
    const Tensor g = Tensor({{1.0, 2.0}, {3.0, 4.0}}, float64).transpose();  // strided, float64
    o.apply_gradients({{g, &w}});
    EXPECT_EQ(w.dtype(), float32);
    EXPECT_EQ(w.value().to_vector<float>(), (std::vector<float>{0.0f, -1.0f, 1.0f, 0.0f}));
}

TEST(Optimizers, MissingGradientsAreSkipped) {
    Variable a(Tensor{1.0}, "a"), b(Tensor{1.0}, "b");
    opt::SGD o({.learning_rate = 1.0});
    o.apply_gradients({{Tensor{1.0}, &a}, {Tensor(), &b}});
    EXPECT_FLOAT_EQ(a.value().item<float>(), 0.0f);
    EXPECT_FLOAT_EQ(b.value().item<float>(), 1.0f);
    EXPECT_THROW(o.apply_gradients({{Tensor(), &a}}), ValueError);
    EXPECT_EQ(o.iterations(), 1);
    o.apply_gradients(std::span<const opt::GradientAndVariable>{});  // empty: a no-op
    EXPECT_EQ(o.iterations(), 1);
}

TEST(Optimizers, KerasApplyWithParallelLists) {
    Variable a(Tensor{1.0}, "a"), b(Tensor{2.0}, "b");
    opt::SGD o({.learning_rate = 1.0});
    const std::vector<Tensor> grads = {Tensor{1.0}, Tensor{1.0}};
    const std::vector<Variable*> vars = {&a, &b};
    o.apply(grads, vars);
    EXPECT_FLOAT_EQ(a.value().item<float>(), 0.0f);
    EXPECT_FLOAT_EQ(b.value().item<float>(), 1.0f);
    EXPECT_THROW(o.apply(grads, std::span<Variable* const>(vars.data(), 1)), ValueError);
}

TEST(Optimizers, Errors) {
    Variable w(Tensor{1.0, 2.0}, "dense/kernel");
    opt::Adam o;
    try {
        o.apply_gradients({{Tensor{1.0, 2.0, 3.0}, &w}});
        FAIL() << "expected ShapeError";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("dense/kernel"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(3,)"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(2,)"), std::string::npos) << e.what();
    }
    EXPECT_EQ(o.iterations(), 0);
    EXPECT_EQ(o.tracked_variables(), 0u);
    EXPECT_THROW(o.apply_gradients({{Tensor{1.0, 2.0}, nullptr}}), ValueError);
    EXPECT_THROW(o.apply_gradients({{Tensor{1.0, 2.0}, &w}, {Tensor{1.0, 2.0}, &w}}), ValueError);
    Variable ints(Tensor({1.0, 2.0}, int32), "counter", /*trainable=*/false);
    EXPECT_THROW(o.apply_gradients({{Tensor{1.0, 2.0}, &ints}}), DTypeError);
    EXPECT_EQ(w.value().to_vector<float>(), (std::vector<float>{1.0f, 2.0f}));  // untouched

    EXPECT_THROW(opt::SGD({.momentum = 1.5}), ValueError);
    EXPECT_THROW(opt::SGD({.momentum = -0.1}), ValueError);
    EXPECT_THROW(opt::SGD({.learning_rate = std::numeric_limits<double>::infinity()}), ValueError);
    EXPECT_THROW(opt::SGD({.clipnorm = 1.0, .clipvalue = 1.0}), ValueError);
    EXPECT_THROW(opt::Adam({.clipnorm = 1.0, .global_clipnorm = 1.0}), ValueError);
    EXPECT_THROW(opt::Adam({.clipnorm = -1.0}), ValueError);
    EXPECT_THROW(opt::Adam({.beta_1 = 1.0}), ValueError);
    EXPECT_THROW(opt::Adam({.epsilon = -1e-7}), ValueError);
    EXPECT_THROW(opt::RMSprop({.rho = 1.5}), ValueError);
    EXPECT_THROW(opt::Adagrad({.initial_accumulator_value = -0.1}), ValueError);
}

TEST(Optimizers, GetByName) {
    EXPECT_EQ(opt::get("sgd")->name(), "SGD");
    EXPECT_EQ(opt::get("rmsprop")->name(), "RMSprop");
    EXPECT_EQ(opt::get("RMSprop")->name(), "RMSprop");
    EXPECT_EQ(opt::get("adagrad")->name(), "Adagrad");
    EXPECT_EQ(opt::get("Adam")->name(), "Adam");
    EXPECT_DOUBLE_EQ(opt::get("sgd")->learning_rate(), 0.01);
    try {
        opt::get("adamw");
        FAIL() << "expected ValueError";
    } catch (const ValueError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("'adamw'"), std::string::npos) << m;
        EXPECT_NE(m.find("'rmsprop'"), std::string::npos) << m;
    }
}

TEST(Optimizers, ThreadedBlockedKernelsMatchOneThread) {
    // An odd size exercises the thread split, the SIMD blocks and the tails.
    const std::int64_t n = 3 * 32768 * 2 + 1037;
    std::vector<float> w0(static_cast<std::size_t>(n)), g0(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        w0[static_cast<std::size_t>(i)] = std::sin(0.001f * static_cast<float>(i));
        g0[static_cast<std::size_t>(i)] = std::cos(0.003f * static_cast<float>(i)) - 0.2f;
    }
    const auto train = [&](int threads, std::unique_ptr<opt::Optimizer> o) {
        set_num_threads(threads);
        Variable w(Tensor(w0, {n}), "w");
        for (int s = 0; s < 3; ++s) o->apply_gradients({{Tensor(g0, {n}), &w}});
        return w.value().to_vector<float>();
    };
    const int saved = get_num_threads();
    for (const char* name : {"sgd", "rmsprop", "adagrad", "adam"}) {
        const auto one = train(1, opt::get(name));
        const auto many = train(4, opt::get(name));
        EXPECT_EQ(one, many) << name;
        // Element-wise rule, so any element equals a 1-element run.
        Variable probe(Tensor(std::vector<float>{w0[77777]}, {1}), "probe");
        auto o = opt::get(name);
        for (int s = 0; s < 3; ++s) o->apply_gradients({{Tensor(std::vector<float>{g0[77777]}, {1}), &probe}});
        EXPECT_EQ(one[77777], probe.value().item<float>()) << name;
    }
    set_num_threads(saved);
}
