#include "protobuf.hpp"

#include <bit>
#include <cstring>

namespace nabla::onnx::detail {

namespace {
constexpr int kVarint = 0, kLengthDelimited = 2, kFixed32 = 5;
}

void ProtoWriter::varint(std::uint64_t value) {
    // 7 bits per byte, least significant first; the high bit says "more follows".
    while (value >= 0x80) {
        out_.push_back(static_cast<std::uint8_t>(value | 0x80));
        value >>= 7;
    }
    out_.push_back(static_cast<std::uint8_t>(value));
}

void ProtoWriter::tag(int field, int wire_type) {
    varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire_type));
}

void ProtoWriter::varint_field(int field, std::uint64_t value) {
    tag(field, kVarint);
    varint(value);
}

void ProtoWriter::float_field(int field, float value) {
    tag(field, kFixed32);
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));  // little-endian
}

void ProtoWriter::bytes_field(int field, std::span<const std::uint8_t> bytes) {
    tag(field, kLengthDelimited);
    varint(bytes.size());
    out_.insert(out_.end(), bytes.begin(), bytes.end());
}

void ProtoWriter::string_field(int field, std::string_view text) {
    bytes_field(field, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

}  // namespace nabla::onnx::detail
