#include <gtest/gtest.h>

#include <thread>

#include "nabla/autodiff.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/linalg.hpp"
#include "nabla/ops/reduce.hpp"

using namespace nabla;

TEST(GradientTape, SquareOfVariable) {
    Variable x(Tensor{1., 2., 3.}, "x");
    GradientTape tape;
    Tensor y = sum(square(x.value()));
    Tensor g = tape.gradient(y, x);
    EXPECT_EQ(g.to_vector<float>(), (std::vector<float>{2, 4, 6}));
}

TEST(GradientTape, ConstantsNeedWatch) {
    Tensor c{3.0};
    {
        GradientTape tape;
        Tensor y = c * c;
        EXPECT_EQ(tape.recorded_ops(), 0u);
        // Not watched: the documented result is zeros of the source's shape.
        EXPECT_EQ(tape.gradient(y, c).to_vector<float>(), (std::vector<float>{0}));
    }
    GradientTape tape;
    tape.watch(c);
    Tensor y = c * c;
    EXPECT_EQ(tape.gradient(y, c).item<float>(), 6.0f);
}

TEST(GradientTape, NonScalarTargetIsSummed) {
    Variable x(Tensor{{1., 2.}, {3., 4.}});
    GradientTape tape;
    Tensor y = x.value() * 3.0;
    Tensor g = tape.gradient(y, x);
    EXPECT_EQ(g.shape(), (Shape{2, 2}));
    EXPECT_EQ(g.to_vector<float>(), (std::vector<float>(4, 3.0f)));
}

TEST(GradientTape, UnrelatedSourceGetsZerosOfItsShapeAndDtype) {
    Variable x(Tensor{1., 2.}), z(zeros({3, 2}, float64));
    GradientTape tape;
    Tensor y = sum(x.value());
    auto g = tape.gradient(y, {x, z});
    EXPECT_EQ(g[1].shape(), (Shape{3, 2}));
    EXPECT_EQ(g[1].dtype(), float64);
    EXPECT_EQ(sum(g[1]).item<double>(), 0.0);
}

TEST(GradientTape, NonPersistentTapeIsFreedAfterOneGradient) {
    Variable x(Tensor{2.0});
    GradientTape tape;
    Tensor y = x.value() * x.value();
    EXPECT_EQ(tape.recorded_ops(), 1u);
    (void)tape.gradient(y, x);
    EXPECT_EQ(tape.recorded_ops(), 0u);
    EXPECT_THROW(tape.gradient(y, x), ValueError);
}

TEST(GradientTape, PersistentTapeAllowsSeveralGradients) {
    Variable x(Tensor{2.0});
    GradientTape tape(true);
    Tensor y = x.value() * x.value();
    Tensor z = y * x.value();
    EXPECT_EQ(tape.gradient(y, x).item<float>(), 4.0f);
    EXPECT_EQ(tape.gradient(z, x).item<float>(), 12.0f);
}

TEST(GradientTape, GradientOfGradient) {
    Variable x(Tensor{3.0});
    GradientTape outer;
    Tensor dy;
    {
        GradientTape inner;
        Tensor y = x.value() * x.value() * x.value();  // x^3
        dy = inner.gradient(y, x);                       // 3x^2 = 27
    }
    EXPECT_EQ(dy.item<float>(), 27.0f);
    EXPECT_EQ(outer.gradient(dy, x).item<float>(), 18.0f);  // 6x
}

// The backward of indexing writes the gradient into zeros in place; an outer
// tape must still see it (it used to get zeros: the write was not recorded).
TEST(GradientTape, GradientOfGradientThroughSlicing) {
    Variable x(Tensor{1., 2., 3., 4., 5.});
    GradientTape outer;
    Tensor dy;
    {
        GradientTape inner;
        // y = sum(x[1::2]^3) + sum(x[-1]^2)
        Tensor y = sum(x.value()(Slice(1, None, 2)) * x.value()(Slice(1, None, 2)) * x.value()(Slice(1, None, 2))) +
                   square(x.value()[-1]);
        dy = inner.gradient(y, x);
    }
    EXPECT_EQ(dy.to_vector<float>(), (std::vector<float>{0, 12, 0, 48, 10}));  // 3x^2 on odd, 2x on last
    // d/dx sum(dy): 6x on odd positions, 2 on the last.
    EXPECT_EQ(outer.gradient(dy, x).to_vector<float>(), (std::vector<float>{0, 12, 0, 24, 2}));
}

