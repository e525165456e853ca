#include "io/raster.hpp"

#include <algorithm>
#include <cmath>

#include "io/font.hpp"

namespace nabla::io::detail {

Canvas::Canvas(int width, int height, Rgb background)
    : width_(width), height_(height), clip_{0, 0, width, height},
      rgb_(static_cast<std::size_t>(width) * height * 3) {
    for (std::size_t i = 0; i < rgb_.size(); i += 3) {
        rgb_[i] = background.r;
        rgb_[i + 1] = background.g;
        rgb_[i + 2] = background.b;
    }
}

Rgb Canvas::at(int x, int y) const {
    const std::uint8_t* p = &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
    return {p[0], p[1], p[2]};
}

void Canvas::set_clip(Rect clip) {
    clip_ = {std::max(0, clip.x0), std::max(0, clip.y0), std::min(width_, clip.x1),
             std::min(height_, clip.y1)};
}

void Canvas::reset_clip() { clip_ = {0, 0, width_, height_}; }

void Canvas::blend(int x, int y, Rgb c, double alpha) {
    if (x < clip_.x0 || x >= clip_.x1 || y < clip_.y0 || y >= clip_.y1 || alpha <= 0) return;
    alpha = std::min(alpha, 1.0);
    std::uint8_t* p = &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
    auto mix = [alpha](std::uint8_t dst, std::uint8_t src) {
        return static_cast<std::uint8_t>(std::lround(dst + (src - dst) * alpha));
    };
    p[0] = mix(p[0], c.r);
    p[1] = mix(p[1], c.g);
    p[2] = mix(p[2], c.b);
}

void Canvas::fill_rect(Rect r, Rgb c) {
    for (int y = r.y0; y < r.y1; ++y)
        for (int x = r.x0; x < r.x1; ++x) blend(x, y, c, 1.0);
}

void Canvas::outline_rect(Rect r, int t, Rgb c) {
    fill_rect({r.x0, r.y0, r.x1, r.y0 + t}, c);
    fill_rect({r.x0, r.y1 - t, r.x1, r.y1}, c);
    fill_rect({r.x0, r.y0 + t, r.x0 + t, r.y1 - t}, c);
    fill_rect({r.x1 - t, r.y0 + t, r.x1, r.y1 - t}, c);
}

void Canvas::stroke_segment_into(std::vector<float>& mask, const Rect& box, Point a, Point b,
                                 double hw) const {
    const double dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy;
    const int x0 = std::max(box.x0, static_cast<int>(std::floor(std::min(a.x, b.x) - hw - 1)));
    const int x1 = std::min(box.x1, static_cast<int>(std::ceil(std::max(a.x, b.x) + hw + 1)));
    const int y0 = std::max(box.y0, static_cast<int>(std::floor(std::min(a.y, b.y) - hw - 1)));
    const int y1 = std::min(box.y1, static_cast<int>(std::ceil(std::max(a.y, b.y) + hw + 1)));
    const int stride = box.x1 - box.x0;
    for (int y = y0; y < y1; ++y) {
        for (int x = x0; x < x1; ++x) {
            const double px = x + 0.5 - a.x, py = y + 0.5 - a.y;
            const double t = len2 > 0 ? std::clamp((px * dx + py * dy) / len2, 0.0, 1.0) : 0.0;
            const double d = std::hypot(px - t * dx, py - t * dy);
            const float cover = static_cast<float>(std::clamp(hw + 0.5 - d, 0.0, 1.0));
            float& m = mask[static_cast<std::size_t>(y - box.y0) * stride + (x - box.x0)];
            m = std::max(m, cover);
        }
    }
}

namespace {

// The "on" pieces of a polyline under a dash pattern {on, off}.
std::vector<std::pair<Point, Point>> dash_pieces(const std::vector<Point>& pts, double on,
                                                 double off) {
    std::vector<std::pair<Point, Point>> out;
    bool drawing = true;
    double left = on;  // length left in the current dash or gap
    for (std::size_t i = 1; i < pts.size(); ++i) {
        Point a = pts[i - 1];
        const Point b = pts[i];
        double seg = std::hypot(b.x - a.x, b.y - a.y);
        while (seg > 0) {
            const double step = std::min(seg, left);
            const double f = step / seg;
            const Point m{a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f};
            if (drawing) out.push_back({a, m});
            a = m;
            seg -= step;
            left -= step;
            if (left <= 1e-9) {
                drawing = !drawing;
                left = drawing ? on : off;
            }
        }
    }
    return out;
}

}  // namespace

void Canvas::stroke(const std::vector<Point>& pts, double width, Rgb c,
                    const std::vector<double>& dash) {
    if (pts.empty()) return;
    std::vector<std::pair<Point, Point>> pieces;
    if (dash.size() == 2 && dash[0] > 0 && dash[1] > 0)
        pieces = dash_pieces(pts, dash[0], dash[1]);
    else if (pts.size() == 1)
        pieces.push_back({pts[0], pts[0]});
    else
        for (std::size_t i = 1; i < pts.size(); ++i) pieces.push_back({pts[i - 1], pts[i]});
    const Rect box = clip_;
    if (box.x1 <= box.x0 || box.y1 <= box.y0) return;
    std::vector<float> mask(static_cast<std::size_t>(box.x1 - box.x0) * (box.y1 - box.y0), 0.0f);
    for (const auto& [a, b] : pieces) stroke_segment_into(mask, box, a, b, width / 2);
    const int stride = box.x1 - box.x0;
    for (int y = box.y0; y < box.y1; ++y)
        for (int x = box.x0; x < box.x1; ++x)
            if (float m = mask[static_cast<std::size_t>(y - box.y0) * stride + (x - box.x0)]; m > 0)
                blend(x, y, c, m);
}

void Canvas::disc(Point c0, double r, Rgb c) {
    const int x0 = static_cast<int>(std::floor(c0.x - r - 1)), x1 = static_cast<int>(std::ceil(c0.x + r + 1));
    const int y0 = static_cast<int>(std::floor(c0.y - r - 1)), y1 = static_cast<int>(std::ceil(c0.y + r + 1));
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            blend(x, y, c, std::clamp(r + 0.5 - std::hypot(x + 0.5 - c0.x, y + 0.5 - c0.y), 0.0, 1.0));
}

void Canvas::text(int x, int y, std::string_view utf8, int scale, Rgb c) {
    for (char32_t ch : decode_utf8(utf8)) {
        const Glyph& g = glyph(ch);
        for (int gy = 0; gy < kGlyphHeight; ++gy)
            for (int gx = 0; gx < kGlyphWidth; ++gx)
                if (g.ink(gx, gy))
                    fill_rect({x + gx * scale, y + gy * scale, x + (gx + 1) * scale, y + (gy + 1) * scale}, c);
        x += kGlyphAdvance * scale;
    }
}

void Canvas::text_vertical(int x, int y, std::string_view utf8, int scale, Rgb c) {
    // Glyph pixel (gx, gy) of the k-th character lands at column gy and at
    // row (length - 1 - (k * advance + gx)) of the rotated box.
    const int len = text_width(utf8, scale) / scale;
    int k = 0;
    for (char32_t ch : decode_utf8(utf8)) {
        const Glyph& g = glyph(ch);
        for (int gy = 0; gy < kGlyphHeight; ++gy)
            for (int gx = 0; gx < kGlyphWidth; ++gx)
                if (g.ink(gx, gy)) {
                    const int col = gy, row = len - 1 - (k * kGlyphAdvance + gx);
                    fill_rect({x + col * scale, y + row * scale, x + (col + 1) * scale,
                               y + (row + 1) * scale}, c);
                }
        ++k;
    }
}

int Canvas::text_width(std::string_view utf8, int scale) {
    const auto n = static_cast<int>(decode_utf8(utf8).size());
    return n == 0 ? 0 : (n * kGlyphAdvance - 1) * scale;
}

int Canvas::text_height(int scale) { return kGlyphHeight * scale; }

}  // namespace nabla::io::detail
