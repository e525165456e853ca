#pragma once
// Internal: which published dataset file a local file is, by SHA-256, so
// that MNIST and Fashion-MNIST files (same names, same shapes) are never
// mixed silently.
#include <filesystem>
#include <optional>
#include <string>

#include "data/loader.hpp"

namespace nabla::datasets::detail {

enum class FileKind { images, labels };

struct Identity {
    const DatasetSpec* spec;
    Subset subset;
    FileKind kind;
};

// "MNIST's test images".
std::string describe(const Identity& id);

// The published file `path` is (its decoded content `data`, already read and
// structurally checked), or nullopt for a file that matches none (the
// user's own subset or a modified copy). Only files with a published size
// (60,000 or 10,000 samples) are hashed, and a .gz file is first hashed as
// it is, which is cheaper than its decoded bytes.
std::optional<Identity> identify(const std::filesystem::path& path, const Tensor& data);

}  // namespace nabla::datasets::detail
