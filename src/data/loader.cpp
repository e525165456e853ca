#include "data/loader.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "data/download.hpp"
#include "nabla/io/idx.hpp"

namespace nabla::datasets {
namespace fs = std::filesystem;

fs::path cache_dir() {
    if (const char* env = std::getenv("NABLA_CACHE_DIR"); env && *env) return fs::path(env);
    if (const char* home = std::getenv("HOME"); home && *home)
        return fs::path(home) / ".nabla" / "datasets";
    // HOME can be unset under cron, systemd or `env -i`.
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found &&
        found->pw_dir && *found->pw_dir)
        return fs::path(found->pw_dir) / ".nabla" / "datasets";
    throw IOError("datasets: no cache directory: HOME is not set and the user has no home "
                  "directory; set NABLA_CACHE_DIR to a writable directory");
}

namespace detail {
namespace {

struct Place {
    fs::path dir;
    std::string origin;  // why we look there, for messages
};

// The file under its published .gz name or its uncompressed name.
std::optional<fs::path> find_file(const fs::path& dir, std::string_view gz_name) {
    std::error_code ec;
    fs::path gz = dir / gz_name;
    if (fs::is_regular_file(gz, ec)) return gz;
    fs::path raw = dir / fs::path(gz_name).stem();
    if (fs::is_regular_file(raw, ec)) return raw;
    return std::nullopt;
}

std::vector<Place> places(const DatasetSpec& spec, const std::optional<fs::path>& dir,
                          const std::string& op) {
    std::vector<Place> out;
    if (dir) {
        std::error_code ec;
        if (!fs::is_directory(*dir, ec))
            throw IOError(op + ": the data directory '" + dir->string() + "' does not exist");
        out.push_back({*dir, "the dir argument"});
        // A parent folder holding <name>/ (like shared/data) is accepted too.
        if (fs::is_directory(*dir / spec.name, ec)) out.push_back({*dir / spec.name, "the dir argument"});
    }
    if (const char* env = std::getenv("NABLA_DATA_DIR"); env && *env)
        out.push_back({fs::path(env) / spec.name, "$NABLA_DATA_DIR"});
    try {
        out.push_back({cache_dir() / spec.name, "the download cache"});
    } catch (const IOError&) {
        // No cache: the download step reports why.
    }
    for (const auto& d : spec.system_dirs) out.push_back({d, "system-wide"});
    return out;
}

std::string shape_and_dtype(const Tensor& t) {
    return to_string(t.shape()) + " " + std::string(name(t.dtype()));
}

// Structural checks: the right kind of file in each slot, matching counts,
// labels that are classes 0-9.
void check_split(const Tensor& images, const Tensor& labels, const fs::path& ip,
                 const fs::path& lp, const std::string& op) {
    if (images.dtype() != uint8 || images.ndim() != 3 || images.shape(1) != 28 ||
        images.shape(2) != 28)
        throw IOError(op + ": '" + ip.string() + "' should hold (N, 28, 28) uint8 images but holds " +
                      shape_and_dtype(images) + " (are the image and label files swapped?)");
    if (labels.dtype() != uint8 || labels.ndim() != 1)
        throw IOError(op + ": '" + lp.string() + "' should hold (N,) uint8 labels but holds " +
                      shape_and_dtype(labels));
    if (labels.shape(0) != images.shape(0))
        throw IOError(op + ": '" + ip.string() + "' has " + std::to_string(images.shape(0)) +
                      " images but '" + lp.string() + "' has " + std::to_string(labels.shape(0)) +
                      " labels (files from different splits or datasets?)");
    const auto* y = labels.data<std::uint8_t>();
    for (std::int64_t i = 0; i < labels.size(); ++i)
        if (y[i] > 9)
            throw IOError(op + ": '" + lp.string() + "' has label " + std::to_string(y[i]) +
                          " at index " + std::to_string(i) + "; the classes are 0-9");
}

Split read_split(const fs::path& ip, const fs::path& lp, const std::string& op,
                 bool in_cache) {
    try {
        Tensor images = io::read_idx(ip);
        Tensor labels = io::read_idx(lp);
        check_split(images, labels, ip, lp, op);
        return {images, labels};
    } catch (const IOError& e) {
        if (!in_cache) throw;
        throw IOError(std::string(e.what()) +
                      " [the file is in the download cache; delete it to download it again]");
    }
}

std::string supply_help(const DatasetSpec& spec, Subset subset, const std::array<FileSpec, 2>& files,
                        const std::string& cache) {
    std::string api(spec.api);
    std::string help = "To use files you already have, put " + std::string(files[0].name) +
                       " and " + std::string(files[1].name) +
                       " (gzip-compressed or not) in a directory and pass it as " + api +
                       "::load_data(dir) (--data-dir DIR for the nabla tool), or put them in "
                       "$NABLA_DATA_DIR/" + std::string(spec.name) + "/" +
                       (cache.empty() ? "" : " or in " + cache) +
                       "; NABLA_DATASETS_MIRROR=URL[,URL...] selects other mirrors.";
    help += spec.supply_hint;
    if (subset == Subset::train)
        help += "\nThe test split alone loads with " + api + "::load_subset(Subset::test, dir).";
    return help;
}

}  // namespace

Split load_split(const DatasetSpec& spec, Subset subset, const std::optional<fs::path>& dir,
                 const std::string& op) {
    const auto& files = subset == Subset::train ? spec.train : spec.test;
    const char* split_name = subset == Subset::train ? "train" : "test";
    std::string looked;
    for (const Place& p : places(spec, dir, op)) {
        auto images = find_file(p.dir, files[0].name);
        auto labels = find_file(p.dir, files[1].name);
        if (images && labels)
            return read_split(*images, *labels, op, p.origin == "the download cache");
        std::error_code ec;
        looked += "\n  " + p.dir.string() + " (" + p.origin + "): " +
                  (!fs::is_directory(p.dir, ec) ? std::string("no such directory")
                   : images                     ? "no " + std::string(files[1].name)
                   : labels                     ? "no " + std::string(files[0].name)
                                                : "neither file");
    }
    std::string failure;
    fs::path target;
    try {
        target = cache_dir() / spec.name;
        for (const FileSpec& f : files) {
            if (find_file(target, f.name)) continue;
            std::vector<std::string> urls;
            for (const auto& base : mirror_bases(spec.mirrors, spec.name))
                urls.push_back(join_url(base, f.name));
            download_verified(urls, target / f.name, f.sha256, f.size);
        }
    } catch (const IOError& e) {
        failure = e.what();
    }
    if (failure.empty())
        return read_split(*find_file(target, files[0].name), *find_file(target, files[1].name),
                          op, true);
    const std::string cache = target.string();
    throw IOError(op + ": the " + split_name + " split of " + std::string(spec.title) + " (" +
                  std::string(files[0].name) + ", " + std::string(files[1].name) +
                  ") is not available locally and could not be downloaded.\nLooked in:" +
                  (looked.empty() ? "\n  (nowhere)" : looked) + "\n" + failure + "\n" +
                  supply_help(spec, subset, files, cache));
}

}  // namespace detail
}  // namespace nabla::datasets
