// ZIP archives for .npz and .keras: stored and deflated members, CRC-32
// checks, the zip64 records numpy.savez writes, and refusal of overlapping
// members (zip bombs). Moved here from npz.cpp so both formats share it.
#include "io/zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>

#include "nabla/core/error.hpp"

namespace nabla::io::detail {
namespace {


constexpr std::uint32_t kLocalSig = 0x04034b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kZip64EndSig = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSig = 0x07064b50;
constexpr std::size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22;
constexpr std::size_t kZip64LocatorSize = 20, kZip64EndSize = 56;
constexpr std::uint64_t kMaxDeflateRatio = 1032;  // the most deflate can shrink data

// ---------------------------------------------------------------------------
// Little-endian reads with bounds checks

class Reader {
public:
    Reader(std::span<const std::uint8_t> bytes, const std::string& context)
        : bytes_(bytes), context_(context) {}

    std::uint64_t get(std::uint64_t pos, int n) const {
        need(pos, static_cast<std::uint64_t>(n), "record");
        std::uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = (v << 8) | bytes_[pos + static_cast<std::uint64_t>(i)];
        return v;
    }
    std::uint32_t u32(std::uint64_t pos) const { return static_cast<std::uint32_t>(get(pos, 4)); }
    std::uint16_t u16(std::uint64_t pos) const { return static_cast<std::uint16_t>(get(pos, 2)); }
    std::span<const std::uint8_t> span(std::uint64_t pos, std::uint64_t n, const char* what) const {
        need(pos, n, what);
        return bytes_.subspan(pos, n);
    }
    void need(std::uint64_t pos, std::uint64_t n, const char* what) const {
        if (pos > bytes_.size() || n > bytes_.size() - pos)
            fail(std::string("truncated or corrupt archive: ") + what + " at offset " +
                 std::to_string(pos) + " (" + std::to_string(n) +
                 " bytes) runs past the end of the " + std::to_string(bytes_.size()) +
                 "-byte file");
    }
    [[noreturn]] void fail(const std::string& what) const { throw IOError(context_ + ": " + what); }
    std::uint64_t size() const { return bytes_.size(); }
    const std::uint8_t* data() const { return bytes_.data(); }

private:
    std::span<const std::uint8_t> bytes_;
    const std::string& context_;
};

// ---------------------------------------------------------------------------
// Reading

struct Member {
    std::string name;
    std::uint16_t flags = 0, method = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0, uncompressed = 0, offset = 0;
};

struct Directory {
    std::uint64_t entries = 0, size = 0, offset = 0;
};

// The end-of-central-directory record: the last signature whose comment
// length reaches exactly the end of the file.
std::uint64_t find_end_record(const Reader& r) {
    if (r.size() < kEndSize)
        r.fail("not a ZIP archive (too short for an end-of-central-directory record)");
    const std::uint64_t lowest = r.size() > kEndSize + 0xffff ? r.size() - kEndSize - 0xffff : 0;
    for (std::uint64_t pos = r.size() - kEndSize;; --pos) {
        if (r.u32(pos) == kEndSig && pos + kEndSize + r.u16(pos + 20) == r.size()) return pos;
        if (pos == lowest) break;
    }
    r.fail("not a ZIP archive (no end-of-central-directory record)");
}

Directory read_directory(const Reader& r) {
    const std::uint64_t end = find_end_record(r);
    if (r.u16(end + 4) != 0 || r.u16(end + 6) != 0)
        r.fail("multi-disk ZIP archives are not supported");
    Directory d{r.u16(end + 10), r.u32(end + 12), r.u32(end + 16)};
    const bool zip64 = d.entries == 0xffff || d.size == 0xffffffff || d.offset == 0xffffffff;
    if (zip64) {
        if (end < kZip64LocatorSize || r.u32(end - kZip64LocatorSize) != kZip64LocatorSig)
            r.fail("corrupt archive: zip64 end-of-central-directory locator missing");
        const std::uint64_t rec = r.get(end - kZip64LocatorSize + 8, 8);
        if (r.u32(rec) != kZip64EndSig)
            r.fail("corrupt archive: bad zip64 end-of-central-directory record");
        r.need(rec, kZip64EndSize, "zip64 end record");
        d = Directory{r.get(rec + 32, 8), r.get(rec + 40, 8), r.get(rec + 48, 8)};
    }
    r.need(d.offset, d.size, "central directory");
    if (d.entries > d.size / kCentralSize)
        r.fail("corrupt archive: " + std::to_string(d.entries) +
               " entries cannot fit a central directory of " + std::to_string(d.size) + " bytes");
    return d;
}

// Sizes and offset that do not fit 32 bits live in the zip64 extra field.
void apply_zip64_extra(const Reader& r, std::uint64_t extra, std::uint64_t extra_len, Member& m) {
    const bool want[3] = {m.uncompressed == 0xffffffff, m.compressed == 0xffffffff,
                          m.offset == 0xffffffff};
    if (!want[0] && !want[1] && !want[2]) return;
    for (std::uint64_t p = extra; p + 4 <= extra + extra_len;) {
        const std::uint16_t id = r.u16(p), len = r.u16(p + 2);
        if (id == 0x0001) {
            std::uint64_t q = p + 4;
            std::uint64_t* fields[3] = {&m.uncompressed, &m.compressed, &m.offset};
            for (int i = 0; i < 3; ++i) {
                if (!want[i]) continue;
                if (q + 8 > p + 4 + len)
                    r.fail("member '" + m.name + "': zip64 extra field too short");
                *fields[i] = r.get(q, 8);
                q += 8;
            }
            return;
        }
        p += 4 + static_cast<std::uint64_t>(len);
    }
    r.fail("member '" + m.name + "': 32-bit size marker without a zip64 extra field");
}

std::vector<Member> read_members(const Reader& r, const Directory& d) {
    std::vector<Member> members;
    std::uint64_t p = d.offset;
    for (std::uint64_t i = 0; i < d.entries; ++i) {
        if (p + kCentralSize > d.offset + d.size || r.u32(p) != kCentralSig)
            r.fail("corrupt archive: bad central directory entry " + std::to_string(i));
        Member m;
        m.flags = r.u16(p + 8);
        m.method = r.u16(p + 10);
        m.crc = r.u32(p + 16);
        m.compressed = r.u32(p + 20);
        m.uncompressed = r.u32(p + 24);
        const std::uint16_t name_len = r.u16(p + 28), extra_len = r.u16(p + 30),
                            comment_len = r.u16(p + 32);
        if (r.u16(p + 34) != 0 && r.u16(p + 34) != 0xffff)
            r.fail("multi-disk ZIP archives are not supported");
        m.offset = r.u32(p + 42);
        const auto name = r.span(p + kCentralSize, name_len, "member name");
        m.name.assign(name.begin(), name.end());
        apply_zip64_extra(r, p + kCentralSize + name_len, extra_len, m);
        members.push_back(std::move(m));
        p += kCentralSize + name_len + extra_len + comment_len;
    }
    return members;
}

// Raw deflate data that must inflate to exactly `expected` bytes. The
// output grows as data arrives (from 64 KiB, doubling), and `check_head`
// (when set) sees the first 64 KiB before it grows past them: a forged size
// or a corrupt stream fails after kilobytes, not after allocating the
// gigabyte the directory claims.
std::vector<std::uint8_t> inflate_raw(std::span<const std::uint8_t> in, std::uint64_t expected,
                                      const std::function<void(const std::string&)>& fail,
                                      const ZipHeadCheck& check_head) {
    constexpr std::uint64_t kFirstChunk = 1 << 16;
    // Checked before allocating, so a forged size cannot exhaust memory.
    if (expected > in.size() * kMaxDeflateRatio + 64)
        fail("claims " + std::to_string(expected) + " bytes from only " +
             std::to_string(in.size()) + " compressed bytes");
    const std::uint64_t cap = expected + 1;  // the spare byte catches overlong streams
    std::vector<std::uint8_t> out(static_cast<std::size_t>(std::min(cap, kFirstChunk)));
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) fail("cannot initialise zlib");
    zs.next_in = const_cast<Bytef*>(in.data());
    std::uint64_t in_left = in.size(), produced = 0;
    bool head_checked = !check_head;
    int rc = Z_OK;
    try {
        while (rc == Z_OK) {
            // zlib counts in 32 bits: hand it at most 1 GiB at a time.
            if (zs.avail_in == 0 && in_left > 0) {
                zs.avail_in = static_cast<uInt>(std::min<std::uint64_t>(in_left, 1u << 30));
                in_left -= zs.avail_in;
            }
            if (produced == out.size() && out.size() < cap) {
                if (!head_checked) {
                    head_checked = true;
                    check_head({out.data(), out.size()});
                }
                out.resize(static_cast<std::size_t>(std::min<std::uint64_t>(cap, 2 * out.size())));
            }
            zs.next_out = out.data() + produced;
            zs.avail_out = static_cast<uInt>(std::min<std::uint64_t>(out.size() - produced, 1u << 30));
            rc = inflate(&zs, Z_NO_FLUSH);  // Z_BUF_ERROR: out of input or of room
            produced = static_cast<std::uint64_t>(zs.next_out - out.data());
        }
    } catch (...) {
        inflateEnd(&zs);
        throw;
    }
    const std::string msg = zs.msg ? zs.msg : "";
    inflateEnd(&zs);
    if (!head_checked && (rc == Z_STREAM_END || rc == Z_BUF_ERROR))
        check_head({out.data(), static_cast<std::size_t>(produced)});
    if (rc == Z_BUF_ERROR && produced <= expected) fail("truncated deflate data");
    if (rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        fail("corrupt deflate data" + (msg.empty() ? std::string() : " (" + msg + ")"));
    if (produced != expected)
        fail("inflates to " + std::string(produced > expected ? "more than " : "") +
             std::to_string(produced) + " bytes, but the directory declares " +
             std::to_string(expected));
    out.resize(expected);
    return out;
}

// The member's stored (possibly compressed) bytes, after its local header.
std::span<const std::uint8_t> raw_bytes(const Reader& r, const Member& m) {
    if (r.u32(m.offset) != kLocalSig) r.fail("member '" + m.name + "': bad local header signature");
    const std::uint64_t data = m.offset + kLocalSize + r.u16(m.offset + 26) + r.u16(m.offset + 28);
    return r.span(data, m.compressed, "member data");
}

// Members must not share bytes. Listing one deflate stream thousands of
// times is how a small archive inflates to terabytes (the "overlapping" zip
// bomb); zipfile never writes such archives, so refusing them costs nothing
// and bounds the output by kMaxDeflateRatio times the file size.
void check_disjoint(const Reader& r, const std::vector<Member>& members) {
    struct Extent {
        std::uint64_t begin, end;
        const Member* m;
    };
    std::vector<Extent> extents;
    for (const Member& m : members) {
        const auto raw = raw_bytes(r, m);
        const auto end = static_cast<std::uint64_t>(raw.data() + raw.size() - r.data());
        extents.push_back({m.offset, end, &m});
    }
    std::sort(extents.begin(), extents.end(),
              [](const Extent& a, const Extent& b) { return a.begin < b.begin; });
    for (std::size_t i = 1; i < extents.size(); ++i)
        if (extents[i].begin < extents[i - 1].end)
            r.fail("corrupt archive: members '" + extents[i - 1].m->name + "' and '" +
                   extents[i].m->name + "' overlap (a zip bomb?)");
}

// The member's uncompressed bytes, CRC-checked; stored members are not copied.
std::span<const std::uint8_t> member_bytes(const Reader& r, const Member& m,
                                           std::vector<std::uint8_t>& buffer,
                                           const ZipHeadCheck& check_head) {
    auto fail = [&](const std::string& what) { r.fail("member '" + m.name + "': " + what); };
    if (m.flags & 1) fail("encrypted members are not supported");
    const auto raw = raw_bytes(r, m);
    std::span<const std::uint8_t> out;
    if (m.method == 0) {
        if (m.compressed != m.uncompressed) fail("stored member with differing sizes");
        out = raw;
    } else if (m.method == 8) {
        buffer = inflate_raw(raw, m.uncompressed, fail, check_head);
        out = buffer;
    } else {
        fail("compression method " + std::to_string(m.method) +
             " is not supported (nabla reads stored and deflated members)");
    }
    std::uint32_t crc = static_cast<std::uint32_t>(crc32_z(0, out.data(), out.size()));
    if (crc != m.crc) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "CRC-32 mismatch (stored %08x, computed %08x)", m.crc, crc);
        fail(buf);
    }
    return out;
}

