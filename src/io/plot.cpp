// Training curves drawn with our own rasteriser and bitmap font (see
// docs/data.md for why not a plotting library).
#include "nabla/io/plot.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "io/pixels.hpp"
#include "io/raster.hpp"
#include "io/replace_file.hpp"
#include "io/ticks.hpp"
#include "nabla/core/error.hpp"

namespace nabla::io {
namespace detail {

// to_chars/from_chars: a program's locale must not turn "0.5" into "0,5".
std::string format_tick(double v, int decimals) {
    char buf[400];
    auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    std::string s(buf, res.ec == std::errc{} ? res.ptr : buf);
    if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
    return s;
}

Ticks nice_ticks(double lo, double hi, int target, bool integer_only) {
    Ticks t;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) {
        t.values = {lo};
        return t;
    }
    const double raw = (hi - lo) / std::max(1, target);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10 * mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * mag >= raw * (1 - 1e-9)) {
            step = m * mag;
            break;
        }
    if (integer_only) step = std::max(1.0, std::round(step));
    t.decimals = integer_only ? 0 : std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    // Round-trip through the printed form so 3 * 0.2 is 0.6, not 0.6000000000000001.
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1)
    {
        const std::string text = format_tick(k * step, t.decimals);
        double v = k * step;
        std::from_chars(text.data(), text.data() + text.size(), v);
        t.values.push_back(v);
    }
    return t;
}

}  // namespace detail

namespace {

using detail::Canvas;
using detail::Point;
using detail::Rect;
using detail::Rgb;

constexpr int kText = 2;  // font scale: 10x18-pixel glyphs
constexpr Rgb kTrainColour{31, 119, 180};
constexpr Rgb kValColour{255, 127, 14};
constexpr Rgb kAxis{64, 64, 64};
constexpr Rgb kGrid{232, 232, 232};
constexpr Rgb kInk{20, 20, 20};
constexpr Rgb kLegendBorder{200, 200, 200};
const std::vector<double> kDash{7.0, 5.0};

struct Series {
    const std::vector<double>* values;
    std::string label;
    Rgb colour;
    bool validation;
};

struct Panel {
    std::string metric;  // "loss", "accuracy"
    const std::vector<double>* train = nullptr;
    const std::vector<double>* val = nullptr;
};

std::vector<Panel> group_panels(const std::map<std::string, std::vector<double>>& history) {
    std::map<std::string, Panel> by_metric;
    for (const auto& [key, values] : history) {
        if (values.empty())
            throw ValueError("plot_history: the series '" + key + "' has no values");
        const bool val = key.rfind("val_", 0) == 0 && key.size() > 4;
        Panel& p = by_metric[val ? key.substr(4) : key];
        p.metric = val ? key.substr(4) : key;
        (val ? p.val : p.train) = &values;
    }
    std::vector<Panel> out;
    if (auto it = by_metric.find("loss"); it != by_metric.end()) out.push_back(it->second);
    for (const auto& [metric, p] : by_metric)
        if (metric != "loss") out.push_back(p);
    return out;
}

// "sparse_categorical_accuracy" -> "sparse categorical accuracy";
// acc -> accuracy; the usual abbreviations in capitals (mae -> MAE).
std::string metric_words(std::string m) {
    if (m == "acc") m = "accuracy";
    for (const char* acronym : {"mae", "mse", "rmse", "mape", "auc"})
        if (m == acronym) std::transform(m.begin(), m.end(), m.begin(), ::toupper);
    std::replace(m.begin(), m.end(), '_', ' ');
    return m;
}

std::string capitalised(std::string s) {
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
}

struct Axes {
    Rect area;
    double xlo, xhi, ylo, yhi;
    Point at(double x, double y) const {
        return {area.x0 + (x - xlo) / (xhi - xlo) * (area.x1 - area.x0),
                area.y1 - (y - ylo) / (yhi - ylo) * (area.y1 - area.y0)};
    }
};

// Finite data range with 5% margins, as matplotlib's autoscaling.
std::pair<double, double> value_range(const std::vector<Series>& series) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& s : series)
        for (double v : *s.values)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (lo > hi) return {0.0, 1.0};  // nothing finite to show
    if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
        const double d = std::max(std::abs(hi) * 0.05, 1e-3);
        return {lo - d, hi + d};
    }
    const double pad = 0.05 * (hi - lo);
    return {lo - pad, hi + pad};
}

