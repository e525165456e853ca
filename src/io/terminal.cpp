#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "io/pixels.hpp"
#include "nabla/io/image.hpp"

namespace nabla::io {
namespace {

TerminalColour detect() {
    const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org
    const char* term = std::getenv("TERM");
    if ((no_color && *no_color) || !term || std::strcmp(term, "dumb") == 0 ||
        ::isatty(STDOUT_FILENO) != 1)
        return TerminalColour::ascii;
    const char* ct = std::getenv("COLORTERM");
    if (ct && (std::strcmp(ct, "truecolor") == 0 || std::strcmp(ct, "24bit") == 0))
        return TerminalColour::truecolor;
    return TerminalColour::ansi256;
}

// xterm's 256-colour palette: 16 is black, 231 white, 232..255 the greys
// 8, 18, ..., 238.
int xterm_grey(int g) {
    if (g < 4) return 16;
    if (g > 246) return 231;
    return 232 + std::min(23, std::max(0, (g - 3) / 10));
}

std::string sgr(TerminalColour mode, bool background, int grey) {
    const char* layer = background ? "4" : "3";
    if (mode == TerminalColour::truecolor) {
        std::string g = std::to_string(grey);
        return "\x1b[" + std::string(layer) + "8;2;" + g + ";" + g + ";" + g + "m";
    }
    return "\x1b[" + std::string(layer) + "8;5;" + std::to_string(xterm_grey(grey)) + "m";
}

std::string render_ascii(const std::vector<std::uint8_t>& ink, int h, int w) {
    static constexpr char kRamp[] = " .:-=+*#%@";  // light to dark
    std::string out;
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            char c = kRamp[ink[static_cast<std::size_t>(y) * w + x] * 10 / 256];
            out += c;
            out += c;  // terminal cells are about twice as tall as wide
        }
        out += '\n';
    }
    return out;
}

std::string render_blocks(const std::vector<std::uint8_t>& ink, int h, int w, TerminalColour mode) {
    std::string out;
    for (int y = 0; y < h; y += 2) {
        std::string fg, bg;  // emit an escape only when the colour changes
        for (int x = 0; x < w; ++x) {
            std::string f = sgr(mode, false, 255 - ink[static_cast<std::size_t>(y) * w + x]);
            // An odd last row keeps the terminal's own background below it.
            std::string b = y + 1 < h ? sgr(mode, true, 255 - ink[static_cast<std::size_t>(y + 1) * w + x])
                                      : "\x1b[49m";
            if (f != fg) out += fg = f;
            if (b != bg) out += bg = b;
            out += "\u2580";  // ▀
        }
        out += "\x1b[0m\n";
    }
    return out;
}

}  // namespace

std::string render_terminal(const Tensor& image, TerminalColour mode) {
    if (!image.defined() || image.ndim() != 2)
        throw ShapeError("render_terminal: expected a 2-D (height, width) image, got shape " +
                         (image.defined() ? to_string(image.shape()) : std::string("<undefined>")));
    const auto h = static_cast<int>(image.shape(0)), w = static_cast<int>(image.shape(1));
    std::vector<std::uint8_t> ink = detail::levels(image, "render_terminal");
    if (mode == TerminalColour::automatic) mode = detect();
    if (mode == TerminalColour::ascii) return render_ascii(ink, h, w);
    return render_blocks(ink, h, w, mode);
}

}  // namespace nabla::io