// ---------------------------------------------------------------------------
// Writing

void put(std::vector<std::uint8_t>& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::vector<std::uint8_t> deflate_raw(const std::vector<std::uint8_t>& in, const char* op) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        throw IOError(std::string(op) + ": cannot initialise zlib");
    std::vector<std::uint8_t> out(deflateBound(&zs, in.size()));
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.next_out = out.data();
    std::uint64_t in_left = in.size(), out_left = out.size();
    int rc = Z_OK;
    while (rc == Z_OK) {
        const auto give_in = static_cast<uInt>(std::min<std::uint64_t>(in_left, 1u << 30));
        const auto give_out = static_cast<uInt>(std::min<std::uint64_t>(out_left, 1u << 30));
        zs.avail_in = give_in;
        zs.avail_out = give_out;
        rc = deflate(&zs, in_left == give_in ? Z_FINISH : Z_NO_FLUSH);
        in_left -= give_in - zs.avail_in;
        out_left -= give_out - zs.avail_out;
    }
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw IOError(std::string(op) + ": zlib deflate failed");
    out.resize(out.size() - out_left);
    return out;
}

// MS-DOS time and date of "now", as zipfile stamps members.
std::pair<std::uint16_t, std::uint16_t> dos_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    const int year = std::max(tm.tm_year + 1900, 1980);
    return {static_cast<std::uint16_t>(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2),
            static_cast<std::uint16_t>((year - 1980) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday)};
}