// The finite stretches of a series as pixel polylines.
std::vector<std::vector<Point>> runs(const std::vector<double>& v, const Axes& ax) {
    std::vector<std::vector<Point>> out(1);
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (std::isfinite(v[i]))
            out.back().push_back(ax.at(static_cast<double>(i + 1), v[i]));
        else if (!out.back().empty())
            out.emplace_back();
    }
    if (out.back().empty()) out.pop_back();
    return out;
}

void draw_axes(Canvas& c, const Axes& ax, const detail::Ticks& xt, const detail::Ticks& yt) {
    const Rect& a = ax.area;
    for (double v : yt.values) {
        const int y = static_cast<int>(std::lround(ax.at(0, v).y - 0.5));
        c.fill_rect({a.x0 + 1, y, a.x1 - 1, y + 1}, kGrid);
        c.fill_rect({a.x0 - 6, y, a.x0, y + 1}, kAxis);
        const std::string label = detail::format_tick(v, yt.decimals);
        c.text(a.x0 - 10 - Canvas::text_width(label, kText), y - 7 * kText / 2, label, kText, kInk);
    }
    for (double v : xt.values) {
        const int x = static_cast<int>(std::lround(ax.at(v, 0).x - 0.5));
        c.fill_rect({x, a.y1, x + 1, a.y1 + 6}, kAxis);
        const std::string label = detail::format_tick(v, xt.decimals);
        c.text(x - Canvas::text_width(label, kText) / 2, a.y1 + 10, label, kText, kInk);
    }
    c.outline_rect({a.x0 - 1, a.y0 - 1, a.x1 + 1, a.y1 + 1}, 1, kAxis);
}

void draw_series(Canvas& c, const Axes& ax, const Series& s) {
    for (const auto& run : runs(*s.values, ax)) {
        c.stroke(run, 2.0, s.colour, s.validation ? kDash : std::vector<double>{});
        if (!s.validation)
            for (const Point& p : run) c.disc(p, 3.5, s.colour);
    }
}

// How many curve samples fall inside r: the legend goes where this is least.
int crowding(const Rect& r, const std::vector<Series>& series, const Axes& ax) {
    int n = 0;
    for (const auto& s : series)
        for (const auto& run : runs(*s.values, ax))
            for (std::size_t i = 0; i < run.size(); ++i) {
                const Point a = run[i], b = i + 1 < run.size() ? run[i + 1] : run[i];
                const int steps = 1 + static_cast<int>(std::hypot(b.x - a.x, b.y - a.y) / 2);
                for (int k = 0; k < steps; ++k) {
                    const double x = a.x + (b.x - a.x) * k / steps, y = a.y + (b.y - a.y) * k / steps;
                    n += x >= r.x0 - 4 && x < r.x1 + 4 && y >= r.y0 - 4 && y < r.y1 + 4;
                }
            }
    return n;
}

void draw_legend(Canvas& c, const Axes& ax, const std::vector<Series>& series) {
    const int th = Canvas::text_height(kText), row = th + 8;
    int label_w = 0;
    for (const auto& s : series) label_w = std::max(label_w, Canvas::text_width(s.label, kText));
    const int w = 12 + 36 + 10 + label_w + 12, h = 10 + static_cast<int>(series.size()) * row;
    const Rect& a = ax.area;
    const Rect corners[] = {{a.x1 - 10 - w, a.y0 + 10, a.x1 - 10, a.y0 + 10 + h},
                            {a.x0 + 10, a.y0 + 10, a.x0 + 10 + w, a.y0 + 10 + h},
                            {a.x1 - 10 - w, a.y1 - 10 - h, a.x1 - 10, a.y1 - 10},
                            {a.x0 + 10, a.y1 - 10 - h, a.x0 + 10 + w, a.y1 - 10}};
    Rect best = corners[0];
    int best_score = std::numeric_limits<int>::max();
    for (const Rect& r : corners)
        if (int score = crowding(r, series, ax); score < best_score) best = r, best_score = score;
    c.fill_rect(best, {255, 255, 255});
    c.outline_rect(best, 1, kLegendBorder);
    for (std::size_t i = 0; i < series.size(); ++i) {
        const int y = best.y0 + 8 + static_cast<int>(i) * row;
        const double mid = y + 7.0 * kText / 2;
        const Series& s = series[i];
        c.stroke({{best.x0 + 12.0, mid}, {best.x0 + 48.0, mid}}, 2.0, s.colour,
                 s.validation ? kDash : std::vector<double>{});
        if (!s.validation) c.disc({best.x0 + 30.0, mid}, 3.5, s.colour);
        c.text(best.x0 + 58, y, s.label, kText, kInk);
    }
}

