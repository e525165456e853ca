// Python's str.format / format() for the values a checkpoint name can hold
// (ints and floats), rule for rule, so ModelCheckpoint's file names are the
// ones Keras writes. Checked against Python itself in
// tests/training/test_path_format.cpp.
#include "nabla/training/path_format.hpp"

#include <cmath>
#include <cstdio>
#include <optional>

#include "nabla/training/callbacks.hpp"

namespace nabla::callbacks {

namespace {

struct Spec {
    char fill = ' ';
    char align = 0;  // 0: the type's default
    char sign = '-';
    bool alternate = false;
    bool zero_flag = false;
    std::size_t width = 0;
    char grouping = 0;
    std::optional<int> precision;
    char type = 0;
};

[[noreturn]] void bad_spec(std::string_view spec, const std::string& why) {
    throw ValueError("format: invalid format spec '" + std::string(spec) + "': " + why);
}

std::size_t read_number(std::string_view s, std::size_t& i) {
    std::size_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (n > 100000) bad_spec(s, "width or precision too big");
        n = n * 10 + static_cast<std::size_t>(s[i++] - '0');
    }
    return n;
}

bool is_align(char c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

Spec parse_spec(std::string_view s) {
    Spec p;
    std::size_t i = 0;
    if (s.size() >= 2 && is_align(s[1])) {
        p.fill = s[0];
        p.align = s[1];
        i = 2;
    } else if (!s.empty() && is_align(s[0])) {
        p.align = s[0];
        i = 1;
    }
    if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) p.sign = s[i++];
    if (i < s.size() && s[i] == '#') p.alternate = true, ++i;
    if (i < s.size() && s[i] == '0') {
        p.zero_flag = true;
        if (!p.align) p.fill = '0', p.align = '=';
        ++i;
    }
    p.width = read_number(s, i);
    if (i < s.size() && (s[i] == ',' || s[i] == '_')) p.grouping = s[i++];
    if (i < s.size() && s[i] == '.') {
        ++i;
        const std::size_t start = i;
        const std::size_t n = read_number(s, i);
        if (i == start) bad_spec(s, "Format specifier missing precision");
        p.precision = static_cast<int>(n);
    }
    if (i < s.size()) p.type = s[i++];
    if (i < s.size()) bad_spec(s, "Invalid format specifier");
    return p;
}

// Inserts `sep` every `group` digits from the right of digits[0, end).
std::string group_digits(const std::string& digits, std::size_t end, char sep, std::size_t group) {
    std::string out;
    for (std::size_t i = 0; i < end; ++i) {
        if (i && (end - i) % group == 0) out += sep;
        out += digits[i];
    }
    return out + digits.substr(end);
}

std::size_t decimal_run(const std::string& body) {
    std::size_t i = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    return i;
}

// sign + body, grouped, padded as the spec says (numbers align right).
// `prefix` ("0x" for '#x') goes after the sign, before '=' padding.
std::string finish_number(const Spec& p, bool negative, std::string body, std::size_t group = 3,
                          const std::string& prefix = "") {
    std::string sign = negative ? "-" : p.sign == '+' ? "+" : p.sign == ' ' ? " " : "";
    sign += prefix;
    const char sep = p.grouping;
    // Hex/octal/binary digits (grouped by 4) are all integer part.
    auto integer_part_end = [group](const std::string& b) { return group == 4 ? b.size() : decimal_run(b); };
    const bool digits_first = !body.empty() && body[0] >= '0' && body[0] <= '9';
    if (sep && digits_first && p.zero_flag && p.fill == '0' && p.align == '=') {
        // Python pads with zeros before grouping, so the zeros are grouped too.
        auto render = [&](const std::string& b) { return group_digits(b, integer_part_end(b), sep, group); };
        while (sign.size() + render(body).size() < p.width) body.insert(body.begin(), '0');
        return sign + render(body);
    }
    if (sep) body = group_digits(body, integer_part_end(body), sep, group);
    const std::size_t len = sign.size() + body.size();
    if (len >= p.width) return sign + body;
    const std::size_t pad = p.width - len;
    switch (p.align ? p.align : '>') {
        case '<': return sign + body + std::string(pad, p.fill);
        case '^': return std::string(pad / 2, p.fill) + sign + body + std::string(pad - pad / 2, p.fill);
        case '=': return sign + std::string(pad, p.fill) + body;
        default: return std::string(pad, p.fill) + sign + body;
    }
}

std::string printf_double(const char* conv, int precision, bool alternate, double v) {
    const std::string fmt = std::string(alternate ? "%#.*" : "%.*") + conv;
    const int n = std::snprintf(nullptr, 0, fmt.c_str(), precision, v);
    if (n < 0) throw ValueError("format: cannot format " + python_float_repr(v));
    std::string out(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(out.data(), out.size(), fmt.c_str(), precision, v);
    out.pop_back();
    return out;
}

// Python's format(float, '.p') (no type): 'g' with at least one digit after
// the point in fixed notation, and exponent form from exp10 >= p - 1.
std::string general_with_dot(double v, int p) {
    if (p == 0) p = 1;
    const std::string sci = printf_double("e", p - 1, false, v);
    const int exp10 = std::stoi(sci.substr(sci.find('e') + 1));
    if (exp10 < -4 || exp10 >= p - 1) {
        std::string mant = sci.substr(0, sci.find('e')), exp = sci.substr(sci.find('e'));
        if (mant.find('.') != std::string::npos) {
            while (mant.back() == '0') mant.pop_back();
            if (mant.back() == '.') mant.pop_back();
        }
        return mant + exp;
    }
    std::string fixed = printf_double("f", p - 1 - exp10, false, v);
    if (fixed.find('.') != std::string::npos) {
        while (fixed.back() == '0') fixed.pop_back();
        if (fixed.back() == '.') fixed += '0';
    } else {
        fixed += ".0";
    }
    return fixed;
}

std::string format_double(double v, const Spec& p, std::string_view spec) {
    const char t = p.type;
    if (!(t == 0 || t == 'f' || t == 'F' || t == 'e' || t == 'E' || t == 'g' || t == 'G' || t == '%'))
        bad_spec(spec, std::string("Unknown format code '") + t + "' for object of type 'float'");
    const bool negative = std::signbit(v) && !std::isnan(v);
    const double a = std::fabs(v);
    const bool upper = t == 'F' || t == 'E' || t == 'G';
    if (!std::isfinite(v)) {
        std::string body = std::isnan(v) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        if (t == '%') body += '%';
        return finish_number(p, negative, body);
    }
    const int prec = p.precision.value_or(6);
    std::string body;
    switch (t) {
        case 0: body = p.precision ? general_with_dot(a, prec) : python_float_repr(a); break;
        case 'f': case 'F': body = printf_double("f", prec, p.alternate, a); break;
        case 'e': body = printf_double("e", prec, p.alternate, a); break;
        case 'E': body = printf_double("E", prec, p.alternate, a); break;
        case 'g': body = printf_double("g", prec == 0 ? 1 : prec, p.alternate, a); break;
        case 'G': body = printf_double("G", prec == 0 ? 1 : prec, p.alternate, a); break;
        case '%': body = printf_double("f", prec, p.alternate, a * 100.0) + "%"; break;
    }
    return finish_number(p, negative, body);
}

std::string format_int(std::int64_t v, const Spec& p, std::string_view spec) {
    const char t = p.type;
    if (t == 'e' || t == 'E' || t == 'f' || t == 'F' || t == 'g' || t == 'G' || t == '%')
        return format_double(static_cast<double>(v), p, spec);
    if (!(t == 0 || t == 'd' || t == 'x' || t == 'X' || t == 'o' || t == 'b'))
        bad_spec(spec, std::string("Unknown format code '") + t + "' for object of type 'int'");
    if (p.precision) bad_spec(spec, "Precision not allowed in integer format specifier");
    const bool negative = v < 0;
    // |INT64_MIN| does not fit an int64: work in unsigned.
    std::uint64_t a = negative ? std::uint64_t(0) - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    const unsigned base = t == 'x' || t == 'X' ? 16 : t == 'o' ? 8 : t == 'b' ? 2 : 10;
    if (base != 10 && p.grouping == ',') bad_spec(spec, std::string("Cannot specify ',' with '") + t + "'.");
    std::string digits;
    do {
        const unsigned d = static_cast<unsigned>(a % base);
        digits.insert(digits.begin(), static_cast<char>(d < 10 ? '0' + d : (t == 'X' ? 'A' : 'a') + d - 10));
        a /= base;
    } while (a);
    const std::string prefix = p.alternate && base != 10 ? std::string("0") + t : "";
    return finish_number(p, negative, digits, base == 10 ? 3 : 4, prefix);
}

std::string format_string(const std::string& s, const Spec& p, std::string_view spec) {
    if (p.type != 0 && p.type != 's')
        bad_spec(spec, std::string("Unknown format code '") + p.type + "' for object of type 'str'");
    if (p.sign != '-') bad_spec(spec, "Sign not allowed in string format specifier");
    if (p.align == '=') bad_spec(spec, "'=' alignment not allowed in string format specifier");
    std::string body = p.precision ? s.substr(0, static_cast<std::size_t>(*p.precision)) : s;
    if (body.size() >= p.width) return body;
    const std::size_t pad = p.width - body.size();
    switch (p.align ? p.align : '<') {
        case '>': return std::string(pad, p.fill) + body;
        case '^': return std::string(pad / 2, p.fill) + body + std::string(pad - pad / 2, p.fill);
        default: return body + std::string(pad, p.fill);
    }
}

// str() and repr() of an int or a float are the same text in Python.
std::string python_str(const FormatValue& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    return python_float_repr(std::get<double>(v));
}

}  // namespace

std::string format_value(const FormatValue& value, std::string_view spec) {
    const Spec p = parse_spec(spec);
    if (const auto* i = std::get_if<std::int64_t>(&value)) return format_int(*i, p, spec);
    return format_double(std::get<double>(value), p, spec);
}

std::string format_filepath(std::string_view pattern, const FormatArgs& args) {
    std::string out;
    auto bad = [&](const std::string& why) -> ValueError {
        return ValueError("format: bad field in \"" + std::string(pattern) + "\": " + why);
    };
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '}') {
            if (i + 1 < pattern.size() && pattern[i + 1] == '}') {
                out += '}', ++i;
                continue;
            }
            throw bad("Single '}' encountered in format string");
        }
        if (c != '{') {
            out += c;
            continue;
        }
        if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
            out += '{', ++i;
            continue;
        }
        const std::size_t close = pattern.find('}', i + 1);
        if (close == std::string_view::npos) throw bad("Single '{' encountered in format string");
        const std::string_view field = pattern.substr(i + 1, close - i - 1);
        if (field.find('{') != std::string_view::npos) throw bad("nested fields ({a:{b}}) are not supported");
        const std::size_t colon = field.find(':');
        std::string_view head = field.substr(0, colon);
        const std::string_view spec = colon == std::string_view::npos ? std::string_view() : field.substr(colon + 1);
        char conversion = 0;
        if (const std::size_t bang = head.find('!'); bang != std::string_view::npos) {
            const std::string_view conv = head.substr(bang + 1);
            if (conv != "s" && conv != "r" && conv != "a")
                throw bad("Unknown conversion specifier " + std::string(conv));
            conversion = conv[0];
            head = head.substr(0, bang);
        }
        if (head.empty() || (head[0] >= '0' && head[0] <= '9'))
            throw bad("positional fields ({} or {0}) have no value: name a key, as {epoch} or {val_loss}");
        if (head.find_first_of(".[") != std::string_view::npos)
            throw bad("attribute or index access ('" + std::string(head) + "') is not supported");
        const FormatValue* value = nullptr;
        for (const auto& [k, v] : args)
            if (k == head) value = &v;
        if (!value) throw FormatKeyError(std::string(head), "'" + std::string(head) + "'");
        out += conversion ? format_string(python_str(*value), parse_spec(spec), spec) : format_value(*value, spec);
        i = close;
    }
    return out;
}

}  // namespace nabla::callbacks
