#pragma once
// Internal: ZIP archives, shared by .npz (io) and .keras (saving).
// Reading takes stored and deflated members, checks every CRC-32, handles
// zip64, and refuses overlapping members and forged sizes (zip bombs); each
// failure is an IOError starting with `context`.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nabla::io::detail {

// Sees the first bytes (up to 64 KiB) of a deflated member before the
// output grows past them; throws to stop a member whose own header
// contradicts the directory.
using ZipHeadCheck = std::function<void(std::span<const std::uint8_t> head)>;

class ZipReader {
public:
    // Parses the central directory of `bytes` (which must outlive the reader).
    ZipReader(std::span<const std::uint8_t> bytes, std::string context);
    ~ZipReader();
    const std::vector<std::string>& names() const { return names_; }
    bool has(const std::string& name) const;
    // The member's uncompressed bytes: a view of the archive for stored
    // members, else `buffer`.
    std::span<const std::uint8_t> read(std::size_t index, std::vector<std::uint8_t>& buffer,
                                       const ZipHeadCheck& check_head = {}) const;
    // The declared uncompressed size of a member.
    std::uint64_t size(std::size_t index) const;
    std::span<const std::uint8_t> read(const std::string& name, std::vector<std::uint8_t>& buffer) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::vector<std::string> names_;
};

struct ZipMember {
    std::string name;
    std::span<const std::uint8_t> data;
};

// An archive of `members` in order, stored or deflated; `op` starts messages.
std::vector<std::uint8_t> zip_bytes(const std::vector<ZipMember>& members, bool compressed, const char* op);

}  // namespace nabla::io::detail
