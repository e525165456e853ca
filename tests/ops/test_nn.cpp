// nn ops: values against NumPy (numbers computed with numpy 1.24 float64,
// Keras 3's formulas written out in NumPy), stability at ±1e4 logits, error
// messages, one tape node per op, and finite-difference gradient checks of
// first and second order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "nabla/autodiff.hpp"
#include "nabla/core/random.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/linalg.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

void expect_values(const Tensor& t, const std::vector<double>& expected, double tol) {
    const std::vector<double> got = t.to_vector<double>();
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

void expect_all_finite(const Tensor& t) {
    for (double v : t.to_vector<double>()) EXPECT_TRUE(std::isfinite(v)) << t.to_string();
}

// A float64-exact matrix (Tensor{{...}} would round through float32).
Tensor mat(const std::vector<std::vector<double>>& rows, DType dt = float64) {
    std::vector<double> flat;
    for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    return Tensor(flat, {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size())})
        .astype(dt);
}

Tensor sin3(DType dt) {  // numpy: (np.sin(np.arange(24.)) * 3).reshape(2, 3, 4)
    std::vector<double> v(24);
    for (int i = 0; i < 24; ++i) v[i] = std::sin(double(i)) * 3;
    return Tensor(v, {2, 3, 4}).astype(dt);
}

template <typename F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no exception)";
}

random::Generator& gen() {
    static random::Generator g(1234);
    return g;
}

Tensor randn(const Shape& s) { return random::normal(s, 0.0, 1.0, gen(), float64); }
Tensor randu(const Shape& s, double lo, double hi) { return random::uniform(s, lo, hi, gen(), float64); }

// <d L / d x, v>, computed on an inner tape: differentiating it checks the
// backward rules' own backward (gradients of gradients).
Tensor grad_dot(const std::function<Tensor(const Tensor&)>& loss, const Tensor& x, const Tensor& v) {
    GradientTape inner;
    inner.watch(x);
    Tensor y = loss(x);
    return sum(inner.gradient(y, x) * v);
}

constexpr double kGradTol = 1e-6;

}  // namespace

// --- activations -----------------------------------------------------------

TEST(NNActivation, NamesRoundTrip) {
    for (auto a : {Activation::Linear, Activation::ReLU, Activation::Sigmoid, Activation::Tanh, Activation::Softmax})
        EXPECT_EQ(activation_from_name(name(a)), a);
    EXPECT_EQ(activation_from_name(""), Activation::Linear);
    EXPECT_EQ(activation_from_name("none"), Activation::Linear);
    EXPECT_EQ(name(Activation::ReLU), "relu");
    EXPECT_THAT(message_of([] { activation_from_name("gelu"); }),
                AllOf(HasSubstr("'gelu'"), HasSubstr("linear, relu, sigmoid, tanh, softmax")));
    EXPECT_THROW(activation_from_name("ReLU"), ValueError);
}

TEST(NNActivation, ActivateMatchesTheOps) {
    Tensor x{{-2, 0, 3}, {1, -1, 0.5}};
    expect_values(activate(x, Activation::Linear), x.to_vector<double>(), 0);
    expect_values(activate(x, Activation::ReLU), {0, 0, 3, 1, 0, 0.5}, 0);
    expect_values(activate(x, Activation::Sigmoid), sigmoid(x).to_vector<double>(), 0);
    expect_values(activate(x, Activation::Tanh), tanh(x).to_vector<double>(), 0);
    expect_values(activate(x, Activation::Softmax), softmax(x).to_vector<double>(), 0);
}

// --- softmax / log_softmax -------------------------------------------------

