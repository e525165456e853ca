#pragma once
// Internal: name matching shared by losses::get, optimizers::get, metrics::get.
#include <cctype>
#include <string>
#include <string_view>

namespace nabla::training_detail {

// Lower-case without underscores, so "SparseCategoricalCrossentropy" and
// "sparse_categorical_crossentropy" compare equal, as Keras's deserialiser
// accepts both spellings.
inline std::string canonical_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (const char c : name)
        if (c != '_') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
}

}  // namespace nabla::training_detail
