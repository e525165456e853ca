#include "nabla/io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <sstream>
#include <string>

#include "io/replace_file.hpp"

namespace nabla::io {
namespace {

// The largest expansion deflate can achieve is 1032:1 (a 258-byte match
// coded in about 2 bits); a header promising more data than that from the
// compressed size is refused before allocating, so a 100-byte file cannot
// make us reserve gigabytes.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
// zlib counts in 32-bit uInt; feed it at most this much per call.
constexpr std::size_t kZChunk = std::size_t{1} << 30;

struct IdxType {
    std::uint8_t code;
    const char* name;     // as in the IDX description
    std::size_t width;    // bytes per element in the file
    DType dtype;          // what the tensor holds
};

constexpr std::array<IdxType, 6> kTypes{{
    {0x08, "unsigned byte", 1, uint8},
    {0x09, "signed byte", 1, int32},
    {0x0B, "short", 2, int32},
    {0x0C, "int", 4, int32},
    {0x0D, "float", 4, float32},
    {0x0E, "double", 8, float64},
}};

const IdxType* find_type(std::uint8_t code) {
    for (const auto& t : kTypes)
        if (t.code == code) return &t;
    return nullptr;
}

std::string hex_byte(std::uint8_t b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", b);
    return buf;
}

[[noreturn]] void fail(const std::string& name, const std::string& problem) {
    throw IOError("read_idx: '" + name + "' " + problem);
}

bool is_gzip(std::span<const std::uint8_t> head) {
    return head.size() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
}

// A source of the decoded (decompressed) IDX bytes.
class Reader {
public:
    virtual ~Reader() = default;
    // Up to n bytes; fewer only at the end of the data.
    virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
    // The decoded size, when it is known without decoding (raw data).
    virtual std::optional<std::uint64_t> known_size() const { return std::nullopt; }
    // No valid input decodes to more than this.
    virtual std::uint64_t max_size() const = 0;
    // Appended to size complaints ("after gzip decompression").
    virtual std::string size_note() const { return ""; }
};

class SpanReader final : public Reader {
public:
    explicit SpanReader(std::span<const std::uint8_t> data) : data_(data) {}
    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        std::size_t k = std::min(n, data_.size() - pos_);
        if (k > 0) std::memcpy(dst, data_.data() + pos_, k);
        pos_ += k;
        return k;
    }
    std::optional<std::uint64_t> known_size() const override { return data_.size(); }
    std::uint64_t max_size() const override { return data_.size(); }

private:
    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};

// Reads a raw file straight into the tensor's memory (no intermediate copy
// of a 47 MB uncompressed training set).
class FileReader final : public Reader {
public:
    FileReader(std::ifstream& in, std::uint64_t size, std::string name)
        : in_(in), size_(size), name_(std::move(name)) {}
    std::size_t read(std::uint8_t* dst, std::size_t n) override {
        in_.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
        if (in_.bad()) fail(name_, "could not be read: I/O error");
        return static_cast<std::size_t>(in_.gcount());
    }
    std::optional<std::uint64_t> known_size() const override { return size_; }
    std::uint64_t max_size() const override { return size_; }

private:
    std::ifstream& in_;
    std::uint64_t size_;
    std::string name_;
};

// Inflates one or more concatenated gzip members (what `cat a.gz b.gz`
// and pigz produce, and what gzip -d accepts).
class GzipReader final : public Reader {
public:
    GzipReader(std::span<const std::uint8_t> data, std::string name)
        : data_(data), name_(std::move(name)) {
        if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) fail(name_, "could not start zlib");
    }
    ~GzipReader() override { inflateEnd(&zs_); }
    GzipReader(const GzipReader&) = delete;
    GzipReader& operator=(const GzipReader&) = delete;

    std::size_t read(std::uint8_t* dst, std::size_t n) override;
    std::uint64_t max_size() const override { return data_.size() * kMaxDeflateRatio + 64; }
    std::string size_note() const override {
        std::string note = " after gzip decompression";
        if (truncated_) note += "; the gzip stream itself is cut short (incomplete download?)";
        return note;
    }
    // True when the compressed data ended before a gzip end-of-stream marker.
    bool truncated() const { return truncated_; }

private:
    // Moves to the next member after an end-of-stream; false at the end.
    bool next_member();
    std::size_t input_left() const { return data_.size() - pos_; }

    std::span<const std::uint8_t> data_;
    std::string name_;
    z_stream zs_{};
    std::size_t pos_ = 0;  // compressed bytes handed to zlib and consumed
    bool member_done_ = false;
    bool truncated_ = false;
};

