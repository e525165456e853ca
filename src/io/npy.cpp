// The .npy format (numpy/lib/format.py): magic "\x93NUMPY", a version, a
// little-endian header length, a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces to a 64-byte boundary, then the raw C-order data.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "nabla/io/file.hpp"
#include "nabla/io/npy.hpp"
#include "npy_internal.hpp"

namespace nabla::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the .npy code assumes a little-endian host");
static_assert(sizeof(bool) == 1, "bool tensors are stored as one byte per element");

constexpr std::uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t kAlign = 64;         // numpy.lib.format.ARRAY_ALIGN
constexpr std::size_t kGrowthDigits = 21;  // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS
constexpr std::size_t kMaxDims = 32;       // NumPy's NPY_MAXDIMS
constexpr int kMaxNesting = 16;
// numpy.lib.format's _MAX_HEADER_SIZE: NumPy refuses longer headers, and the
// longest header of a dtype nabla reads (32 axes of 20 digits) is far below.
// Without a cap a version-2 header of gigabytes would be parsed into a
// syntax tree many times its size.
constexpr std::size_t kMaxHeaderSize = 10000;

// Printable excerpt of untrusted text for error messages.
std::string excerpt(std::string_view s, std::size_t max_len = 120) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < max_len; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    if (s.size() > max_len) out += "...";
    return out;
}

// ---------------------------------------------------------------------------
// The header: a Python literal (the subset numpy writes, as ast.literal_eval
// would read it).

struct PyValue {
    enum class Kind { Str, Int, Bool, None, Tuple, List, Dict } kind = Kind::None;
    std::string text;            // Str: the string; others: their source text
    std::int64_t integer = 0;    // Int
    bool boolean = false;        // Bool
    std::vector<PyValue> items;  // Tuple/List: elements; Dict: key, value, key, value...
};

class LiteralParser {
public:
    LiteralParser(std::string_view src, const std::string& context)
        : src_(src), context_(context) {}

    PyValue parse() {
        PyValue v = value(0);
        skip_space();
        if (pos_ != src_.size()) fail("unexpected text after the dict");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw IOError(context_ + ": malformed header: " + what + " at offset " +
                      std::to_string(pos_) + " in \"" + excerpt(src_) + "\"");
    }

    void skip_space() {
        while (pos_ < src_.size() && (src_[pos_] == ' ' || src_[pos_] == '\t' ||
                                      src_[pos_] == '\n' || src_[pos_] == '\r'))
            ++pos_;
    }
    bool peek(char c) {
        skip_space();
        return pos_ < src_.size() && src_[pos_] == c;
    }
    void expect(char c) {
        if (!peek(c)) fail(std::string("expected '") + c + "'");
        ++pos_;
    }