TEST(NNSoftmax, ValuesMatchNumPy) {
    for (DType dt : {float32, float64}) {
        Tensor x = mat({{1, 2, 3}, {-1, 0, 0.5}}, dt);
        const double tol = dt == float32 ? 1e-7 : 1e-15;
        Tensor s = softmax(x);
        EXPECT_EQ(s.dtype(), dt);
        expect_values(s, {0.09003057317038046, 0.24472847105479764, 0.6652409557748218, 0.12195165230972886,
                          0.33149896042409155, 0.5465493872661796},
                      tol);
        expect_values(log_softmax(x), {-2.4076059644443806, -1.4076059644443804, -0.4076059644443804,
                                       -2.1041306053367284, -1.1041306053367284, -0.6041306053367282},
                      dt == float32 ? 1e-6 : 1e-15);
        expect_values(softmax(x, 0), {0.8807970779778823, 0.8807970779778823, 0.9241418199787566,
                                      0.11920292202211755, 0.11920292202211755, 0.07585818002124356},
                      tol);
    }
}

TEST(NNSoftmax, InnerAndLeadingAxesMatchNumPy) {
    Tensor x = sin3(float64);
    expect_values(softmax(x, 1),
                  {0.04864357684578682, 0.7810564169523228,  0.9605744375507002,  0.17443547611229526,
                   0.00502342657824472, 0.00352352393115573, 0.02715042507739358, 0.8198772884597594,
                   0.9463329965759684,  0.21542005911652162, 0.01227513737190635, 0.00568723542794531,
                   0.01242620130539176, 0.22200873746494748, 0.9476431771158155,  0.8103192962322904,
                   0.02620148414330516, 0.00351845915222871, 0.0050997638184668,  0.18058407727344217,
                   0.961372314551303,   0.7744728033828238,  0.04725705906571784, 0.00909662649426757},
                  1e-15);
    expect_values(log_softmax(x, -3),
                  {-0.18227475534296655, -0.24884761997468885, -0.8225314244002734, -1.7239555168097684,
                   -1.625793619595191,   -0.6894442361233578,  -0.21752362700659308, -0.19755624554287385,
                   -0.5850821679834006,  -1.5203303081802857,  -1.7884867855476598, -0.95017010595425,
                   -1.7919935093442714,  -1.5127594639184556,  -0.5786016377927071, -0.19645202051801963,
                   -0.21909608366660246, -0.6968638877726129,  -1.6322388727248434, -1.718884412710384,
                   -0.8143211556706629,  -0.24671884829738724, -0.1829773807507622, -0.4888606988276519},
                  1e-14);
}

TEST(NNSoftmax, NonContiguousInputMatchesContiguous) {
    Tensor x = sin3(float32);
    Tensor xt = x.transpose({2, 0, 1});  // strided view
    expect_values(softmax(xt), softmax(xt.copy()).to_vector<double>(), 0);
    expect_values(log_softmax(xt, 1), log_softmax(xt.copy(), 1).to_vector<double>(), 0);
}

