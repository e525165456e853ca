#pragma once
// Internal: a small bitmap font for text in pictures (digit-grid labels,
// chart titles, ticks and legends), so that pictures need no font files.
//
// Every glyph is 5 pixels wide and 9 tall: rows 0-6 hold capitals and
// digits (the baseline is under row 6), rows 7-8 the descenders of g, j,
// p, q, y and commas. It covers printable ASCII and the arrow U+2192 used in
// "7→1" labels; anything else is drawn as a hollow box.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace nabla::io::detail {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 9;
inline constexpr int kGlyphAdvance = 6;  // one blank column between glyphs

// Bit (kGlyphWidth - 1 - x) of rows[y] is the pixel at column x.
struct Glyph {
    std::array<std::uint8_t, kGlyphHeight> rows{};
    bool ink(int x, int y) const { return (rows[y] >> (kGlyphWidth - 1 - x)) & 1; }
};

const Glyph& glyph(char32_t c);
// The code points of a UTF-8 string (invalid bytes become U+FFFD).
std::u32string decode_utf8(std::string_view s);

}  // namespace nabla::io::detail
