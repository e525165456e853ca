#pragma once
// Internal: a small RGB rasteriser for nabla's pictures (digit grids, training
// curves). Anti-aliased strokes come from exact coverage: a pixel's alpha is
// how far its centre lies inside the stroke's outline (distance to the
// segment against half the width), which also gives round joins and caps.
#include <cstdint>
#include <string_view>
#include <vector>

namespace nabla::io::detail {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb&) const = default;
};

struct Point {
    double x = 0, y = 0;
};

// Pixel rectangle [x0, x1) x [y0, y1).
struct Rect {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

class Canvas {
public:
    Canvas(int width, int height, Rgb background);

    int width() const { return width_; }
    int height() const { return height_; }
    Rgb at(int x, int y) const;
    // RGB bytes, row by row.
    const std::vector<std::uint8_t>& pixels() const { return rgb_; }

    // Drawing is limited to `clip` (the whole canvas by default).
    void set_clip(Rect clip);
    void reset_clip();

    // Mixes c into a pixel with weight alpha in [0, 1].
    void blend(int x, int y, Rgb c, double alpha);
    void fill_rect(Rect r, Rgb c);
    void outline_rect(Rect r, int thickness, Rgb c);

    // An anti-aliased polyline; `dash` = {on, off} lengths in pixels, empty
    // for a solid line. Overlapping segments do not darken the joins.
    void stroke(const std::vector<Point>& points, double width, Rgb c,
                const std::vector<double>& dash = {});
    void disc(Point centre, double radius, Rgb c);

    // Bitmap text, each font pixel a scale x scale square; (x, y) is the top
    // left corner of the first glyph cell (text_height(scale) tall).
    void text(int x, int y, std::string_view utf8, int scale, Rgb c);
    // Rotated a quarter turn counter-clockwise (reads bottom to top), as a
    // y-axis label; (x, y) is the top left of the rotated box.
    void text_vertical(int x, int y, std::string_view utf8, int scale, Rgb c);
    static int text_width(std::string_view utf8, int scale);
    static int text_height(int scale);

private:
    void stroke_segment_into(std::vector<float>& mask, const Rect& box, Point a, Point b,
                             double half_width) const;

    int width_, height_;
    Rect clip_;
    std::vector<std::uint8_t> rgb_;
};

}  // namespace nabla::io::detail
