// Tensor text in NumPy's style: str(ndarray), i.e. numpy.array2string with
// the default print options (precision 8, threshold 1000, edgeitems 3,
// linewidth 75, floatmode 'maxprec', no suppression). The layout code mirrors
// numpy/core/arrayprint.py (_formatArray, _extendLine, FloatingFormat) so that
// the two agree character for character, line wrapping included.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "dispatch.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla {
namespace {

constexpr int kPrecision = 8;
constexpr std::int64_t kThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;
constexpr long kLineWidth = 75;

// ---------------------------------------------------------------------------
// Which elements are printed

// The indices shown along an axis of length n: all of them, or the three
// leading and three trailing ones when the tensor is summarised.
std::vector<std::int64_t> shown_indices(std::int64_t n, bool summarise) {
    std::vector<std::int64_t> idx;
    if (summarise && n > 2 * kEdgeItems) {
        for (std::int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
        for (std::int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
        for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
}

// The printed elements in C order. NumPy sizes its columns from these alone
// (arrayprint._leading_trailing), so a huge outlier in the hidden middle does
// not change the format.
template <typename T>
std::vector<T> shown_values(const Tensor& t, bool summarise) {
    std::vector<std::vector<std::int64_t>> axes;
    for (auto n : t.shape()) axes.push_back(shown_indices(n, summarise));
    const T* base = static_cast<const T*>(t.raw_data());
    const auto& strides = t.strides();
    std::vector<T> out;
    auto walk = [&](auto& self, std::size_t axis, std::int64_t off) -> void {
        if (axis == axes.size()) {
            out.push_back(base[off]);
            return;
        }
        for (auto i : axes[axis]) self(self, axis + 1, off + i * strides[axis]);
    };
    walk(walk, 0, 0);
    return out;
}

// ---------------------------------------------------------------------------
// Number -> digits

template <typename T, typename... Args>
std::string chars(T x, Args... args) {
    char buf[512];  // fixed notation of DBL_MAX needs 309 digits
    auto res = std::to_chars(buf, buf + sizeof buf, x, args...);
    return std::string(buf, res.ptr);
}

void trim_trailing_zeros(std::string& digits) {
    if (digits.find('.') == std::string::npos) return;
    while (digits.back() == '0') digits.pop_back();
}

struct Scientific {
    std::string int_part;   // "-1"
    std::string frac_part;  // "5" (may be empty)
    std::string exponent;   // "-05"
};

Scientific split_scientific(const std::string& s) {
    const auto e = s.find('e');
    const auto dot = s.find('.');
    Scientific out;
    out.exponent = s.substr(e + 1);
    out.int_part = s.substr(0, dot == std::string::npos ? e : dot);
    if (dot != std::string::npos) out.frac_part = s.substr(dot + 1, e - dot - 1);
    return out;
}

// The shortest round-trip digits of x written out positionally, always with
// a point: "0.1", "2.", "1809832200." for float32 1809832192 (Dragon4 fills
// with zeros after the unique digits; to_chars' fixed form would print the
// exact integer instead).
template <typename T>
std::string shortest_fixed(T x) {
    const Scientific s = split_scientific(chars(x, std::chars_format::scientific));
    std::string digits = s.int_part + s.frac_part;
    std::string sign;
    if (digits[0] == '-') {
        sign = "-";
        digits.erase(0, 1);
    }
    const long int_len = std::stol(s.exponent) + 1;  // digits before the point
    const long n = static_cast<long>(digits.size());
    if (int_len <= 0)
        return sign + "0." + std::string(static_cast<std::size_t>(-int_len), '0') + digits;
    if (int_len >= n)
        return sign + digits + std::string(static_cast<std::size_t>(int_len - n), '0') + ".";
    return sign + digits.substr(0, static_cast<std::size_t>(int_len)) + "." +
           digits.substr(static_cast<std::size_t>(int_len));
}

// numpy.format_float_positional(x, precision, unique=True, trim='.'): the
// shortest digits that identify x in its own type, rounded to `precision`
// fraction digits when longer; "1." keeps its point. Rounding is exact and
// half-to-even in both (to_chars and Dragon4).
template <typename T>
std::string positional(T x, int precision) {
    std::string s = shortest_fixed(x);
    if (static_cast<int>(s.size() - s.find('.') - 1) > precision) {
        s = chars(x, std::chars_format::fixed, precision);
        trim_trailing_zeros(s);
        if (s.find('.') == std::string::npos) s += '.';
    }
    return s;
}

// numpy.format_float_scientific(x, precision, unique=True, trim='.'): the
// shortest digits, rounded to `precision` mantissa fraction digits when longer.
template <typename T>
Scientific scientific(T x, int precision) {
    Scientific s = split_scientific(chars(x, std::chars_format::scientific));
    if (static_cast<int>(s.frac_part.size()) > precision) {
        s = split_scientific(chars(x, std::chars_format::scientific, precision));
        while (!s.frac_part.empty() && s.frac_part.back() == '0') s.frac_part.pop_back();
    }
    return s;
}

std::string right_align(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

// ---------------------------------------------------------------------------
// Element formatters: every printed element as a string of the same width

template <typename T>
std::vector<std::string> format_integers(const std::vector<T>& values) {
    std::vector<std::string> words;
    std::size_t width = 0;
    for (T v : values) {
        words.push_back(std::to_string(static_cast<std::int64_t>(v)));
        width = std::max(width, words.back().size());
    }
    for (auto& w : words) w = right_align(w, width);
    return words;
}

std::vector<std::string> format_bools(const std::vector<bool>& values) {
    std::vector<std::string> words;
    for (bool v : values) words.push_back(v ? " True" : "False");
    return words;
}

// NumPy's FloatingFormat.fillFormat: scientific notation when the non-zero
// finite magnitudes reach 1e8, go below 1e-4 or span more than three decades;
// then a common integer width and fraction width over all printed elements.
template <typename T>
struct FloatFormat {
    bool exp_format = false;
    std::size_t pad_left = 0;
    std::size_t pad_right = 0;
    std::size_t precision = 0;  // scientific: fraction digits of every mantissa
    std::size_t exp_size = 0;   // scientific: digits of every exponent

    explicit FloatFormat(const std::vector<T>& values) {
        std::vector<T> finite;
        for (T v : values)
            if (std::isfinite(v)) finite.push_back(v);
        choose_notation(finite);
        if (exp_format)
            size_scientific(finite);
        else
            size_positional(finite);
        fit_non_finite(values);
    }

    void choose_notation(const std::vector<T>& finite) {
        bool any = false;
        T max_val = 0, min_val = 0;
        for (T v : finite) {
            const T a = std::abs(v);
            if (a == 0) continue;
            max_val = any ? std::max(max_val, a) : a;
            min_val = any ? std::min(min_val, a) : a;
            any = true;
        }
        if (!any) return;
        // The thresholds compare as double (NumPy's Python floats); the ratio
        // is computed in T, as NumPy divides two scalars of the array's type.
        const T ratio = static_cast<T>(max_val / min_val);
        exp_format = static_cast<double>(max_val) >= 1e8 || static_cast<double>(min_val) < 1e-4 ||
                     ratio > T(1000);
    }

    void size_scientific(const std::vector<T>& finite) {
        for (T v : finite) {
            const Scientific s = scientific(v, kPrecision);
            pad_left = std::max(pad_left, s.int_part.size());
            precision = std::max(precision, s.frac_part.size());
            exp_size = std::max(exp_size, s.exponent.size() - 1);
        }
        pad_right = exp_size + 2 + precision;
    }

    void size_positional(const std::vector<T>& finite) {
        for (T v : finite) {
            const std::string s = positional(v, kPrecision);
            const auto dot = s.find('.');
            pad_left = std::max(pad_left, dot);
            pad_right = std::max(pad_right, s.size() - dot - 1);
        }
    }

    void fit_non_finite(const std::vector<T>& values) {
        bool non_finite = false, neg_inf = false;
        for (T v : values) {
            non_finite |= !std::isfinite(v);
            neg_inf |= std::isinf(v) && v < 0;
        }
        if (!non_finite) return;
        const std::size_t offset = pad_right + 1;
        const std::size_t longest = neg_inf ? 4 : 3;  // "-inf" or "nan"/"inf"
        if (longest > offset) pad_left = std::max(pad_left, longest - offset);
    }

    std::string operator()(T x) const {
        if (!std::isfinite(x)) {
            const char* word = std::isnan(x) ? "nan" : x < 0 ? "-inf" : "inf";
            return right_align(word, pad_left + pad_right + 1);
        }
        if (exp_format) {
            // NumPy passes min_digits = precision here, and Dragon4 then
            // prints true digits past the shortest ones: float32 1e-4 with
            // 7 digits is 9.9999997e-05, not 1.0000000e-04. That is the
            // exactly rounded value at `precision` digits.
            const Scientific s = split_scientific(
                chars(x, std::chars_format::scientific, static_cast<int>(precision)));
            std::string exp_digits = s.exponent.substr(1);
            if (exp_digits.size() < exp_size)
                exp_digits.insert(0, exp_size - exp_digits.size(), '0');
            return right_align(s.int_part, pad_left) + "." + s.frac_part + "e" + s.exponent[0] +
                   exp_digits;
        }
        const std::string s = positional(x, kPrecision);
        const auto dot = s.find('.');
        std::string out = right_align(s.substr(0, dot), pad_left) + s.substr(dot);
        out.resize(pad_left + 1 + pad_right, ' ');
        return out;
    }
};

template <typename T>
std::vector<std::string> format_floats(const std::vector<T>& values) {
    const FloatFormat<T> fmt(values);
    std::vector<std::string> words;
    words.reserve(values.size());
    for (T v : values) words.push_back(fmt(v));
    return words;
}

std::vector<std::string> format_elements(const Tensor& t, bool summarise) {
    return detail::dispatch(t.dtype(), [&]<typename T>() {
        const std::vector<T> values = shown_values<T>(t, summarise);
        if constexpr (std::is_same_v<T, bool>)
            return format_bools(values);
        else if constexpr (std::is_floating_point_v<T>)
            return format_floats(values);
        else
            return format_integers(values);
    });
}

// ---------------------------------------------------------------------------
// 0-d tensors print as NumPy's scalar str(): "1.0", "1e-05", "True", "7".

template <typename T>
std::string scalar_string(T x) {
    if constexpr (std::is_same_v<T, bool>) {
        return x ? "True" : "False";
    } else if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x)) return "nan";
        if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
        const double a = std::abs(static_cast<double>(x));
        if (a == 0 || (a >= 1e-4 && a < 1e16)) {
            std::string s = shortest_fixed(x);
            if (s.back() == '.') s += '0';
            return s;
        }
        return chars(x, std::chars_format::scientific);
    } else {
        return std::to_string(static_cast<std::int64_t>(x));
    }
}

// ---------------------------------------------------------------------------
// Layout: arrayprint._formatArray with separator ' ' and no prefix

void extend_line(std::string& s, std::string& line, const std::string& word, long width,
                 const std::string& next_line_prefix) {
    bool wrap = static_cast<long>(line.size() + word.size()) > width;
    if (line.size() <= next_line_prefix.size()) wrap = false;  // wrapping would not help
    if (wrap) {
        while (!line.empty() && line.back() == ' ') line.pop_back();
        s += line + '\n';
        line = next_line_prefix;
    }
    line += word;
}

class Layout {
public:
    Layout(const Shape& shape, const std::vector<std::string>& words, bool summarise)
        : shape_(shape), words_(words), summarise_(summarise) {}

    std::string format() { return recurse(0, " ", kLineWidth); }

private:
    // One bracketed block for the sub-tensor at `axis`; `hanging` is the
    // indent of its continuation lines, `width` the columns it may use.
    std::string recurse(std::size_t axis, const std::string& hanging, long width) {
        const std::int64_t n = shape_[axis];
        const bool summary = summarise_ && n > 2 * kEdgeItems;
        const std::int64_t leading = summary ? kEdgeItems : 0;
        const std::int64_t trailing = summary ? kEdgeItems : n;
        const std::string s = shape_.size() - axis == 1
                                  ? row(leading, trailing, summary, hanging, width)
                                  : block(axis, leading, trailing, summary, hanging, width);
        return '[' + s.substr(hanging.size()) + ']';
    }

    // The last axis: elements separated by spaces, wrapped at `width`.
    std::string row(std::int64_t leading, std::int64_t trailing, bool summary,
                    const std::string& hanging, long width) {
        const long elem_width = width - 1;  // room for the closing ']'
        std::string s, line = hanging;
        for (std::int64_t i = 0; i < leading; ++i) {
            extend_line(s, line, words_[next_++], elem_width, hanging);
            line += ' ';
        }
        if (summary) {
            extend_line(s, line, "...", elem_width, hanging);
            line += ' ';
        }
        for (std::int64_t i = trailing; i > 1; --i) {
            extend_line(s, line, words_[next_++], elem_width, hanging);
            line += ' ';
        }
        extend_line(s, line, words_[next_++], elem_width, hanging);
        return s + line;
    }

    // Outer axes: sub-blocks one per line, with one blank line per extra axis.
    std::string block(std::size_t axis, std::int64_t leading, std::int64_t trailing, bool summary,
                      const std::string& hanging, long width) {
        const std::string line_sep(shape_.size() - axis - 1, '\n');
        const std::string inner_hanging = hanging + ' ';
        std::string s;
        for (std::int64_t i = 0; i < leading; ++i)
            s += hanging + recurse(axis + 1, inner_hanging, width - 1) + line_sep;
        if (summary) s += hanging + "..." + line_sep;
        for (std::int64_t i = trailing; i > 1; --i)
            s += hanging + recurse(axis + 1, inner_hanging, width - 1) + line_sep;
        return s + hanging + recurse(axis + 1, inner_hanging, width - 1);
    }

    const Shape& shape_;
    const std::vector<std::string>& words_;
    bool summarise_;
    std::size_t next_ = 0;
};

}  // namespace

std::string Tensor::to_string() const {
    if (!defined()) return "<undefined Tensor>";
    if (ndim() == 0)
        return detail::dispatch(dtype(), [&]<typename T>() {
            return scalar_string(*static_cast<const T*>(raw_data()));
        });
    if (size() == 0) return "[]";
    const bool summarise = size() > kThreshold;
    const std::vector<std::string> words = format_elements(*this, summarise);
    return Layout(shape(), words, summarise).format();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

}  // namespace nabla