    PyValue value(int depth) {
        if (depth > kMaxNesting) fail("nesting too deep");
        skip_space();
        if (pos_ >= src_.size()) fail("unexpected end");
        const std::size_t start = pos_;
        PyValue v;
        const char c = src_[pos_];
        if (c == '\'' || c == '"') {
            v.kind = PyValue::Kind::Str;
            v.text = string_literal();
            return v;
        }
        if (c == '{' || c == '(' || c == '[') {
            v = c == '{' ? dict(depth) : sequence(depth);
            if (v.kind != PyValue::Kind::Str)
                v.text = std::string(src_.substr(start, pos_ - start));
            return v;
        }
        if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
            v.kind = PyValue::Kind::Int;
            v.integer = integer();
        } else if (word("True")) {
            v.kind = PyValue::Kind::Bool;
            v.boolean = true;
        } else if (word("False")) {
            v.kind = PyValue::Kind::Bool;
        } else if (word("None")) {
            v.kind = PyValue::Kind::None;
        } else {
            fail("unexpected character '" + excerpt(src_.substr(pos_, 1)) + "'");
        }
        v.text = std::string(src_.substr(start, pos_ - start));
        return v;
    }

    bool word(std::string_view w) {
        if (src_.substr(pos_, w.size()) != w) return false;
        pos_ += w.size();
        return true;
    }

    std::string string_literal() {
        const char quote = src_[pos_++];
        std::string out;
        while (pos_ < src_.size() && src_[pos_] != quote) {
            if (src_[pos_] == '\\' && pos_ + 1 < src_.size()) ++pos_;
            out += src_[pos_++];
        }
        if (pos_ >= src_.size()) fail("unterminated string");
        ++pos_;
        return out;
    }

    std::int64_t integer() {
        bool negative = false;
        if (src_[pos_] == '-' || src_[pos_] == '+') negative = src_[pos_++] == '-';
        if (pos_ >= src_.size() || src_[pos_] < '0' || src_[pos_] > '9') fail("expected a digit");
        std::uint64_t mag = 0;
        while (pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '9') {
            const auto d = static_cast<std::uint64_t>(src_[pos_++] - '0');
            if (mag > (static_cast<std::uint64_t>(INT64_MAX) - d) / 10) fail("integer too large");
            mag = mag * 10 + d;
        }
        if (pos_ < src_.size() && (src_[pos_] == 'L' || src_[pos_] == 'l'))
            ++pos_;  // Python 2 long
        const auto v = static_cast<std::int64_t>(mag);
        return negative ? -v : v;
    }

    // (a, b), (a,), (), [a, b]; "(a)" is just a, as in Python.
    PyValue sequence(int depth) {
        const char open = src_[pos_++];
        const char close = open == '(' ? ')' : ']';
        PyValue v;
        v.kind = open == '(' ? PyValue::Kind::Tuple : PyValue::Kind::List;
        bool comma = false;
        while (!peek(close)) {
            v.items.push_back(value(depth + 1));
            if (peek(close)) break;
            expect(',');
            comma = true;
        }
        ++pos_;
        if (open == '(' && v.items.size() == 1 && !comma) return std::move(v.items[0]);
        return v;
    }

    PyValue dict(int depth) {
        ++pos_;
        PyValue v;
        v.kind = PyValue::Kind::Dict;
        while (!peek('}')) {
            v.items.push_back(value(depth + 1));
            expect(':');
            v.items.push_back(value(depth + 1));
            if (peek('}')) break;
            expect(',');
        }
        ++pos_;
        return v;
    }

    std::string_view src_;
    const std::string& context_;
    std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// Header dict -> dtype and shape

struct Header {
    DType dtype = float32;
    Shape shape;
};

DType dtype_from_descr(const std::string& descr, const std::string& context) {
    if (descr.size() >= 2) {
        const char order = descr[0];
        const std::string_view code = std::string_view(descr).substr(1);
        const bool any_order = order == '|' || order == '<' || order == '>' || order == '=';
        if (any_order && code == "b1") return bool_;
        if (any_order && code == "u1") return uint8;
        const bool known = code == "i4" || code == "i8" || code == "f4" || code == "f8";
        if (known && order == '<') {
            if (code == "i4") return int32;
            if (code == "i8") return int64;
            return code == "f4" ? float32 : float64;
        }
        if (known && order == '>')
            throw IOError(context + ": big-endian dtype '" + descr +
                          "' is not supported; save the array with .astype('<" + std::string(code) +
                          "')");
    }
    throw IOError(context + ": unsupported dtype '" + excerpt(descr) +
                  "' (nabla reads |b1, |u1, <i4, <i8, <f4, <f8)");
}

Shape shape_from_value(const PyValue& v, const std::string& context) {
    if (v.kind != PyValue::Kind::Tuple)
        throw IOError(context + ": header 'shape' must be a tuple of integers, got " +
                      excerpt(v.text));
    if (v.items.size() > kMaxDims)
        throw IOError(context + ": shape has " + std::to_string(v.items.size()) +
                      " dimensions; at most " + std::to_string(kMaxDims) + " are supported");
    Shape shape;
    for (const auto& d : v.items) {
        if (d.kind != PyValue::Kind::Int || d.integer < 0)
            throw IOError(context + ": header 'shape' must hold non-negative integers, got " +
                          excerpt(d.text));
        shape.push_back(d.integer);
    }
    return shape;
}

