#pragma once
// Internal: verified downloads into the dataset cache.
//
// Every dataset file has a known SHA-256. A download goes to a temporary
// file beside its destination, is hashed while it arrives, and is renamed
// into place only if the hash matches; anything else (HTTP error, timeout,
// an HTML error page with status 200, a cut connection) deletes the
// temporary file and moves on to the next mirror. The cache therefore only
// ever holds verified files. A reply larger than the file's known size is
// cut off at that size, and every transfer has a deadline scaled to it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::datasets::detail {

struct DownloadOptions {
    long connect_timeout_s = 30;
    // A transfer slower than low_speed_bytes per second for low_speed_time_s
    // seconds is abandoned: a stalled mirror should not hang the program.
    long low_speed_bytes = 1024;
    long low_speed_time_s = 60;
    // A progress bar on stderr; by default only when stderr is a terminal.
    std::optional<bool> progress;
    // No "Downloading data from ..." line on stderr.
    bool quiet = false;
    // The whole transfer of a file of known size must finish within this
    // many seconds; unset: deadline_for(expected bytes). Tests shorten it.
    std::optional<double> deadline_s;
};

// 60 s plus the time the file takes at 50 kB/s: generous for any working
// mirror (MNIST's largest file, 9.9 MB: 258 s), and a drip that would take
// hours is abandoned.
double deadline_for(std::uint64_t expected_bytes);

// Lower-case hex SHA-256.
std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_file(const std::filesystem::path& path);

// Fetches the first of `urls` whose body has SHA-256 `sha256` (hex) and
// renames it to `dest`, creating dest's directory. Throws IOError listing
// every URL tried and why it failed. `expected_bytes` (0: unknown) is the
// file's published size: a reply that announces or sends more is aborted
// there (nothing past it is written), and it sets the overall deadline.
void download_verified(const std::vector<std::string>& urls, const std::filesystem::path& dest,
                       std::string_view sha256, std::uint64_t expected_bytes,
                       const DownloadOptions& options = {});

// Mirror base URLs: those in $NABLA_DATASETS_MIRROR (one, or a comma
// separated list) when it is set, else `defaults`. "{dataset}" in a base
// is replaced by `dataset` ("mnist", "fashion-mnist").
std::vector<std::string> mirror_bases(const std::vector<std::string>& defaults,
                                      std::string_view dataset);

// base + "/" + file, without doubling the slash.
std::string join_url(std::string_view base, std::string_view file);

}  // namespace nabla::datasets::detail
