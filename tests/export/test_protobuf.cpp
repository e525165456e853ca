// The protobuf wire encoder of the ONNX exporter, against byte strings from
// the protobuf encoding guide (protobuf.dev/programming-guides/encoding).
#include <gtest/gtest.h>

#include "../../src/export/protobuf.hpp"  // internal: the encoder itself

namespace {

using nabla::onnx::detail::ProtoWriter;
using Bytes = std::vector<std::uint8_t>;

TEST(OnnxProtobuf, VarintsAsTheGuide) {
    ProtoWriter w;
    w.varint_field(1, 150);  // the guide's example: 08 96 01
    EXPECT_EQ(w.bytes(), (Bytes{0x08, 0x96, 0x01}));
    ProtoWriter zero, big;
    zero.varint_field(2, 0);
    EXPECT_EQ(zero.bytes(), (Bytes{0x10, 0x00}));
    big.varint_field(20, 0xFFFFFFFFull);  // field 20: a two-byte tag (a0 01)
    EXPECT_EQ(big.bytes(), (Bytes{0xa0, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f}));
}

TEST(OnnxProtobuf, NegativeInt64IsTenBytes) {
    ProtoWriter w;
    w.int64_field(1, -1);
    EXPECT_EQ(w.bytes(), (Bytes{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(OnnxProtobuf, StringsAndNestedMessagesAreLengthDelimited) {
    ProtoWriter inner;
    inner.string_field(2, "testing");  // the guide's 12 07 74 65 73 74 69 6e 67
    EXPECT_EQ(inner.bytes(), (Bytes{0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}));
    ProtoWriter outer;
    outer.message_field(3, inner);
    Bytes want{0x1a, 0x09};
    want.insert(want.end(), inner.bytes().begin(), inner.bytes().end());
    EXPECT_EQ(outer.bytes(), want);
    ProtoWriter empty;
    empty.string_field(1, "");
    EXPECT_EQ(empty.bytes(), (Bytes{0x0a, 0x00}));
}

TEST(OnnxProtobuf, FloatIsFixed32LittleEndian) {
    ProtoWriter w;
    w.float_field(2, 1.0f);  // 0x3f800000
    EXPECT_EQ(w.bytes(), (Bytes{0x15, 0x00, 0x00, 0x80, 0x3f}));
}

TEST(OnnxProtobuf, LongLengthsTakeSeveralBytes) {
    ProtoWriter w;
    w.bytes_field(1, Bytes(300, 0xab));
    ASSERT_EQ(w.bytes().size(), 1u + 2u + 300u);
    EXPECT_EQ(w.bytes()[1], 0xac);  // 300 = 0b10_0101100
    EXPECT_EQ(w.bytes()[2], 0x02);
}

}  // namespace