Header header_from_dict(const PyValue& dict, const std::string& context) {
    if (dict.kind != PyValue::Kind::Dict) throw IOError(context + ": malformed header: not a dict");
    const PyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
    for (std::size_t i = 0; i < dict.items.size(); i += 2) {
        const PyValue& key = dict.items[i];
        const PyValue* value = &dict.items[i + 1];
        const std::string name = key.kind == PyValue::Kind::Str ? key.text : "";
        const PyValue** slot = name == "descr"           ? &descr
                               : name == "fortran_order" ? &fortran
                               : name == "shape"         ? &shape
                                                         : nullptr;
        if (slot == nullptr || *slot != nullptr)
            throw IOError(context + ": malformed header: unexpected or repeated key " +
                          excerpt(key.text) +
                          " (expected exactly 'descr', 'fortran_order' and 'shape')");
        *slot = value;
    }
    if (!descr || !fortran || !shape)
        throw IOError(context + ": malformed header: missing key '" +
                      std::string(!descr     ? "descr"
                                  : !fortran ? "fortran_order"
                                             : "shape") +
                      "'");
    if (descr->kind != PyValue::Kind::Str)
        throw IOError(context + ": unsupported dtype: structured or nested descr " +
                      excerpt(descr->text) + " (nabla reads |b1, |u1, <i4, <i8, <f4, <f8)");
    if (fortran->kind != PyValue::Kind::Bool)
        throw IOError(context + ": header 'fortran_order' must be True or False, got " +
                      excerpt(fortran->text));
    Header h;
    h.dtype = dtype_from_descr(descr->text, context);
    h.shape = shape_from_value(*shape, context);
    if (fortran->boolean)
        throw IOError(context +
                      ": Fortran-order (column-major) data is not supported; save a C-order "
                      "array (numpy.ascontiguousarray)");
    return h;
}

// Elements and bytes of the data, guarding against overflow from hostile shapes.
std::size_t data_bytes(const Header& h, const std::string& context) {
    std::uint64_t n = 1, with_ones = 1;
    bool overflow = false;
    for (auto d : h.shape) {
        const auto u = static_cast<std::uint64_t>(d);
        overflow |= __builtin_mul_overflow(n, u, &n);
        overflow |= __builtin_mul_overflow(with_ones, std::max<std::uint64_t>(u, 1), &with_ones);
    }
    std::uint64_t bytes = 0;
    overflow |= __builtin_mul_overflow(n, itemsize(h.dtype), &bytes);
    // Like NumPy, the byte size ignoring zero dimensions must fit too: an
    // empty tensor still gets strides, and byte offsets are products of them.
    overflow |= __builtin_mul_overflow(with_ones, itemsize(h.dtype), &with_ones);
    if (overflow || with_ones > static_cast<std::uint64_t>(INT64_MAX))
        throw IOError(context + ": shape " + to_string(h.shape) + " is too large");
    return static_cast<std::size_t>(bytes);
}