void draw_panel(Canvas& c, int x0, int width, int height, const Panel& p) {
    const std::string words = metric_words(p.metric);
    std::vector<Series> series;
    if (p.train) series.push_back({p.train, "Training " + words, kTrainColour, false});
    if (p.val) series.push_back({p.val, "Validation " + words, kValColour, true});
    std::size_t n = 0;
    for (const auto& s : series) n = std::max(n, s.values->size());

    auto [ylo, yhi] = value_range(series);
    const detail::Ticks yt = detail::nice_ticks(ylo, yhi, 6);
    const double xpad = n > 1 ? 0.05 * static_cast<double>(n - 1) : 0.5;
    detail::Ticks xt;
    if (n <= 10)
        for (std::size_t e = 1; e <= n; ++e) xt.values.push_back(static_cast<double>(e));
    else
        xt = detail::nice_ticks(1, static_cast<double>(n), 8, true);

    int tick_w = 0;
    for (double v : yt.values)
        tick_w = std::max(tick_w, Canvas::text_width(detail::format_tick(v, yt.decimals), kText));
    const int th = Canvas::text_height(kText);
    const int left = 14 + th + 12 + tick_w + 10, right = 24, top = 16 + th + 14;
    const int bottom = 10 + th + 12 + th + 14;
    const Axes ax{{x0 + left, top, x0 + width - right, height - bottom},
                  1 - xpad, static_cast<double>(n) + xpad, ylo, yhi};
    if (ax.area.x1 - ax.area.x0 < 40 || ax.area.y1 - ax.area.y0 < 40)
        throw ValueError("plot_history: panels of " + std::to_string(width) + "x" +
                         std::to_string(height) + " pixels are too small for axes and labels");

    draw_axes(c, ax, xt, yt);
    const std::string title = p.train && p.val ? "Training and validation " + words
                              : p.train      ? "Training " + words
                                             : "Validation " + words;
    const int cx = (ax.area.x0 + ax.area.x1) / 2, cy = (ax.area.y0 + ax.area.y1) / 2;
    c.text(cx - Canvas::text_width(title, kText) / 2, 16, title, kText, kInk);
    c.text(cx - Canvas::text_width("Epochs", kText) / 2, ax.area.y1 + 10 + th + 12, "Epochs",
           kText, kInk);
    const std::string ylabel = capitalised(words);
    c.text_vertical(x0 + 14, cy - Canvas::text_width(ylabel, kText) / 2, ylabel, kText, kInk);

    c.set_clip({ax.area.x0, ax.area.y0, ax.area.x1, ax.area.y1});
    for (const auto& s : series) draw_series(c, ax, s);
    c.reset_clip();
    draw_legend(c, ax, series);
}

}  // namespace

void plot_history(const std::filesystem::path& path,
                  const std::map<std::string, std::vector<double>>& history,
                  const PlotOptions& options) {
    if (history.empty())
        throw ValueError("plot_history: the history is empty (no 'loss' or other series to plot)");
    if (options.panel_width < 1 || options.height < 1 || options.panel_width > 8192 ||
        options.height > 8192)
        throw ValueError("plot_history: panel size must be within 1..8192 pixels, got " +
                         std::to_string(options.panel_width) + "x" + std::to_string(options.height));
    const std::vector<Panel> panels = group_panels(history);
    Canvas canvas(options.panel_width * static_cast<int>(panels.size()), options.height,
                  {255, 255, 255});
    for (std::size_t i = 0; i < panels.size(); ++i)
        draw_panel(canvas, static_cast<int>(i) * options.panel_width, options.panel_width,
                   options.height, panels[i]);
    detail::replace_file(path, detail::encode_png(canvas.pixels().data(), canvas.width(),
                                                  canvas.height(), 3, path.string()));
}

}  // namespace nabla::io
