// std::cout << x.shape() and << x.dtype() (issue 13, item 19).
#include <gtest/gtest.h>

#include <sstream>

#include "nabla/core/tensor.hpp"

namespace without_using {
// No using-directive: the dtype is found by argument-dependent lookup; a
// Shape (a std::vector) needs the operator named.
std::string print(const nabla::Tensor& x) {
    using nabla::operator<<;
    std::ostringstream os;
    os << x.shape() << " " << x.dtype();
    return os.str();
}
std::string print_dtype(const nabla::Tensor& x) {
    std::ostringstream os;
    os << x.dtype();
    return os.str();
}
}  // namespace without_using

using namespace nabla;

TEST(PrintShapeDType, StreamsAsNumPyPrintsThem) {
    std::ostringstream os;
    os << zeros({60000, 28, 28}, uint8).shape() << " " << zeros({60000, 28, 28}, uint8).dtype() << " "
       << zeros({5}).shape() << " " << Tensor::scalar(1.0).shape() << " " << zeros({2}, bool_).dtype();
    EXPECT_EQ(os.str(), "(60000, 28, 28) uint8 (5,) () bool");
}

TEST(PrintShapeDType, WorksWithoutUsingNamespace) {
    EXPECT_EQ(without_using::print(zeros({3, 4}, int64)), "(3, 4) int64");
    EXPECT_EQ(without_using::print_dtype(zeros({1}, float64)), "float64");
}