TEST(GradientTape, ThirdOrderThroughSlicing) {
    Variable x(Tensor{2., 3.});
    GradientTape t3;
    Tensor d2;
    {
        GradientTape t2;
        Tensor d1;
        {
            GradientTape t1;
            Tensor y = sum(square(square(x.value()(Slice(1, None)))));  // x1^4
            d1 = t1.gradient(y, x);                                     // 4 x1^3
        }
        d2 = t2.gradient(d1, x);                                        // 12 x1^2
    }
    EXPECT_EQ(d2.to_vector<float>(), (std::vector<float>{0, 108}));
    EXPECT_EQ(t3.gradient(d2, x).to_vector<float>(), (std::vector<float>{0, 72}));  // 24 x1
}

TEST(GradientTape, StopRecordingAndNoTapeCostsNothing) {
    Variable x(Tensor{1.0});
    GradientTape tape;
    tape.stop_recording();
    Tensor y = x.value() * 2.0;
    EXPECT_EQ(tape.recorded_ops(), 0u);
    EXPECT_FALSE(graph::recording());
}

TEST(GradientTape, ThreadsRecordIndependently) {
    auto train = [](float start, float* out) {
        Variable w(Tensor{start});
        for (int i = 0; i < 50; ++i) {
            GradientTape tape;
            Tensor loss = square(w.value() - 1.0);
            w.assign_sub(tape.gradient(loss, w) * 0.1);
        }
        *out = w.value().item<float>();
    };
    float a = 0, b = 0;
    std::thread t1(train, 5.0f, &a), t2(train, -3.0f, &b);
    t1.join();
    t2.join();
    EXPECT_NEAR(a, 1.0f, 1e-3);
    EXPECT_NEAR(b, 1.0f, 1e-3);
}

TEST(Variable, AssignIsInPlaceAndChecksShape) {
    Variable v(zeros({2, 2}), "kernel");
    Tensor alias = v.value();
    v.assign(ones({2, 2}));
    EXPECT_EQ(alias.at<float>({1, 1}), 1.0f);
    v.assign_add(full({2, 2}, 2.0));
    v.assign_sub(ones({2, 2}));
    EXPECT_EQ(v.value().to_vector<float>(), (std::vector<float>(4, 2.0f)));
    try {
        v.assign(ones({3}));
        FAIL();
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("(2, 2) and (3,)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(Variable(Tensor({1, 2}, int32)), DTypeError);
}

TEST(GradientCheck, DetectsAWrongGradient) {
    // A correct rule passes, and the checker is not vacuous: a deliberately
    // wrong closure is caught.
    auto good = check_gradients([](const std::vector<Tensor>& in) { return sum(in[0] * in[0]); },
                                {Tensor{1., -2., 3.}});
    EXPECT_LT(good.max_rel_error, 1e-6) << good.report;
    auto wrong = check_gradients(
        [](const std::vector<Tensor>& in) {
            Tensor x = in[0];
            // y = 2x numerically, but its recorded backward claims dy/dx = 1.
            Tensor y = Tensor::uninitialized(x.shape(), x.dtype());
            y.assign(x);  // assign and *= are never recorded
            y *= 2.0;
            graph::record("bad", {x}, y, [](const Tensor& g) { return std::vector<Tensor>{g}; });
            return sum(y);
        },
        {Tensor{1., 2.}});
    EXPECT_GT(wrong.max_rel_error, 0.1);
}