bool GzipReader::next_member() {
    if (input_left() == 0) return false;
    if (!is_gzip(data_.subspan(pos_)))
        fail(name_, "has " + std::to_string(input_left()) +
                        " bytes of trailing garbage after the gzip stream");
    inflateReset(&zs_);
    member_done_ = false;
    return true;
}

std::size_t GzipReader::read(std::uint8_t* dst, std::size_t n) {
    std::size_t done = 0;
    while (done < n && !truncated_) {
        if (member_done_ && !next_member()) break;
        std::size_t in_chunk = std::min(input_left(), kZChunk);
        zs_.next_in = const_cast<Bytef*>(data_.data() + pos_);
        zs_.avail_in = static_cast<uInt>(in_chunk);
        zs_.next_out = dst + done;
        zs_.avail_out = static_cast<uInt>(std::min(n - done, kZChunk));
        uInt out_before = zs_.avail_out;
        int rc = inflate(&zs_, Z_NO_FLUSH);
        pos_ += in_chunk - zs_.avail_in;
        done += out_before - zs_.avail_out;
        if (rc == Z_STREAM_END) {
            member_done_ = true;
        } else if (rc == Z_BUF_ERROR || (rc == Z_OK && input_left() == 0 &&
                                         zs_.avail_out > 0)) {
            truncated_ = true;  // input exhausted mid-stream
        } else if (rc != Z_OK) {
            fail(name_, std::string("is not a valid gzip file: ") +
                            (zs_.msg ? zs_.msg : "zlib error " + std::to_string(rc)));
        }
    }
    return done;
}

std::size_t read_fully(Reader& in, std::uint8_t* dst, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
        std::size_t k = in.read(dst + done, n - done);
        if (k == 0) break;
        done += k;
    }
    return done;
}

// Trailing data is counted up to this much, then reported as "or more": a
// small gzip file can hide gigabytes after the IDX data (a decompression
// bomb), and inflating all of it only to name its size would hang the reader.
constexpr std::uint64_t kDrainLimit = std::uint64_t{1} << 20;

// How many more bytes the reader yields, counting at most kDrainLimit.
std::uint64_t drain(Reader& in) {
    std::array<std::uint8_t, 65536> scratch;
    std::uint64_t total = 0;
    while (total < kDrainLimit) {
        std::size_t k = in.read(scratch.data(), scratch.size());
        if (k == 0) break;
        total += k;
    }
    return total;
}

struct Header {
    const IdxType* type = nullptr;
    Shape shape;
    std::uint64_t header_bytes = 0;
    std::uint64_t data_bytes = 0;
};

std::string describe_layout(const Header& h) {
    std::string dims;
    for (std::size_t i = 0; i < h.shape.size(); ++i) {
        if (i > 0) dims += 'x';
        dims += std::to_string(h.shape[i]);
    }
    if (h.shape.empty()) dims = "scalar";
    return std::to_string(h.header_bytes) + "-byte header + " + dims + " " + h.type->name;
}

const char* data_kind(const Header& h) {
    if (h.shape.size() == 3) return "image data";
    if (h.shape.size() == 1) return "label data";
    return "data";
}

