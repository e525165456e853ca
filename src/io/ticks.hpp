#pragma once
// Internal: axis ticks at "nice" numbers (1, 2 or 5 times a power of ten),
// as chart libraries choose them.
#include <string>
#include <vector>

namespace nabla::io::detail {

struct Ticks {
    std::vector<double> values;  // ascending, inside [lo, hi]
    int decimals = 0;            // enough to tell neighbouring ticks apart
};

// About `target` ticks (never more than target + 1) covering [lo, hi];
// integer_only gives steps of at least 1 (epochs).
Ticks nice_ticks(double lo, double hi, int target, bool integer_only = false);
// "0.25", "3", never "-0.00".
std::string format_tick(double v, int decimals);

}  // namespace nabla::io::detail