TEST(NNSoftmax, HugeLogitsStayFinite) {
    for (DType dt : {float32, float64}) {
        Tensor x = mat({{1e4, -1e4, 0}, {-1e4, -1e4, -1e4}}, dt);
        Tensor s = softmax(x);
        expect_values(s, {1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-7);
        Tensor ls = log_softmax(x);
        expect_all_finite(ls);
        expect_values(ls, {0, -2e4, -1e4, -std::log(3.0), -std::log(3.0), -std::log(3.0)}, 1e-6);
        GradientTape tape;
        tape.watch(x);
        Tensor w = mat({{1, 2, 3}, {4, 5, 6}}, dt);
        Tensor g = tape.gradient(sum(log_softmax(x) * w), x);
        expect_all_finite(g);
    }
}

TEST(NNSoftmax, NaNPoisonsOnlyItsRow) {
    Tensor x{{1, NAN, 2}, {0, 1, 2}};
    const std::vector<double> s = softmax(x).to_vector<double>();
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(std::isnan(s[i]));
    for (int i = 3; i < 6; ++i) EXPECT_FALSE(std::isnan(s[i]));
}

TEST(NNSoftmax, Errors) {
    EXPECT_THAT(message_of([] { softmax(Tensor({1, 2}, int64)); }), AllOf(HasSubstr("softmax"), HasSubstr("int64")));
    EXPECT_THROW(softmax(Tensor({1, 2}, int64)), DTypeError);
    EXPECT_THROW(log_softmax(Tensor::scalar(1.0)), ShapeError);
    EXPECT_THROW(softmax(zeros({2, 3}), 2), IndexError);
    EXPECT_THROW(softmax(Tensor()), ValueError);
}

TEST(NNSoftmax, EmptyAxisAndEmptyBatch) {
    EXPECT_EQ(softmax(zeros({0, 3})).shape(), (Shape{0, 3}));
    EXPECT_EQ(log_softmax(zeros({2, 0})).shape(), (Shape{2, 0}));
}

TEST(NNSoftmax, RecordsOneNode) {
    Tensor x = sin3(float32);
    GradientTape tape;
    tape.watch(x);
    Tensor y = softmax(x, 1);
    EXPECT_EQ(tape.recorded_ops(), 1u);
    (void)log_softmax(y);
    EXPECT_EQ(tape.recorded_ops(), 2u);
}

TEST(NNSoftmax, GradientsMatchFiniteDifferences) {
    for (int axis : {-1, 0, 1}) {
        Tensor x = randn({3, 4, 5}), w = randn({3, 4, 5});
        auto r = check_gradients([&](const std::vector<Tensor>& in) { return sum(softmax(in[0], axis) * w); }, {x});
        EXPECT_LT(r.max_rel_error, kGradTol) << "softmax axis " << axis << ": " << r.report;
        r = check_gradients([&](const std::vector<Tensor>& in) { return sum(log_softmax(in[0], axis) * w); }, {x});
        EXPECT_LT(r.max_rel_error, kGradTol) << "log_softmax axis " << axis << ": " << r.report;
    }
}

TEST(NNSoftmax, SecondOrderGradients) {
    Tensor x = randn({4, 6}), w = randn({4, 6}), v = randn({4, 6});
    for (bool log_form : {false, true}) {
        auto loss = [&](const Tensor& t) { return sum((log_form ? log_softmax(t) : softmax(t)) * w); };
        auto r = check_gradients([&](const std::vector<Tensor>& in) { return grad_dot(loss, in[0], v); }, {x});
        EXPECT_LT(r.max_rel_error, kGradTol) << (log_form ? "log_softmax: " : "softmax: ") << r.report;
    }
}

// --- losses: values ----------------------------------------------------------

TEST(NNLoss, CategoricalCrossentropyMatchesKeras) {
    for (DType dt : {float32, float64}) {
        const double tol = dt == float32 ? 1e-6 : 1e-14;
        Tensor t = mat({{0, 1, 0}, {0.2, 0.3, 0.5}}, dt);
        Tensor p = mat({{0.1, 0.6, 0.3}, {0.5, 1.0, 0.5}}, dt);  // row 2 sums to 2: renormalised
        Tensor logits = mat({{2, -1, 0.5}, {0, 3, -2}}, dt);
        Tensor l = categorical_crossentropy(t, p);
        EXPECT_EQ(l.shape(), (Shape{2}));
        EXPECT_EQ(l.dtype(), dt);
        expect_values(l, {0.5108256237659907, 1.178350206951907}, tol);
        expect_values(categorical_crossentropy(t, logits, true), {3.241311296657157, 3.1549852353771475}, tol);
        // p = 0 for the true class is clipped to 1e-7: -log(1e-7).
        expect_values(categorical_crossentropy(mat({{1, 0, 0}}, dt), mat({{0, 1, 0}}, dt)),
                      {16.11809565095832}, dt == float32 ? 2e-6 : 1e-12);
    }
}

TEST(NNLoss, SparseCategoricalCrossentropyMatchesKeras) {
    Tensor p = mat({{0.1, 0.6, 0.3}, {0.5, 1.0, 0.5}});
    Tensor logits = mat({{2, -1, 0.5}, {0, 3, -2}});
    for (DType ldt : {int64, int32, uint8, float32}) {
        Tensor labels = Tensor({1, 2}, ldt);
        expect_values(sparse_categorical_crossentropy(labels, p), {0.5108256237659907, 1.3862943611198906}, 1e-6);
        expect_values(sparse_categorical_crossentropy(labels, logits, true), {3.241311296657157, 5.054985235377147},
                      1e-6);
    }
    // A trailing axis of 1 is accepted, as Keras does.
    Tensor col = Tensor(std::vector<std::int64_t>{1, 2}, {2, 1});
    expect_values(sparse_categorical_crossentropy(col, logits, true), {3.241311296657157, 5.054985235377147}, 1e-6);
    // Rank 3: one loss per (batch, time) position.
    Tensor x3 = sin3(float64);
    Tensor ids(std::vector<std::int64_t>{0, 1, 2, 3, 3, 2}, {2, 3});
    Tensor l3 = sparse_categorical_crossentropy(ids, x3, true);
    EXPECT_EQ(l3.shape(), (Shape{2, 3}));
    const std::vector<double> lsm = log_softmax(x3).to_vector<double>(), got = l3.to_vector<double>();
    const std::vector<std::int64_t> idv = ids.to_vector<std::int64_t>();
    for (int r = 0; r < 6; ++r) EXPECT_NEAR(got[r], -lsm[r * 4 + idv[r]], 1e-14);
}

TEST(NNLoss, BinaryCrossentropyMatchesKeras) {
    Tensor t = mat({{0, 1, 1, 0}, {1, 0, 0.5, 1}});
    Tensor p = mat({{0.1, 0.8, 1.0, 0.0}, {0.7, 0.2, 0.5, 0.999}});
    Tensor logits = mat({{-2, 3, 0.5, -0.1}, {4, -1.5, 0, 20}});
    for (DType dt : {float32, float64}) {
        const double tol = dt == float32 ? 2e-6 : 1e-14;
        expect_values(binary_crossentropy(t.astype(dt), p.astype(dt)), {0.08212606674301147, 0.3184915440366178},
                      tol);
        expect_values(binary_crossentropy(t.astype(dt), logits.astype(dt), true),
                      {0.323497251717598, 0.22817759713041524}, tol);
    }
}

TEST(NNLoss, MeanSquaredErrorMatchesNumPy) {
    Tensor t = mat({{0, 1, 1, 0}, {1, 0, 0.5, 1}});
    Tensor p = mat({{0.1, 0.8, 1.0, 0.0}, {0.7, 0.2, 0.5, 0.999}});
    expect_values(mean_squared_error(t, p), {0.0125, 0.03250025000000001}, 1e-15);
    // Integer targets are converted to y_pred's dtype, as Keras does.
    Tensor l = mean_squared_error(Tensor({1, 2, 3}, int64), Tensor{1.5, 2., 2.});
    EXPECT_EQ(l.dtype(), float32);
    EXPECT_NEAR(l.item<double>(), (0.25 + 0 + 1) / 3, 1e-7);
}

TEST(NNLoss, KerasRankMatchingForPerSampleTargets) {
    // (batch,) targets against (batch, 1) predictions: one loss per sample.
    Tensor t{1., 0., 1.};
    Tensor p(std::vector<float>{0.9f, 0.2f, 0.6f}, {3, 1});
    Tensor l = binary_crossentropy(t, p);
    EXPECT_EQ(l.shape(), (Shape{3}));
    expect_values(l, {-std::log(0.9), -std::log(0.8), -std::log(0.6)}, 1e-6);
    EXPECT_EQ(mean_squared_error(t, p).shape(), (Shape{3}));
    EXPECT_EQ(mean_squared_error(p, t).shape(), (Shape{3}));
}

TEST(NNLoss, HugeLogitsGiveFiniteLossesAndGradients) {
    for (DType dt : {float32, float64}) {
        Tensor x = mat({{1e4, -1e4, 0}, {-1e4, 1e4, 1e4}}, dt);
        Tensor onehot = mat({{1, 0, 0}, {1, 0, 0}}, dt);
        Tensor labels(std::vector<std::int64_t>{0, 0}, {2});
        GradientTape tape(true);
        tape.watch(x);
        Tensor cce = categorical_crossentropy(onehot, x, true);
        Tensor scce = sparse_categorical_crossentropy(labels, x, true);
        Tensor bce = binary_crossentropy(onehot, x, true);
        // Exact answers: row 1 is certain and right (0), row 2 certain and wrong.
        expect_values(cce, {0, 2e4 + std::log(2.0)}, 1e-3);
        expect_values(scce, {0, 2e4 + std::log(2.0)}, 1e-3);
        // mean(softplus terms): row 1 (0 + 0 + log 2) / 3, row 2 (1e4 + 1e4 + 1e4) / 3
        expect_values(bce, {std::log(2.0) / 3, 1e4}, 1e-3);
        for (const Tensor& loss : {cce, scce, bce}) {
            Tensor g = tape.gradient(loss, x);
            expect_all_finite(g);
        }
        expect_values(tape.gradient(cce, x), {0, 0, 0, -1, 0.5, 0.5}, 1e-7);
        expect_values(tape.gradient(scce, x), {0, 0, 0, -1, 0.5, 0.5}, 1e-7);
    }
}

TEST(NNLoss, ProbabilityFormsClipLikeKeras) {
    // Probability 0 or 1 hits the clip: finite loss, zero gradient past it.
    Tensor p{{0.0, 1.0}};
    Tensor t{{1.0, 0.0}};
    GradientTape tape(true);
    tape.watch(p);
    Tensor b = binary_crossentropy(t, p);
    // In float32 Keras's upper bound 1 - 1e-7 rounds to 1 - 2^-23, so the
    // two clipped terms differ: -log(1e-7) and -log(2^-23).
    expect_values(b, {(-std::log(1e-7) - std::log(std::ldexp(1.0, -23))) / 2}, 1e-5);
    expect_values(tape.gradient(b, p), {0, 0}, 0);
    Tensor c = categorical_crossentropy(t, p);
    expect_all_finite(c);
    expect_all_finite(tape.gradient(c, p));
}

// --- losses: errors ----------------------------------------------------------

TEST(NNLoss, SparseLabelOutOfRangeIsNamed) {
    Tensor logits = zeros({4, 3});
    const std::string m = message_of([&] {
        sparse_categorical_crossentropy(Tensor(std::vector<std::int64_t>{0, 2, 5, 1}, {4}), logits, true);
    });
    EXPECT_THAT(m, AllOf(HasSubstr("sparse_categorical_crossentropy"), HasSubstr("label 5"), HasSubstr("(2,)"),
                         HasSubstr("[0, 3)")));
    EXPECT_THROW(sparse_categorical_crossentropy(Tensor(std::vector<std::int64_t>{-1, 0, 0, 0}, {4}), logits),
                 ValueError);
    EXPECT_THAT(message_of([&] { sparse_categorical_crossentropy(Tensor{0, 1.5, 0, 0}, logits); }),
                HasSubstr("1.5"));
    EXPECT_THROW(sparse_categorical_crossentropy(Tensor({0, 1, 0, 1}, bool_), logits), DTypeError);
}

TEST(NNLoss, ShapeMismatchesNameBothShapes) {
    Tensor a = zeros({2, 3}), b = zeros({2, 4});
    for (auto f : {+[](const Tensor& t, const Tensor& y) { return categorical_crossentropy(t, y); },
                   +[](const Tensor& t, const Tensor& y) { return binary_crossentropy(t, y, true); },
                   +[](const Tensor& t, const Tensor& y) { return mean_squared_error(t, y); }}) {
        EXPECT_THROW(f(a, b), ShapeError);
        EXPECT_THAT(message_of([&] { f(a, b); }), AllOf(HasSubstr("(2, 3)"), HasSubstr("(2, 4)")));
    }
    EXPECT_THAT(message_of([&] { sparse_categorical_crossentropy(zeros({3}, int64), b); }),
                AllOf(HasSubstr("(3,)"), HasSubstr("(2, 4)"), HasSubstr("expected class ids of shape (2,)")));
    EXPECT_THROW(categorical_crossentropy(Tensor::scalar(1.0), Tensor::scalar(1.0)), ShapeError);
    EXPECT_THROW(categorical_crossentropy(a, a.astype(int64)), DTypeError);
    EXPECT_THROW(mean_squared_error(Tensor(), a), ValueError);
}

// --- losses: tape and gradients ------------------------------------------------

TEST(NNLoss, EachLossRecordsOneNode) {
    Tensor y = randu({3, 4}, 0.1, 1), t = randu({3, 4}, 0, 1);
    Tensor ids(std::vector<std::int64_t>{0, 3, 1}, {3});
    const std::vector<std::function<Tensor()>> losses = {
        [&] { return categorical_crossentropy(t, y); },
        [&] { return categorical_crossentropy(t, y, true); },
        [&] { return sparse_categorical_crossentropy(ids, y); },
        [&] { return sparse_categorical_crossentropy(ids, y, true); },
        [&] { return binary_crossentropy(t, y); },
        [&] { return binary_crossentropy(t, y, true); },
        [&] { return mean_squared_error(t, y); },
    };
    for (std::size_t i = 0; i < losses.size(); ++i) {
        GradientTape tape;
        tape.watch(y);
        (void)losses[i]();
        EXPECT_EQ(tape.recorded_ops(), 1u) << "loss " << i;
    }
}

TEST(NNLoss, GradientsMatchFiniteDifferences) {
    const Shape shapes[] = {{5, 4}, {2, 3, 6}, {7}};
    for (const Shape& s : shapes) {
        Tensor logits = randn(s) * 2.0, probs = randu(s, 0.05, 1.0), target = randu(s, 0, 1);
        Shape lead(s.begin(), s.end() - 1);
        std::vector<std::int64_t> idv(static_cast<std::size_t>(numel(lead)));
        for (auto& v : idv) v = static_cast<std::int64_t>(gen().next_below(static_cast<std::uint64_t>(s.back())));
        Tensor ids(idv, lead);
        Tensor w = randn(lead);
        using Fn = std::function<Tensor(const Tensor&, const Tensor&)>;
        const std::vector<std::pair<const char*, Fn>> two_input = {
            {"cce probs", [](const Tensor& t, const Tensor& y) { return categorical_crossentropy(t, y); }},
            {"cce logits", [](const Tensor& t, const Tensor& y) { return categorical_crossentropy(t, y, true); }},
            {"bce probs", [](const Tensor& t, const Tensor& y) { return binary_crossentropy(t, y); }},
            {"bce logits", [](const Tensor& t, const Tensor& y) { return binary_crossentropy(t, y, true); }},
            {"mse", [](const Tensor& t, const Tensor& y) { return mean_squared_error(t, y); }},
        };
        for (const auto& [label, f] : two_input) {
            const bool logit = std::string(label).find("logits") != std::string::npos;
            auto r = check_gradients([&](const std::vector<Tensor>& in) { return sum(f(in[0], in[1]) * w); },
                                     {target, logit ? logits : probs});
            EXPECT_LT(r.max_rel_error, kGradTol) << label << " " << to_string(s) << ": " << r.report;
        }
        for (bool from_logits : {false, true}) {
            auto r = check_gradients(
                [&](const std::vector<Tensor>& in) {
                    return sum(sparse_categorical_crossentropy(ids, in[0], from_logits) * w);
                },
                {from_logits ? logits : probs});
            EXPECT_LT(r.max_rel_error, kGradTol) << "sparse " << from_logits << " " << to_string(s) << ": "
                                                 << r.report;
        }
    }
}

TEST(NNLoss, SecondOrderGradients) {
    Tensor logits = randn({4, 5}), probs = randu({4, 5}, 0.05, 1.0), target = randu({4, 5}, 0, 1);
    Tensor ids(std::vector<std::int64_t>{0, 4, 2, 2}, {4});
    Tensor w = randn({4}), v = randn({4, 5});
    const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> losses = {
        {"cce probs", [&](const Tensor& y) { return categorical_crossentropy(target, y); }},
        {"cce logits", [&](const Tensor& y) { return categorical_crossentropy(target, y, true); }},
        {"sparse probs", [&](const Tensor& y) { return sparse_categorical_crossentropy(ids, y); }},
        {"sparse logits", [&](const Tensor& y) { return sparse_categorical_crossentropy(ids, y, true); }},
        {"bce probs", [&](const Tensor& y) { return binary_crossentropy(target, y); }},
        {"bce logits", [&](const Tensor& y) { return binary_crossentropy(target, y, true); }},
        {"mse", [&](const Tensor& y) { return mean_squared_error(target, y); }},
    };
    for (const auto& [label, f] : losses) {
        const bool logit = std::string(label).find("logits") != std::string::npos;
        auto loss = [&](const Tensor& y) { return sum(f(y) * w); };
        auto r = check_gradients([&](const std::vector<Tensor>& in) { return grad_dot(loss, in[0], v); },
                                 {logit ? logits : probs});
        EXPECT_LT(r.max_rel_error, kGradTol) << label << ": " << r.report;
    }
}

// --- dense -----------------------------------------------------------------------

namespace {
Tensor dense_x(DType dt) { return mat({{1, -2, 0.5}, {0, 3, -1}}, dt); }
Tensor dense_W(DType dt) { return mat({{0.2, -0.5}, {0.1, 0.3}, {-0.4, 0.6}}, dt); }
Tensor dense_b(DType dt) { return Tensor(std::vector<double>{0.05, -0.1}, {2}).astype(dt); }
}  // namespace

TEST(NNDense, ValuesMatchNumPy) {
    const std::vector<std::pair<Activation, std::vector<double>>> expected = {
        {Activation::Linear, {-0.15, -0.9, 0.75, 0.2}},
        {Activation::ReLU, {0, 0, 0.75, 0.2}},
        {Activation::Sigmoid, {0.46257015, 0.2890505, 0.6791787, 0.549834}},
        {Activation::Tanh, {-0.14888503, -0.71629787, 0.63514895, 0.19737532}},
        {Activation::Softmax, {0.6791787, 0.3208213, 0.63413559, 0.36586441}},
    };
    for (DType dt : {float32, float64})
        for (const auto& [act, values] : expected) {
            Tensor y = dense(dense_x(dt), dense_W(dt), dense_b(dt), act);
            EXPECT_EQ(y.shape(), (Shape{2, 2}));
            EXPECT_EQ(y.dtype(), dt);
            expect_values(y, values, 1e-6);
        }
    expect_values(dense(dense_x(float64), dense_W(float64), Tensor()), {-0.2, -0.8, 0.7, 0.3}, 1e-15);
}

TEST(NNDense, AgreesWithTheUnfusedOps) {
    Tensor x = randn({2, 3, 7}).astype(float32), W = randn({7, 5}).astype(float32), b = randn({5}).astype(float32);
    Tensor y = dense(x, W, b, Activation::Tanh);
    EXPECT_EQ(y.shape(), (Shape{2, 3, 5}));
    const std::vector<double> ref = tanh(dot(x, W) + b).to_vector<double>(), got = y.to_vector<double>();
    for (std::size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-6);
    // Non-contiguous x and W, and x in another dtype (cast to W's, as Keras does).
    Tensor xt = randn({7, 4}).transpose(), Wt = randn({5, 7}).astype(float32).transpose();
    Tensor y2 = dense(xt, Wt, b, Activation::ReLU);
    EXPECT_EQ(y2.dtype(), float32);
    const std::vector<double> ref2 = relu(dot(xt.astype(float32), Wt) + b).to_vector<double>();
    expect_values(y2, ref2, 1e-5);
    // Empty batch and empty input axis.
    EXPECT_EQ(dense(zeros({0, 7}), W, b).shape(), (Shape{0, 5}));
    expect_values(dense(zeros({2, 0}), zeros({0, 3}), Tensor{1., 2., 3.}), {1, 2, 3, 1, 2, 3}, 0);
}

TEST(NNDense, Errors) {
    Tensor x = zeros({4, 3}), W = zeros({3, 2});
    EXPECT_THAT(message_of([&] { dense(zeros({4, 5}), W, Tensor()); }),
                AllOf(HasSubstr("dense"), HasSubstr("(4, 5)"), HasSubstr("(3, 2)")));
    EXPECT_THROW(dense(zeros({4, 5}), W, Tensor()), ShapeError);
    EXPECT_THAT(message_of([&] { dense(x, W, zeros({3})); }),
                AllOf(HasSubstr("(3,)"), HasSubstr("(3, 2)"), HasSubstr("expected (2,)")));
    EXPECT_THROW(dense(zeros({3}), W, Tensor()), ShapeError);
    EXPECT_THROW(dense(x, zeros({3, 2, 1}), Tensor()), ShapeError);
    EXPECT_THROW(dense(x, zeros({3, 2}, int64), Tensor()), DTypeError);
    EXPECT_THROW(dense(Tensor(), W, Tensor()), ValueError);
}

TEST(NNDense, RecordsOneNode) {
    Variable W(randn({3, 2}).astype(float32)), b(zeros({2}));
    GradientTape tape;
    (void)dense(zeros({4, 3}), W, b, Activation::Softmax);
    EXPECT_EQ(tape.recorded_ops(), 1u);
}

TEST(NNDense, GradientsMatchFiniteDifferences) {
    for (auto act : {Activation::Linear, Activation::ReLU, Activation::Sigmoid, Activation::Tanh,
                     Activation::Softmax}) {
        for (const Shape& xs : {Shape{5, 4}, Shape{2, 3, 4}}) {
            Shape ys = xs;
            ys.back() = 3;
            Tensor x = randn(xs), W = randn({4, 3}), b = randn({3}), w = randn(ys);
            auto r = check_gradients(
                [&](const std::vector<Tensor>& in) { return sum(dense(in[0], in[1], in[2], act) * w); }, {x, W, b});
            EXPECT_LT(r.max_rel_error, kGradTol) << name(act) << " " << to_string(xs) << ": " << r.report;
        }
        Tensor x = randn({3, 4}), W = randn({4, 2}), w = randn({3, 2});
        auto r = check_gradients(
            [&](const std::vector<Tensor>& in) { return sum(dense(in[0], in[1], Tensor(), act) * w); }, {x, W});
        EXPECT_LT(r.max_rel_error, kGradTol) << name(act) << " without bias: " << r.report;
    }
}

TEST(NNDense, SecondOrderGradients) {
    Tensor x = randn({4, 3}), W = randn({3, 5}), b = randn({5}), w = randn({4, 5});
    Tensor vW = randn({3, 5}), vx = randn({4, 3});
    for (auto act : {Activation::Linear, Activation::ReLU, Activation::Sigmoid, Activation::Tanh,
                     Activation::Softmax}) {
        // d/dW <dL/dW, v> and d/dx <dL/dx, v>: Hessian-vector products.
        auto rW = check_gradients(
            [&](const std::vector<Tensor>& in) {
                return grad_dot([&](const Tensor& Wv) { return sum(dense(x, Wv, b, act) * w); }, in[0], vW);
            },
            {W});
        EXPECT_LT(rW.max_rel_error, kGradTol) << name(act) << " d2/dW2: " << rW.report;
        auto rx = check_gradients(
            [&](const std::vector<Tensor>& in) {
                return grad_dot([&](const Tensor& xv) { return sum(square(dense(xv, W, b, act)) * w); }, in[0], vx);
            },
            {x});
        EXPECT_LT(rx.max_rel_error, kGradTol) << name(act) << " d2/dx2: " << rx.report;
    }
}
