#include "io/replace_file.hpp"

#include "nabla/io/file.hpp"

namespace nabla::io::detail {

void replace_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    atomic_write(path, bytes);
}

}  // namespace nabla::io::detail
