#include "data/loader.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "data/download.hpp"
#include "data/recognise.hpp"
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
        return out;  // a named directory is the only place: no other copy, no download
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

// Refuses published files of the other dataset, or of another split or
// slot (MNIST and Fashion-MNIST share names and shapes: a mixed directory
// used to train on one and test on the other), naming what each file is.
void check_identity(const DatasetSpec& spec, Subset subset, const Tensor& images, const Tensor& labels,
                    const fs::path& ip, const fs::path& lp, const std::string& op) {
    const auto id_images = identify(ip, images), id_labels = identify(lp, labels);
    auto wrong = [&](const std::optional<Identity>& id, FileKind kind) {
        return id && (id->spec != &spec || id->subset != subset || id->kind != kind);
    };
    if (!wrong(id_images, FileKind::images) && !wrong(id_labels, FileKind::labels)) return;
    auto what = [](const std::optional<Identity>& id) {
        return id ? describe(*id) : std::string("not a published file (not recognised by its SHA-256)");
    };
    const std::string expected = std::string(spec.title) + "'s " + (subset == Subset::train ? "train" : "test");
    throw IOError(op + ": these files are not " + expected + " images and labels:\n  '" + ip.string() +
                  "' is " + what(id_images) + "\n  '" + lp.string() + "' is " + what(id_labels) +
                  "\nMNIST and Fashion-MNIST use the same file names and shapes: keep each dataset in its own "
                  "directory and load it as the dataset its files belong to.");
}

Split read_split(const DatasetSpec& spec, Subset subset, const fs::path& ip, const fs::path& lp,
                 const std::string& op, bool in_cache) {
    try {
        Tensor images = io::read_idx(ip);
        Tensor labels = io::read_idx(lp);
        check_split(images, labels, ip, lp, op);
        check_identity(spec, subset, images, labels, ip, lp, op);
        return {images, labels};
    } catch (const IOError& e) {
        if (!in_cache) throw;
        throw IOError(std::string(e.what()) +
                      " [the file is in the download cache; delete it to download it again]");
    }
}

DataUnavailable::Details details_for(const DatasetSpec& spec, Subset subset, std::string problem,
                                     std::string looked, bool named_dir) {
    const auto& files = subset == Subset::train ? spec.train : spec.test;
    return {std::move(problem), std::move(looked), {std::string(files[0].name), std::string(files[1].name)},
            std::string(spec.name), join_url(spec.mirrors.front(), ""), std::string(spec.supply_hint), named_dir};
}

// The C++ caller's remedy; the nabla tool words its own (apps/nabla/main.cpp).
std::string cpp_help(const DatasetSpec& spec, Subset subset, const DataUnavailable::Details& d,
                     const std::string& cache) {
    const std::string api(spec.api);
    std::string help = "The files can be downloaded from " + d.url + ". ";
    if (d.named_dir)
        help += "Put them in that directory, or call " + api +
                "::load_data() without a directory to use $NABLA_DATA_DIR, the cache and the download.";
    else
        help += "To use files you already have, put " + d.files[0] + " and " + d.files[1] +
                " (gzip-compressed or not) in a directory and pass it as " + api + "::load_data(dir), or put them in "
                "$NABLA_DATA_DIR/" + d.name + "/" + (cache.empty() ? "" : " or in " + cache) +
                "; NABLA_DATASETS_MIRROR=URL[,URL...] selects other mirrors.";
    help += d.note;
    if (subset == Subset::train)
        help += "\nThe test split alone loads with " + api + "::load_subset(Subset::test, dir).";
    return help;
}

// The named directory lacks a split's files: say which, and what to do.
[[noreturn]] void throw_not_in_dir(const DatasetSpec& spec, Subset subset, const fs::path& dir,
                                   const std::string& op, const std::string& looked) {
    const auto& files = subset == Subset::train ? spec.train : spec.test;
    std::string missing;
    for (const FileSpec& f : files)
        if (!find_file(dir, f.name) && !find_file(dir / spec.name, f.name))
            missing += "\n  " + std::string(f.name) + " (or " + fs::path(f.name).stem().string() + ")";
    auto d = details_for(spec, subset,
                         "the " + std::string(subset == Subset::train ? "train" : "test") + " split of " +
                             std::string(spec.title) + " is not in the directory '" + dir.string() +
                             "' (a named directory is the only place looked in, and nothing is downloaded)",
                         "Missing there:" + missing + "\nLooked in:" + looked, true);
    d.note.clear();  // the Debian package is not looked in when a directory is named
    const std::string what = op + ": " + d.problem + ".\n" + d.looked + "\n" + cpp_help(spec, subset, d, "");
    throw DataUnavailable(what, std::move(d));
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
            return read_split(spec, subset, *images, *labels, op, p.origin == "the download cache");
        std::error_code ec;
        looked += "\n  " + p.dir.string() + " (" + p.origin + "): " +
                  (!fs::is_directory(p.dir, ec) ? std::string("no such directory")
                   : images                     ? "no " + std::string(files[1].name)
                   : labels                     ? "no " + std::string(files[0].name)
                                                : "neither file");
    }
    if (dir) throw_not_in_dir(spec, subset, *dir, op, looked);
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
        return read_split(spec, subset, *find_file(target, files[0].name), *find_file(target, files[1].name), op,
                          true);
    const std::string cache = target.string();
    auto d = details_for(spec, subset,
                         "the " + std::string(split_name) + " split of " + std::string(spec.title) + " (" +
                             std::string(files[0].name) + ", " + std::string(files[1].name) +
                             ") is not available locally and could not be downloaded",
                         "Looked in:" + (looked.empty() ? std::string("\n  (nowhere)") : looked) + "\n" + failure,
                         false);
    const std::string what = op + ": " + d.problem + ".\n" + d.looked + "\n" + cpp_help(spec, subset, d, cache);
    throw DataUnavailable(what, std::move(d));
}

}  // namespace detail
}  // namespace nabla::datasets
