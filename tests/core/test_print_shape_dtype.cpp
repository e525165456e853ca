// std::cout << x.shape() and << x.dtype() print "(60000, 28, 28)" and "uint8"
// (issue 13, item 19). This file has no `using namespace nabla` and no
// `using nabla::operator<<`: both operators must be found by argument-
// dependent lookup, as in a user's program that spells nabla:: everywhere.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <span>
#include <sstream>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace {

template <typename T>
std::string streamed(const T& value) {
    std::ostringstream os;
    os << value;
    return os.str();
}

std::int64_t sum_of(std::span<const std::int64_t> sizes) {
    std::int64_t s = 0;
    for (auto d : sizes) s += d;
    return s;
}

}  // namespace

TEST(PrintShapeDType, StreamsAsNumPyPrintsThem) {
    const nabla::Tensor images = nabla::zeros({60000, 28, 28}, nabla::uint8);
    std::ostringstream os;
    os << images.shape() << " " << images.dtype();
    EXPECT_EQ(os.str(), "(60000, 28, 28) uint8");
    EXPECT_EQ(streamed(nabla::zeros({5}).shape()), "(5,)");
    EXPECT_EQ(streamed(nabla::Tensor::scalar(1.0).shape()), "()");
    EXPECT_EQ(streamed(nabla::zeros({2}, nabla::bool_).dtype()), "bool");
    EXPECT_EQ(streamed(nabla::Shape{2, 3}), "(2, 3)");
    EXPECT_EQ(streamed(nabla::zeros({1}, nabla::float64).dtype()), "float64");
}

// Shape is its own type but still every bit a std::vector<std::int64_t>.
TEST(PrintShapeDType, ShapeKeepsTheVectorApi) {
    const nabla::Tensor x = nabla::zeros({3, 4});
    const nabla::Shape& s = x.shape();
    EXPECT_EQ(s.size(), 2u);
    EXPECT_EQ(s[1], 4);
    EXPECT_EQ(s.back(), 4);
    std::int64_t product = 1;
    for (auto d : s) product *= d;
    EXPECT_EQ(product, 12);
    // Conversions both ways and comparison with a plain vector.
    const std::vector<std::int64_t> v = s;
    nabla::Shape back = v;
    EXPECT_EQ(back, s);
    EXPECT_TRUE(s == (std::vector<std::int64_t>{3, 4}));
    EXPECT_TRUE((nabla::Shape{3, 4}) < (nabla::Shape{3, 5}));
    back.push_back(5);
    back.insert(back.begin(), 1);
    EXPECT_EQ(streamed(back), "(1, 3, 4, 5)");
    EXPECT_EQ(sum_of(s), 7);  // a std::span view
    std::map<nabla::Shape, int> by_shape{{s, 1}};
    EXPECT_EQ(by_shape.count(nabla::Shape{3, 4}), 1u);
    EXPECT_EQ(nabla::zeros(v).shape(), s);  // a vector where a Shape is wanted
    EXPECT_EQ(x.reshape({4, 3}).shape(), (nabla::Shape{4, 3}));
}
