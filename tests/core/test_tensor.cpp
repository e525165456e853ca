#include <gtest/gtest.h>

#include "nabla/core/random.hpp"
#include "nabla/core/tensor.hpp"

using namespace nabla;

TEST(Tensor, NestedInitializerLists) {
    Tensor t{{1, 2, 3}, {4, 5, 6}};
    EXPECT_EQ(t.ndim(), 2);
    EXPECT_EQ(t.shape(), (Shape{2, 3}));
    EXPECT_EQ(t.dtype(), int64);  // integer literals, as np.array / torch.tensor
    EXPECT_EQ((Tensor{{1., 2.}, {3., 4.}}).dtype(), float32);
    EXPECT_EQ(t.size(), 6);
    EXPECT_EQ(t.at<float>({1, 2}), 6.0f);
    EXPECT_EQ(t.at<int>({-1, -3}), 4);
    Tensor i({1, 2, 3}, int32);
    EXPECT_EQ(i.dtype(), int32);
    EXPECT_THROW((Tensor{{1, 2}, {3}}), ShapeError);
}

TEST(Tensor, FromVectorAndShape) {
    Tensor t(std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6}, {3, 2});
    EXPECT_EQ(t.dtype(), uint8);
    EXPECT_EQ(t.strides(), (Strides{2, 1}));
    EXPECT_THROW(Tensor(std::vector<float>{1, 2, 3}, {2, 2}), ShapeError);
}

TEST(Tensor, ScalarsAndVectors) {
    Tensor s = Tensor::scalar(12);
    EXPECT_EQ(s.dtype(), int64);
    EXPECT_EQ(s.ndim(), 0);
    EXPECT_EQ(s.shape(), Shape{});
    EXPECT_EQ(s.item<int>(), 12);
    Tensor v{12, 3, 6, 14, 7};
    EXPECT_EQ(v.dtype(), int64);
    EXPECT_EQ(v.ndim(), 1);
    EXPECT_EQ(to_string(v.shape()), "(5,)");
    EXPECT_THROW(v.item(), ValueError);
}

TEST(Tensor, BookSlicing) {
    Tensor images = arange(0.0, 200.0 * 28 * 28, 1.0, float32).reshape({200, 28, 28});
    EXPECT_EQ(images(Slice(10, 100)).shape(), (Shape{90, 28, 28}));
    EXPECT_EQ(images(Slice(10, 100), Slice(), Slice()).shape(), (Shape{90, 28, 28}));
    EXPECT_EQ(images(Slice(10, 100), Slice(0, 28), Slice(0, 28)).shape(), (Shape{90, 28, 28}));
    Tensor patch = images(Slice(), Slice(14, None), Slice(14, None));
    EXPECT_EQ(patch.shape(), (Shape{200, 14, 14}));
    EXPECT_EQ(patch.at<double>({0, 0, 0}), 14 * 28 + 14);
    Tensor centre = images(Slice(), Slice(7, -7), Slice(7, -7));
    EXPECT_EQ(centre.shape(), (Shape{200, 14, 14}));
    EXPECT_EQ(centre.at<double>({1, 13, 13}), 784 + 20 * 28 + 20);
    for (int n = 0; n < 2; ++n) {
        Tensor batch = images(Slice(128 * n, 128 * (n + 1)));
        EXPECT_EQ(batch.shape(0), n == 0 ? 128 : 72);  // clamps like Python
    }
}

TEST(Tensor, ViewsAliasTheirBase) {
    Tensor x = zeros({3, 4});
    Tensor row = x[1];
    row.fill(7);
    EXPECT_EQ(x.at<float>({1, 3}), 7.0f);
    EXPECT_EQ(x.at<float>({0, 3}), 0.0f);
    Tensor col = x(Slice(), 2);
    col.assign(Tensor{1, 2, 3});
    EXPECT_EQ(x.at<float>({2, 2}), 3.0f);
    Tensor tt = x.transpose();
    EXPECT_TRUE(tt.shares_storage(x));
    EXPECT_EQ(tt.at<float>({2, 0}), 1.0f);
    Tensor view_of_view = tt(Slice(1, 3))[1];
    view_of_view.fill(-1);
    EXPECT_EQ(x.at<float>({2, 2}), -1.0f);
}