std::uint32_t read_le(const std::uint8_t* p, int n) {
    std::uint32_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::string descr_of(DType dt) {
    switch (dt) {
        case DType::Bool:
            return "|b1";
        case DType::UInt8:
            return "|u1";
        case DType::Int32:
            return "<i4";
        case DType::Int64:
            return "<i8";
        case DType::Float32:
            return "<f4";
        case DType::Float64:
            return "<f8";
    }
    throw DTypeError("save_npy: unknown dtype");
}

std::string context_for(std::string_view op, std::string_view name) {
    return std::string(op) + ": '" + std::string(name) + "'";
}

// Checks the magic, version and header of a .npy image and parses the
// header; returns the offset of the data. `bytes` may end after the header.
std::size_t parse_head(std::span<const std::uint8_t> bytes, const std::string& context, Header& h) {
    if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
        const std::string_view head(reinterpret_cast<const char*>(bytes.data()),
                                    std::min<std::size_t>(bytes.size(), 6));
        throw IOError(context +
                      ": not a .npy file (expected the magic string \\x93NUMPY, found \"" +
                      excerpt(head) + "\"" + (bytes.size() < 10 ? ", file too short" : "") + ")");
    }
    const int major = bytes[6], minor = bytes[7];
    if (minor != 0 || major < 1 || major > 3)
        throw IOError(context + ": unsupported .npy format version " + std::to_string(major) + "." +
                      std::to_string(minor) + " (nabla reads 1.0, 2.0 and 3.0)");
    const int len_bytes = major == 1 ? 2 : 4;
    const std::size_t prefix = 8 + static_cast<std::size_t>(len_bytes);
    if (bytes.size() < prefix)
        throw IOError(context + ": truncated file: the header length is cut off");
    const std::size_t header_len = read_le(bytes.data() + 8, len_bytes);
    if (header_len > kMaxHeaderSize)
        throw IOError(context + ": header of " + std::to_string(header_len) +
                      " bytes is longer than NumPy's limit of " + std::to_string(kMaxHeaderSize) +
                      " (corrupt file, or a dtype nabla does not read)");
    if (header_len > bytes.size() - prefix)
        throw IOError(context + ": truncated file: the header is " + std::to_string(header_len) +
                      " bytes but only " + std::to_string(bytes.size() - prefix) + " follow");
    const std::string_view text(reinterpret_cast<const char*>(bytes.data() + prefix), header_len);
    h = header_from_dict(LiteralParser(text, context).parse(), context);
    return prefix + header_len;
}

}  // namespace

namespace detail {

std::uint64_t npy_expected_size(std::span<const std::uint8_t> head, const std::string& context) {
    Header h;
    const std::size_t offset = parse_head(head, context, h);
    return offset + data_bytes(h, context);
}

Tensor parse_npy(std::span<const std::uint8_t> bytes, const std::string& context) {
    Header h;
    const std::size_t offset = parse_head(bytes, context, h);
    const std::size_t prefix = 0, header_len = offset;
    const std::size_t need = data_bytes(h, context);
    const std::size_t have = bytes.size() - prefix - header_len;
    if (have != need)
        throw IOError(context + ": data length mismatch: shape " + to_string(h.shape) + " of " +
                      std::string(name(h.dtype)) + " needs " + std::to_string(need) +
                      " bytes, found " + std::to_string(have) +
                      (have < need ? " (truncated file)" : " (trailing bytes)"));
    Tensor t = Tensor::uninitialized(h.shape, h.dtype);
    const std::uint8_t* src = bytes.data() + prefix + header_len;
    if (h.dtype == bool_) {
        // Any non-zero byte is True; copying the raw byte into a C++ bool
        // would be undefined for values other than 0 and 1.
        bool* dst = t.data<bool>();
        for (std::size_t i = 0; i < need; ++i) dst[i] = src[i] != 0;
    } else if (need > 0) {
        std::memcpy(t.raw_data(), src, need);
    }
    return t;
}

std::string npy_header(const Tensor& t) {
    std::string dict = "{'descr': '" + descr_of(t.dtype()) +
                       "', 'fortran_order': False, 'shape': " + to_string(t.shape()) + ", }";
    // numpy leaves room to grow axis 0 in place (GROWTH_AXIS_MAX_DIGITS).
    if (t.ndim() > 0) dict.append(kGrowthDigits - std::to_string(t.shape()[0]).size(), ' ');
    for (int major : {1, 2}) {
        const std::size_t len_bytes = major == 1 ? 2 : 4;
        const std::size_t hlen = dict.size() + 1;  // + '\n'
        const std::size_t pad = kAlign - (6 + 2 + len_bytes + hlen) % kAlign;
        const std::size_t total = hlen + pad;
        if (major == 1 && total > 0xffff) continue;
        std::string out(reinterpret_cast<const char*>(kMagic), sizeof kMagic);
        out += static_cast<char>(major);
        out += '\0';
        for (std::size_t i = 0; i < len_bytes; ++i)
            out += static_cast<char>((total >> (8 * i)) & 0xff);
        out += dict;
        out.append(pad, ' ');
        out += '\n';
        return out;
    }
    throw ValueError("save_npy: header too large for shape " + to_string(t.shape()));
}

std::vector<std::uint8_t> read_for(const char* op, const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        throw IOError(std::string(op) + ": '" + path.string() +
                      "' is not a regular file (a FIFO or device has no size to check the "
                      "archive against); copy it to a file first");
    try {
        return read_file(path);
    } catch (const IOError& e) {
        throw IOError(std::string(op) + ": " + e.what());
    }
}

// A .npy image from a FIFO or device (/dev/stdin, a pipe): read the header
// first, then no more than it declares plus one byte (which reveals
// trailing data), growing the buffer only as bytes arrive. /dev/zero fails
// at the magic instead of filling memory.
std::vector<std::uint8_t> read_npy_stream(const std::filesystem::path& path,
                                          const std::string& context) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IOError(context + ": cannot open: " + std::strerror(errno));
    std::vector<std::uint8_t> buf;
    auto fill = [&](std::uint64_t n) {
        std::uint8_t chunk[1 << 16];
        while (buf.size() < n) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof chunk, n - buf.size()));
            const ssize_t r = ::read(fd, chunk, want);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                const int err = errno;
                ::close(fd);
                throw IOError(context + ": cannot read: " + std::strerror(err));
            }
            if (r == 0) break;
            buf.insert(buf.end(), chunk, chunk + r);
        }
    };
    try {
        fill(10);
        if (buf.size() == 10 && std::memcmp(buf.data(), kMagic, sizeof kMagic) == 0) {
            const int len_bytes = buf[6] == 1 ? 2 : 4;
            fill(8 + static_cast<std::uint64_t>(len_bytes));
            if (buf.size() == 8u + static_cast<std::size_t>(len_bytes))
                fill(buf.size() + std::min<std::uint64_t>(read_le(buf.data() + 8, len_bytes),
                                                          kMaxHeaderSize));
        }
        fill(npy_expected_size(buf, context) + 1);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return buf;
}

