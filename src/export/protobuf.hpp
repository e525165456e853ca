#pragma once
// Internal: the protocol-buffer wire format, write side only — what the ONNX
// exporter needs (docs/DESIGN.md, "ONNX export": why not libprotobuf).
//
// A message is a sequence of fields, each a tag (field number << 3 | wire
// type) followed by its value: a varint (wire type 0: ints, enums), 4
// little-endian bytes (5: float), or a varint length and that many bytes
// (2: strings, bytes, nested messages). Nested messages are written into
// their own Writer and appended whole, so their length is known.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace nabla::onnx::detail {

class ProtoWriter {
public:
    void varint_field(int field, std::uint64_t value);
    // int64 fields: negative values as their two's complement (10 bytes), as protobuf does.
    void int64_field(int field, std::int64_t value) { varint_field(field, static_cast<std::uint64_t>(value)); }
    void float_field(int field, float value);
    void bytes_field(int field, std::span<const std::uint8_t> bytes);
    void string_field(int field, std::string_view text);
    void message_field(int field, const ProtoWriter& message) { bytes_field(field, message.bytes()); }

    const std::vector<std::uint8_t>& bytes() const { return out_; }
    std::vector<std::uint8_t> take() { return std::move(out_); }

private:
    void tag(int field, int wire_type);
    void varint(std::uint64_t value);
    std::vector<std::uint8_t> out_;
};

}  // namespace nabla::onnx::detail