TEST(Tensor, NegativeStepsAndEllipsis) {
    Tensor v = arange(10, int64);
    Tensor r = v(Slice(None, None, -1));
    EXPECT_EQ(r.to_vector<std::int64_t>(), (std::vector<std::int64_t>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
    EXPECT_EQ(v(Slice(8, 2, -3)).to_vector<int>(), (std::vector<int>{8, 5}));
    EXPECT_EQ(v(Slice(-3, None)).to_vector<int>(), (std::vector<int>{7, 8, 9}));
    EXPECT_EQ(v(Slice(20, 30)).size(), 0);
    Tensor m = arange(24, int64).reshape({2, 3, 4});
    EXPECT_EQ(m(Ellipsis, 1).shape(), (Shape{2, 3}));
    EXPECT_EQ(m(Ellipsis, 1).at<int>({1, 2}), 21);
    EXPECT_EQ(m(NewAxis).shape(), (Shape{1, 2, 3, 4}));
    EXPECT_EQ(m(0, Ellipsis, NewAxis).shape(), (Shape{3, 4, 1}));
}

TEST(Tensor, IndexErrorsNameAxisIndexAndSize) {
    Tensor m = zeros({2, 3});
    try {
        (void)m(Slice(), 5);
        FAIL();
    } catch (const IndexError& e) {
        EXPECT_STREQ(e.what(), "index 5 is out of bounds for axis 1 with size 3");
    }
    EXPECT_THROW((void)m(0, 0, 0), IndexError);
    EXPECT_THROW((void)m(Ellipsis, Ellipsis), IndexError);
    EXPECT_THROW((void)m(Slice(0, 2, 0)), ValueError);
}

TEST(Tensor, ReshapeTransposeSqueeze) {
    Tensor x{{0, 1}, {2, 3}, {4, 5}};
    EXPECT_EQ(x.reshape({6, 1}).shape(), (Shape{6, 1}));
    EXPECT_EQ(x.reshape({2, 3}).at<int>({1, 0}), 3);
    EXPECT_EQ(x.reshape({-1, 2}).shape(), (Shape{3, 2}));
    EXPECT_TRUE(x.reshape({2, 3}).shares_storage(x));
    EXPECT_THROW(x.reshape({4, 2}), ShapeError);
    EXPECT_THROW(x.reshape({-1, -1}), ValueError);
    Tensor big = zeros({300, 20});
    EXPECT_EQ(big.transpose().shape(), (Shape{20, 300}));
    // transpose then reshape must copy: the elements are not in order.
    Tensor t = x.transpose().reshape({6});
    EXPECT_EQ(t.to_vector<int>(), (std::vector<int>{0, 2, 4, 1, 3, 5}));
    EXPECT_FALSE(t.shares_storage(x));
    // A slice with a step can still be reshaped without a copy.
    Tensor s = arange(24, int64).reshape({4, 6})(Slice(None, None, 2));
    Tensor s2 = s.reshape({2, 2, 3});
    EXPECT_TRUE(s2.shares_storage(s));
    EXPECT_EQ(s2.at<int>({1, 1, 2}), 17);
    EXPECT_EQ(x.expand_dims(0).shape(), (Shape{1, 3, 2}));
    EXPECT_EQ(x.expand_dims(-1).shape(), (Shape{3, 2, 1}));
    EXPECT_EQ(zeros({1, 3, 1}).squeeze().shape(), (Shape{3}));
    EXPECT_THROW(x.squeeze(0), ValueError);
    EXPECT_THROW(x.transpose({0, 0}), ValueError);
}

TEST(Tensor, AstypeCopyContiguous) {
    Tensor x{{1.7, -2.2}, {3.5, 4.0}};
    Tensor i = x.astype(int32);
    EXPECT_EQ(i.to_vector<int>(), (std::vector<int>{1, -2, 3, 4}));
    Tensor c = x.transpose().contiguous();
    EXPECT_TRUE(c.is_contiguous());
    EXPECT_FALSE(c.shares_storage(x));
    EXPECT_EQ(c.at<float>({0, 1}), 3.5f);
    Tensor same = x.contiguous();
    EXPECT_EQ(same.id(), x.id());
    EXPECT_THROW(x.data<double>(), DTypeError);
}

TEST(Tensor, Creation) {
    EXPECT_EQ(zeros({2, 3}).to_vector<float>(), std::vector<float>(6, 0.0f));
    EXPECT_EQ(full({2}, 3.5, float64).to_vector<double>(), (std::vector<double>{3.5, 3.5}));
    EXPECT_EQ(arange(0.0, 1.0, 0.25).size(), 4);
    EXPECT_EQ(linspace(0, 1, 5).to_vector<float>(), (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1}));
    EXPECT_EQ(eye(3).to_vector<int>(), (std::vector<int>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
    EXPECT_EQ(eye(2, 3, 1).to_vector<int>(), (std::vector<int>{0, 1, 0, 0, 0, 1}));
    EXPECT_THROW(zeros({-1}), ValueError);
}

TEST(Tensor, SeededRandomIsRepeatable) {
    random::Generator g1(42), g2(42), g3(43);
    Tensor a = random::normal({1000}, 0, 1, g1), b = random::normal({1000}, 0, 1, g2);
    EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
    EXPECT_NE(a.to_vector<float>(), random::normal({1000}, 0, 1, g3).to_vector<float>());
    auto v = random::uniform({10000}, -1, 1, g1).to_vector<float>();
    double mean = 0;
    for (float f : v) {
        EXPECT_GE(f, -1.0f);
        EXPECT_LT(f, 1.0f);
        mean += f;
    }
    EXPECT_NEAR(mean / v.size(), 0.0, 0.05);
    auto p = random::permutation(100, g1).to_vector<std::int64_t>();
    std::sort(p.begin(), p.end());
    for (int i = 0; i < 100; ++i) EXPECT_EQ(p[i], i);
}

TEST(TensorErrors, ImpossibleSizesAreErrorsNotCrashes) {
    using namespace nabla;
    const std::int64_t big = std::int64_t{1} << 40;
    try {
        zeros({big, big});
        FAIL() << "no error for a (2**40, 2**40) tensor";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("array is too big"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(1099511627776, 1099511627776)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(zeros({big, big, 0}), ValueError);  // NumPy refuses it too
    EXPECT_EQ(zeros({big, 0}).size(), 0);
#if !defined(__SANITIZE_ADDRESS__)  // ASan aborts on such a request unless allocator_may_return_null=1
    try {
        Tensor::uninitialized({std::int64_t{1} << 30, std::int64_t{1} << 29}, float64);  // 4 EiB: fits the count, not the machine
        FAIL() << "no error for 4 EiB";
    } catch (const MemoryError& e) {
        EXPECT_NE(std::string(e.what()).find("unable to allocate"), std::string::npos) << e.what();
    }
#endif
}