std::span<const std::uint8_t> npy_data(const Tensor& t, Tensor& holder) {
    holder = t.contiguous();
    return {static_cast<const std::uint8_t*>(holder.raw_data()), holder.nbytes()};
}

}  // namespace detail

Tensor npy_from_bytes(std::span<const std::uint8_t> bytes, std::string_view name_for_errors) {
    const std::string context = context_for("load_npy", name_for_errors);
    return detail::with_memory_error(context, [&] { return detail::parse_npy(bytes, context); });
}

std::vector<std::uint8_t> npy_to_bytes(const Tensor& t) {
    if (!t.defined()) throw ValueError("save_npy: the tensor is undefined");
    const std::string header = detail::npy_header(t);
    Tensor holder;
    const auto data = detail::npy_data(t, holder);
    std::vector<std::uint8_t> out(header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

Tensor load_npy(const std::filesystem::path& path) {
    const std::string context = context_for("load_npy", path.string());
    return detail::with_memory_error(context, [&] {
        struct stat st {};
        const bool stream = ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
        const std::vector<std::uint8_t> bytes =
            stream ? detail::read_npy_stream(path, context) : detail::read_for("load_npy", path);
        return detail::parse_npy(bytes, context);
    });
}

void save_npy(const std::filesystem::path& path, const Tensor& t) {
    if (!t.defined())
        throw ValueError("save_npy: '" + path.string() + "': the tensor is undefined");
    const std::string header = detail::npy_header(t);
    Tensor holder;
    const auto data = detail::npy_data(t, holder);
    atomic_write(path, [&](std::ostream& os) {
        os.write(header.data(), static_cast<std::streamsize>(header.size()));
        os.write(reinterpret_cast<const char*>(data.data()),
                 static_cast<std::streamsize>(data.size()));
    });
}

}  // namespace nabla::io