std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
           (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

// Bytes of element data the header promises, refusing shapes whose sizes
// overflow. As in NumPy (PyArray_NewFromDescr), zero dimensions are skipped
// in the check: an empty (0, 2^32-1, 2^32-1) tensor still gets strides, and
// they must fit in int64 too. The tensor's item size counts as well as the
// file's, since int8 and int16 widen to int32.
std::uint64_t checked_data_bytes(const Header& h, const std::string& name) {
    const std::uint64_t widest = std::max(h.type->width, itemsize(h.type->dtype));
    std::uint64_t nonzero = widest;
    bool empty = false;
    for (std::int64_t d : h.shape) {
        if (d == 0) {
            empty = true;
        } else if (__builtin_mul_overflow(nonzero, static_cast<std::uint64_t>(d), &nonzero) ||
                   nonzero > static_cast<std::uint64_t>(INT64_MAX)) {
            fail(name, "declares an impossible size: dimensions " + to_string(h.shape) + " of " +
                           h.type->name + " overflow a 64-bit byte count (corrupt header?)");
        }
    }
    return empty ? 0 : nonzero / widest * h.type->width;
}

Header read_header(Reader& in, const std::string& name) {
    std::array<std::uint8_t, 4> magic{};
    std::size_t got = read_fully(in, magic.data(), 4);
    if (got < 4)
        fail(name, "is too short to be an IDX file: it has " + std::to_string(got) +
                       " bytes" + in.size_note() + ", the magic number alone takes 4");
    if (magic[0] != 0 || magic[1] != 0) {
        std::string hint = magic[0] == '<' ? " (it looks like an HTML page)" : "";
        fail(name, "is not an IDX file: it starts with " + hex_byte(magic[0]) + " " +
                       hex_byte(magic[1]) + ", an IDX magic number starts with 0x00 0x00" +
                       hint);
    }
    Header h;
    h.type = find_type(magic[2]);
    if (!h.type)
        fail(name, "has unknown IDX type code " + hex_byte(magic[2]) +
                       " (known: 0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, "
                       "0x0e double)");
    const std::size_t ndim = magic[3];
    std::vector<std::uint8_t> dims(4 * ndim);
    got = read_fully(in, dims.data(), dims.size());
    h.header_bytes = 4 + dims.size();
    if (got < dims.size())
        fail(name, "is truncated: its header declares " + std::to_string(ndim) +
                       " dimensions, which take " + std::to_string(h.header_bytes) +
                       " bytes, file has " + std::to_string(4 + got) + in.size_note());
    for (std::size_t i = 0; i < ndim; ++i)
        h.shape.push_back(static_cast<std::int64_t>(load_be32(&dims[4 * i])));
    h.data_bytes = checked_data_bytes(h, name);
    return h;
}

// `at_least`: `has` is a lower bound (trailing data was not all counted).
[[noreturn]] void size_mismatch(const std::string& name, const Header& h, std::uint64_t has,
                                const std::string& note, bool at_least = false) {
    std::uint64_t expected = h.header_bytes + h.data_bytes;
    std::string what = has < expected ? "is truncated" : "is longer than its header says";
    const std::string more = at_least ? " or more" : "";
    fail(name, what + ": expected " + std::to_string(expected) + " bytes of " + data_kind(h) +
                   " (" + describe_layout(h) + "), file has " + std::to_string(has) + more +
                   note);
}

// Big-endian file elements -> native tensor elements, in place when the
// widths match.
void decode_elements(const IdxType& type, const std::uint8_t* src, std::int64_t n, void* dst) {
    const bool swap = std::endian::native == std::endian::little;
    if (type.code == 0x09) {
        auto* out = static_cast<std::int32_t*>(dst);
        for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<std::int8_t>(src[i]);
    } else if (type.code == 0x0B) {
        auto* out = static_cast<std::int32_t*>(dst);
        for (std::int64_t i = 0; i < n; ++i)
            out[i] = static_cast<std::int16_t>((src[2 * i] << 8) | src[2 * i + 1]);
    } else if (type.width == 4 && swap) {
        auto* words = static_cast<std::uint32_t*>(dst);
        for (std::int64_t i = 0; i < n; ++i) words[i] = __builtin_bswap32(words[i]);
    } else if (type.width == 8 && swap) {
        auto* words = static_cast<std::uint64_t*>(dst);
        for (std::int64_t i = 0; i < n; ++i) words[i] = __builtin_bswap64(words[i]);
    }
}

Tensor parse(Reader& in, const std::string& name) {
    Header h = read_header(in, name);
    const std::uint64_t expected = h.header_bytes + h.data_bytes;
    if (auto size = in.known_size(); size && *size != expected)
        size_mismatch(name, h, *size, in.size_note());
    if (expected > in.max_size())
        fail(name, "is truncated: expected " + std::to_string(expected) + " bytes of " +
                       data_kind(h) + " (" + describe_layout(h) + "), but a gzip stream of " +
                       std::to_string((in.max_size() - 64) / kMaxDeflateRatio) +
                       " bytes cannot expand to more than " + std::to_string(in.max_size()));
    Tensor t = Tensor::uninitialized(h.shape, h.type->dtype);
    // Same-width types land directly in the tensor; narrow signed types are
    // staged and widened.
    const bool staged = h.type->width != itemsize(h.type->dtype);
    std::vector<std::uint8_t> stage(staged ? h.data_bytes : 0);
    auto* target = staged ? stage.data() : static_cast<std::uint8_t*>(t.raw_data());
    std::uint64_t got = read_fully(in, target, h.data_bytes);
    if (got < h.data_bytes) size_mismatch(name, h, h.header_bytes + got, in.size_note());
    if (std::uint64_t extra = drain(in); extra > 0)
        size_mismatch(name, h, expected + extra, in.size_note(), extra >= kDrainLimit);
    if (auto* gz = dynamic_cast<GzipReader*>(&in); gz && gz->truncated())
        fail(name, "is truncated: the IDX data is complete but the gzip stream ends before "
                   "its end marker and checksum (incomplete download?)");
    decode_elements(*h.type, target, t.size(), t.raw_data());
    return t;
}

std::vector<std::uint8_t> read_whole(std::ifstream& in, std::uint64_t size, const std::string& name) {
    std::vector<std::uint8_t> bytes(size);
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    if (static_cast<std::uint64_t>(in.gcount()) != size)
        fail(name, "could not be read completely (changed while reading?)");
    return bytes;
}

// A failed allocation becomes a MemoryError naming the file, not a bare
// std::bad_alloc ("unexpected error" in the nabla tool).
template <typename F>
Tensor with_memory_error(const std::string& name, F&& f) {
    try {
        return f();
    } catch (const MemoryError& e) {  // the tensor's own allocation
        throw MemoryError("read_idx: '" + name + "': not enough memory: " + e.what() +
                          " (free memory, or read a smaller file)");
    } catch (const std::bad_alloc&) {
        throw MemoryError("read_idx: '" + name + "': not enough memory for the tensor its header "
                          "declares (free memory, or read a smaller file)");
    }
}

Tensor read_idx_file(const std::filesystem::path& path);

}  // namespace

