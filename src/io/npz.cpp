// The .npz format: a ZIP archive with one "<key>.npy" member per array, as
// numpy.savez (stored) and numpy.savez_compressed (raw deflate) write it.
// The reader takes stored and deflated members, checks every CRC-32, and
// understands the zip64 records that numpy.savez always writes (it passes
// force_zip64=True to zipfile).
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "nabla/io/file.hpp"
#include "nabla/io/npy.hpp"
#include "npy_internal.hpp"
#include "zip.hpp"

namespace nabla::io {
namespace {

std::map<std::string, Tensor> read_npz(std::span<const std::uint8_t> bytes,
                                       const std::string& context) {
    const detail::ZipReader zip(bytes, context);
    std::map<std::string, Tensor> arrays;
    for (std::size_t i = 0; i < zip.names().size(); ++i) {
        const std::string& name = zip.names()[i];
        std::string key = name;
        if (key.size() >= 4 && key.compare(key.size() - 4, 4, ".npy") == 0)
            key.resize(key.size() - 4);
        if (arrays.count(key)) throw IOError(context + ": duplicate member '" + name + "'");
        // A deflated member's .npy header must describe the size the
        // directory declares: checked before the output grows past 64 KiB.
        const std::string member = context + " member '" + name + "'";
        auto check_head = [&](std::span<const std::uint8_t> head) {
            const std::uint64_t need = detail::npy_expected_size(head, member);
            if (need != zip.size(i))
                throw IOError(member + ": the directory declares " + std::to_string(zip.size(i)) +
                              " bytes, but its .npy header describes " + std::to_string(need) +
                              " (a corrupt or forged archive)");
        };
        std::vector<std::uint8_t> buffer;
        const auto npy = zip.read(i, buffer, check_head);
        arrays.emplace(key, detail::parse_npy(npy, member));
    }
    return arrays;
}

}  // namespace

std::map<std::string, Tensor> npz_from_bytes(std::span<const std::uint8_t> bytes,
                                             std::string_view name_for_errors) {
    const std::string context = "load_npz: '" + std::string(name_for_errors) + "'";
    return detail::with_memory_error(context, [&] { return read_npz(bytes, context); });
}

std::map<std::string, Tensor> load_npz(const std::filesystem::path& path) {
    const std::string context = "load_npz: '" + path.string() + "'";
    return detail::with_memory_error(context, [&] {
        const std::vector<std::uint8_t> bytes = detail::read_for("load_npz", path);
        return read_npz(bytes, context);
    });
}

std::vector<std::uint8_t> npz_to_bytes(const std::map<std::string, Tensor>& arrays,
                                       bool compressed) {
    std::vector<std::vector<std::uint8_t>> npys;
    std::vector<detail::ZipMember> members;
    for (const auto& [key, tensor] : arrays) {
        if (!tensor.defined()) throw ValueError("save_npz: the tensor '" + key + "' is undefined");
        npys.push_back(npy_to_bytes(tensor));
    }
    std::size_t i = 0;
    for (const auto& [key, tensor] : arrays) members.push_back({key + ".npy", npys[i++]});
    return detail::zip_bytes(members, compressed, "save_npz");
}

void save_npz(const std::filesystem::path& path, const std::map<std::string, Tensor>& arrays,
              bool compressed) {
    const std::vector<std::uint8_t> bytes = npz_to_bytes(arrays, compressed);
    atomic_write(path, bytes);
}

}  // namespace nabla::io
