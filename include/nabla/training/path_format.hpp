#pragma once
// Python's str.format for checkpoint file names, as Keras's ModelCheckpoint
// uses it: filepath.format(epoch=epoch + 1, **logs).
//
//   format_filepath("ckpt-{epoch:02d}-{val_loss:.2f}.keras", {{"epoch", 3}, {"val_loss", 0.2567}})
//       == "ckpt-03-0.26.keras"
//
// Fields are {name}, {name:spec}, {name!s}, {name!r} and {name!s:spec};
// "{{" and "}}" are literal braces. The spec is Python's format mini-language
// [[fill]align][sign][#][0][width][,|_][.precision][type] with types d, f, F,
// e, E, g, G, % and s (s only after !s or !r, as Python: a number has no 's'
// format). Integers (epoch, batch) and floats (logs) behave as Python's int
// and float: 'd' on a float is an error, 'f' on an int prints it as a float.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "nabla/core/error.hpp"

namespace nabla::callbacks {

// Python's KeyError from str.format: a field names a value that is not there.
struct FormatKeyError : ValueError {
    FormatKeyError(std::string key, const std::string& message) : ValueError(message), key(std::move(key)) {}
    std::string key;
};

using FormatValue = std::variant<std::int64_t, double>;
using FormatArgs = std::vector<std::pair<std::string, FormatValue>>;

// A missing name throws FormatKeyError (Python's KeyError: what() is the name
// quoted, "'val_los'"); a bad spec or field throws ValueError saying why.
std::string format_filepath(std::string_view pattern, const FormatArgs& args);

// Formats one value with one spec (the part after ':'), as Python's format().
std::string format_value(const FormatValue& value, std::string_view spec);

}  // namespace nabla::callbacks
