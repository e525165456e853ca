#pragma once
// Internal: finding, downloading and checking the IDX files of a dataset
// (the search order is documented in include/nabla/data/datasets.hpp).
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/data/datasets.hpp"

namespace nabla::datasets::detail {

struct FileSpec {
    std::string_view name;    // the published, gzip-compressed name
    std::string_view sha256;  // of the published .gz file
    std::uint64_t size = 0;   // its size in bytes: downloads stop past it
};

struct DatasetSpec {
    std::string_view name;   // directory name under the cache and NABLA_DATA_DIR
    std::string_view api;    // namespace in messages: "mnist", "fashion_mnist"
    std::string_view title;  // "MNIST"
    std::array<FileSpec, 2> train;  // images, labels
    std::array<FileSpec, 2> test;
    std::vector<std::string> mirrors;        // base URLs, tried in order
    std::vector<std::filesystem::path> system_dirs;
    std::string_view supply_hint;            // appended to "how to supply the files"
};

// MNIST and Fashion-MNIST (src/data/mnist.cpp), to tell their files apart.
std::array<const DatasetSpec*, 2> dataset_specs();

// The images and labels of one split, found or downloaded as documented.
// `op` names the public function in messages ("mnist.load_data").
Split load_split(const DatasetSpec& spec, Subset subset,
                 const std::optional<std::filesystem::path>& dir, const std::string& op);

}  // namespace nabla::datasets::detail