struct Written {
    std::string name;
    std::uint16_t method;
    std::uint32_t crc;
    std::uint64_t compressed, uncompressed, offset;
};

void check_zip32(std::uint64_t v, const std::string& what, const char* op) {
    if (v >= 0xffffffff)
        throw IOError(std::string(op) + ": " + what +
                      " needs zip64 (over 4 GiB), which nabla does not write");
}

}  // namespace

struct ZipReader::Impl {
    std::string context;
    std::span<const std::uint8_t> bytes;
    std::vector<Member> members;
};

ZipReader::ZipReader(std::span<const std::uint8_t> bytes, std::string context) : impl_(std::make_unique<Impl>()) {
    impl_->context = std::move(context);
    impl_->bytes = bytes;
    const Reader r(bytes, impl_->context);
    impl_->members = read_members(r, read_directory(r));
    check_disjoint(r, impl_->members);
    for (const Member& m : impl_->members) names_.push_back(m.name);
}
ZipReader::~ZipReader() = default;

std::uint64_t ZipReader::size(std::size_t index) const { return impl_->members.at(index).uncompressed; }

bool ZipReader::has(const std::string& name) const {
    return std::find(names_.begin(), names_.end(), name) != names_.end();
}

std::span<const std::uint8_t> ZipReader::read(std::size_t index, std::vector<std::uint8_t>& buffer,
                                              const ZipHeadCheck& check_head) const {
    const Reader r(impl_->bytes, impl_->context);
    return member_bytes(r, impl_->members.at(index), buffer, check_head);
}

