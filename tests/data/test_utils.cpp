#include <gtest/gtest.h>

#include <string>

#include "nabla/data/utils.hpp"

using namespace nabla;

namespace {
template <typename F>
std::string value_error(F&& f) {
    try {
        f();
    } catch (const ValueError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no ValueError thrown";
    return "";
}
}  // namespace

TEST(ToCategorical, OneHotLikeKeras) {
    Tensor y(std::vector<std::uint8_t>{7, 2, 1, 0}, {4});
    Tensor oh = utils::to_categorical(y, 10);
    EXPECT_EQ(oh.dtype(), float32);
    EXPECT_EQ(oh.shape(), (Shape{4, 10}));
    std::vector<float> v = oh.to_vector<float>();
    for (int i = 0; i < 4; ++i)
        for (int c = 0; c < 10; ++c)
            EXPECT_EQ(v[i * 10 + c], c == y.at<int>({i}) ? 1.0f : 0.0f) << i << "," << c;
}

TEST(ToCategorical, InfersNumClassesAsMaxPlusOne) {
    Tensor y({0, 3, 1}, int32);
    EXPECT_EQ(utils::to_categorical(y).shape(), (Shape{3, 4}));
    EXPECT_EQ(utils::to_categorical(Tensor({5}, int64)).shape(), (Shape{1, 6}));
}

TEST(ToCategorical, TrailingUnitAxisIsDroppedAndOtherShapesKept) {
    Tensor col(std::vector<std::int32_t>{1, 0, 2}, {3, 1});
    EXPECT_EQ(utils::to_categorical(col, 3).shape(), (Shape{3, 3}));
    Tensor grid(std::vector<std::int32_t>{1, 0, 2, 2}, {2, 2});
    Tensor oh = utils::to_categorical(grid, 3);
    EXPECT_EQ(oh.shape(), (Shape{2, 2, 3}));
    EXPECT_EQ(oh.at<float>({1, 0, 2}), 1.0f);
    EXPECT_EQ(oh.at<float>({0, 1, 0}), 1.0f);
    EXPECT_EQ(utils::to_categorical(Tensor::scalar(2, int32), 4).shape(), (Shape{4}));
}

TEST(ToCategorical, WholeNumberFloatsAndStridedViewsWork) {
    Tensor yf({2.0, 0.0}, float32);
    EXPECT_EQ(utils::to_categorical(yf, 3).to_vector<float>(),
              (std::vector<float>{0, 0, 1, 1, 0, 0}));
    Tensor y({0, 9, 1, 9, 2}, int32);
    Tensor every_other = y(Slice(None, None, 2));  // 0 1 2
    EXPECT_EQ(utils::to_categorical(every_other).shape(), (Shape{3, 3}));
    EXPECT_EQ(utils::to_categorical(every_other).at<float>({2, 2}), 1.0f);
}

TEST(ToCategorical, BadLabelsAreNamed) {
    Tensor y({0, 3, 12, 1, 9, 2}, int32);
    std::string msg = value_error([&] { utils::to_categorical(y, 10); });
    EXPECT_EQ(msg, "to_categorical: label 12 at index 2 is out of range for num_classes=10 "
                   "(valid labels are 0..9)");
    msg = value_error([&] { utils::to_categorical(Tensor(std::vector<std::int32_t>{0, 1, -1, 2}, {2, 2}), 3); });
    EXPECT_NE(msg.find("label -1 at index (1, 0) is negative"), std::string::npos) << msg;
    msg = value_error([&] { utils::to_categorical(Tensor({0.0, 1.5}, float32)); });
    EXPECT_NE(msg.find("label 1.5 at index 1 is not a whole number"), std::string::npos) << msg;
    msg = value_error([&] { utils::to_categorical(zeros({0}, int32)); });
    EXPECT_NE(msg.find("cannot infer num_classes from an empty labels tensor"), std::string::npos);
    EXPECT_EQ(utils::to_categorical(zeros({0}, int32), 10).shape(), (Shape{0, 10}));
    EXPECT_THROW(utils::to_categorical(Tensor()), ValueError);
}