Tensor idx_from_bytes(std::span<const std::uint8_t> bytes, std::string_view name) {
    std::string n(name);
    return with_memory_error(n, [&] {
        if (is_gzip(bytes)) {
            GzipReader in(bytes, n);
            return parse(in, n);
        }
        SpanReader in(bytes);
        return parse(in, n);
    });
}

Tensor read_idx(const std::filesystem::path& path) {
    return with_memory_error(path.string(), [&] { return read_idx_file(path); });
}

namespace {

Tensor read_idx_file(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(name, "is a directory, not an IDX file");
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
        fail(name, "is not a regular file (a FIFO or device has no size to check the header "
                   "against); copy it to a file first");
    std::uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) fail(name, "cannot be opened: " + ec.message());
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(name, "cannot be opened: " + std::string(std::strerror(errno)));
    std::array<std::uint8_t, 2> head{};
    in.read(reinterpret_cast<char*>(head.data()), std::min<std::uint64_t>(size, 2));
    in.seekg(0);
    if (is_gzip(head)) {
        std::vector<std::uint8_t> compressed = read_whole(in, size, name);
        GzipReader reader(compressed, name);
        return parse(reader, name);
    }
    FileReader reader(in, size, name);
    return parse(reader, name);
}

}  // namespace

namespace {

std::uint8_t idx_code_for(DType dt) {
    switch (dt) {
        case DType::Bool:
        case DType::UInt8: return 0x08;
        case DType::Int32: return 0x0C;
        case DType::Float32: return 0x0D;
        case DType::Float64: return 0x0E;
        case DType::Int64: break;
    }
    throw DTypeError("write_idx: IDX has no 64-bit integer type; cast the int64 tensor to int32 "
                     "first (t.astype(int32))");
}

void append_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::vector<std::uint8_t> gzip_bytes(std::span<const std::uint8_t> raw) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        throw IOError("write_idx: could not start zlib");
    std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(raw.size())));
    zs.next_in = const_cast<Bytef*>(raw.data());
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw IOError("write_idx: gzip compression failed");
    return out;
}

}  // namespace

std::vector<std::uint8_t> idx_to_bytes(const Tensor& t, bool gzip) {
    const std::uint8_t code = idx_code_for(t.dtype());
    if (t.ndim() > 255)
        throw ShapeError("write_idx: IDX stores at most 255 dimensions, got " +
                         std::to_string(t.ndim()));
    std::vector<std::uint8_t> out{0, 0, code, static_cast<std::uint8_t>(t.ndim())};
    for (std::int64_t d : t.shape()) {
        if (d > std::int64_t{UINT32_MAX})
            throw ShapeError("write_idx: dimension " + std::to_string(d) + " of shape " +
                             to_string(t.shape()) + " does not fit IDX's 32-bit sizes");
        append_be32(out, static_cast<std::uint32_t>(d));
    }
    Tensor c = t.dtype() == bool_ ? t.astype(uint8) : t.contiguous();
    const std::size_t width = itemsize(c.dtype());
    const auto* src = static_cast<const std::uint8_t*>(c.raw_data());
    const std::size_t header = out.size();
    out.resize(header + c.nbytes());
    std::uint8_t* dst = out.data() + header;
    if (width == 1 || std::endian::native == std::endian::big) {
        if (c.nbytes() > 0) std::memcpy(dst, src, c.nbytes());
    } else {
        for (std::size_t i = 0; i < c.nbytes(); i += width)
            for (std::size_t j = 0; j < width; ++j) dst[i + j] = src[i + width - 1 - j];
    }
    if (!gzip) return out;
    if (out.size() > UINT_MAX)
        throw IOError("write_idx: tensors above 4 GiB cannot be gzip-compressed in one call");
    return gzip_bytes(out);
}

void write_idx(const std::filesystem::path& path, const Tensor& t, std::optional<bool> gzip) {
    const bool compress = gzip.value_or(path.extension() == ".gz");
    detail::replace_file(path, idx_to_bytes(t, compress));
}

}  // namespace nabla::io