std::span<const std::uint8_t> ZipReader::read(const std::string& name, std::vector<std::uint8_t>& buffer) const {
    for (std::size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return read(i, buffer);
    throw IOError(impl_->context + ": the archive has no member '" + name + "'");
}

std::vector<std::uint8_t> zip_bytes(const std::vector<ZipMember>& members, bool compressed, const char* op) {
    const auto [time, date] = dos_now();
    std::vector<std::uint8_t> out;
    std::vector<Written> written;
    for (const ZipMember& member : members) {
        std::vector<std::uint8_t> deflated;
        std::span<const std::uint8_t> data = member.data;
        Written w{member.name,
                  static_cast<std::uint16_t>(compressed ? 8 : 0),
                  static_cast<std::uint32_t>(crc32_z(0, data.data(), data.size())),
                  0,
                  data.size(),
                  out.size()};
        if (compressed) {
            deflated = deflate_raw(std::vector<std::uint8_t>(data.begin(), data.end()), op);
            data = deflated;
        }
        w.compressed = data.size();
        check_zip32(w.uncompressed, "member '" + w.name + "'", op);
        check_zip32(w.offset, "the archive", op);
        if (w.name.size() > 0xffff) throw ValueError(std::string(op) + ": member name too long: '" + w.name.substr(0, 64) + "...'");
        put(out, kLocalSig, 4);
        put(out, 20, 2);      // version needed: 2.0 (deflate)
        put(out, 0x0800, 2);  // flags: the name is UTF-8
        put(out, w.method, 2);
        put(out, time, 2);
        put(out, date, 2);
        put(out, w.crc, 4);
        put(out, w.compressed, 4);
        put(out, w.uncompressed, 4);
        put(out, w.name.size(), 2);
        put(out, 0, 2);
        out.insert(out.end(), w.name.begin(), w.name.end());
        out.insert(out.end(), data.begin(), data.end());
        written.push_back(std::move(w));
    }
    const std::uint64_t dir_offset = out.size();
    check_zip32(dir_offset, "the archive", op);
    for (const Written& w : written) {
        put(out, kCentralSig, 4);
        put(out, 3 << 8 | 20, 2);  // made by: Unix, 2.0
        put(out, 20, 2);
        put(out, 0x0800, 2);
        put(out, w.method, 2);
        put(out, time, 2);
        put(out, date, 2);
        put(out, w.crc, 4);
        put(out, w.compressed, 4);
        put(out, w.uncompressed, 4);
        put(out, w.name.size(), 2);
        put(out, 0, 2);               // extra
        put(out, 0, 2);               // comment
        put(out, 0, 2);               // disk
        put(out, 0, 2);               // internal attributes
        put(out, 0100644u << 16, 4);  // external: regular file, rw-r--r--
        put(out, w.offset, 4);
        out.insert(out.end(), w.name.begin(), w.name.end());
    }
    const std::uint64_t dir_size = out.size() - dir_offset;
    if (written.size() >= 0xffff) throw IOError(std::string(op) + ": more than 65534 members need zip64");
    put(out, kEndSig, 4);
    put(out, 0, 2);
    put(out, 0, 2);
    put(out, written.size(), 2);
    put(out, written.size(), 2);
    put(out, dir_size, 4);
    put(out, dir_offset, 4);
    put(out, 0, 2);
    return out;
}

}  // namespace nabla::io::detail
