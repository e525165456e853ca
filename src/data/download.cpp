#include "data/download.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>

#include "io/temp_files.hpp"
#include "nabla/core/error.hpp"

namespace nabla::datasets::detail {
namespace fs = std::filesystem;
namespace {

struct EvpDeleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using EvpContext = std::unique_ptr<EVP_MD_CTX, EvpDeleter>;

EvpContext new_sha256() {
    EvpContext ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
        throw IOError("sha256: OpenSSL could not initialise a SHA-256 context");
    return ctx;
}

std::string finish_hex(EVP_MD_CTX* ctx) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx, digest, &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

std::string human_bytes(double n) {
    char buf[32];
    if (n >= 1e6)
        std::snprintf(buf, sizeof buf, "%.1f MB", n / 1e6);
    else if (n >= 1e3)
        std::snprintf(buf, sizeof buf, "%.1f kB", n / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.0f B", n);
    return buf;
}

// One transfer: the temporary file, the running hash and the progress bar.
struct Transfer {
    std::FILE* file = nullptr;
    EvpContext sha = new_sha256();
    std::uint64_t received = 0;
    std::uint64_t limit = 0;  // the expected size; 0: unknown
    bool too_big = false;     // the body went past `limit`
    std::uint8_t first_byte = 0;
    int write_errno = 0;  // set when writing the temporary file failed
    bool progress = false;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_draw{};
};

std::size_t on_data(char* ptr, std::size_t size, std::size_t nmemb, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = size * nmemb;
    if (n == 0) return 0;
    if (t->received == 0) t->first_byte = static_cast<std::uint8_t>(ptr[0]);
    if (t->limit != 0 && n > t->limit - t->received) {
        t->too_big = true;  // not the file: stop before writing any of it
        return 0;
    }
    if (std::fwrite(ptr, 1, n, t->file) != n) {
        t->write_errno = errno ? errno : EIO;
        return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    EVP_DigestUpdate(t->sha.get(), ptr, n);
    t->received += n;
    return n;
}

void draw_bar(const Transfer& t, curl_off_t total, bool final_draw) {
    using namespace std::chrono;
    double secs = duration<double>(steady_clock::now() - t.start).count();
    double rate = secs > 0 ? static_cast<double>(t.received) / secs : 0.0;
    std::string line = "\r  " + human_bytes(static_cast<double>(t.received));
    if (total > 0) {
        constexpr int kWidth = 30;
        double frac = std::min(1.0, static_cast<double>(t.received) / static_cast<double>(total));
        int fill = static_cast<int>(frac * kWidth);
        line += " / " + human_bytes(static_cast<double>(total)) + " [" + std::string(fill, '=') +
                (fill < kWidth ? ">" : "") + std::string(kWidth - std::min(fill + 1, kWidth), ' ') +
                "] " + std::to_string(static_cast<int>(frac * 100)) + "%";
    }
    line += "  " + human_bytes(rate) + "/s   ";
    std::fputs(line.c_str(), stderr);
    if (final_draw) std::fputc('\n', stderr);
    std::fflush(stderr);
}

int on_progress(void* user, curl_off_t total, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    auto now = std::chrono::steady_clock::now();
    if (now - t->last_draw >= std::chrono::milliseconds(100)) {
        t->last_draw = now;
        draw_bar(*t, total, false);
    }
    return 0;
}

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};

// Whether a timeout came from the low-speed limit rather than the deadline
// (curl reports both as CURLE_OPERATION_TIMEDOUT).
bool low_speed_stop(const Transfer& t, const DownloadOptions& opt, double deadline) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t.start).count();
    return secs < deadline - 0.05 && opt.low_speed_time_s > 0;
}

// Runs the HTTP transfer into t.file; returns "" or why it failed.
std::string fetch(const std::string& url, Transfer& t, const DownloadOptions& opt) {
    init_curl_once();
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return "libcurl could not start a transfer";
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);  // HTTP status >= 400 is a failure
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "nabla-datasets/0.1 (libcurl)");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opt.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, opt.low_speed_bytes);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, opt.low_speed_time_s);
    if (t.limit != 0) {
        // A Content-Length above the size is refused before any byte of
        // the body arrives; a reply without one is cut off in on_data.
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.limit));
    }
    const double deadline = opt.deadline_s.value_or(t.limit != 0 ? deadline_for(t.limit) : 0.0);
    if (deadline > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::ceil(deadline * 1000)));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    if (t.progress) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    }
    CURLcode rc = curl_easy_perform(c);
    if (t.progress) {
        curl_off_t total = -1;
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
        draw_bar(t, total, true);
    }
    if (rc == CURLE_OK) return "";
    if (t.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        return "the reply is larger than the file (" + std::to_string(t.limit) +
               " bytes); stopped after receiving " + std::to_string(t.received) +
               " bytes, nothing kept (the mirror serves something else: try another with "
               "NABLA_DATASETS_MIRROR)";
    if (rc == CURLE_OPERATION_TIMEDOUT && deadline > 0 && !low_speed_stop(t, opt, deadline))
        return std::string(curl_easy_strerror(rc)) + ": the transfer took longer than its " +
               std::to_string(static_cast<long>(std::ceil(deadline))) + " s deadline (" +
               std::to_string(t.received) + " of " + std::to_string(t.limit) +
               " bytes received); the mirror is too slow: try another with "
               "NABLA_DATASETS_MIRROR, or fetch the file yourself and pass its directory";
    if (t.write_errno)
        return "could not write the temporary file: " + std::string(std::strerror(t.write_errno));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_HTTP_RETURNED_ERROR) return "HTTP status " + std::to_string(status);
    return std::string(curl_easy_strerror(rc)) + (errbuf[0] ? std::string(" (") + errbuf + ")" : "");
}

// A unique temporary file beside dest; the FILE* owns the descriptor.
std::pair<fs::path, std::FILE*> open_temp(const fs::path& dest) {
    std::string tmpl = io::detail::temp_prefix(dest, "part") + "XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    int fd = ::mkstemp(name.data());
    if (fd < 0)
        throw IOError("download: cannot create a temporary file in '" +
                      dest.parent_path().string() + "': " + std::strerror(errno));
    ::fchmod(fd, 0644);
    std::FILE* file = ::fdopen(fd, "wb");
    if (!file) {
        int err = errno;
        ::close(fd);
        ::unlink(name.data());
        throw IOError("download: cannot open a temporary file: " + std::string(std::strerror(err)));
    }
    return {fs::path(name.data()), file};
}

// One URL: "" when dest now holds the verified file, else the reason.
std::string attempt(const std::string& url, const fs::path& dest, std::string_view sha256,
                    std::uint64_t expected_bytes, const DownloadOptions& opt) {
    auto [tmp, file] = open_temp(dest);
    // Ctrl-C or SIGTERM mid-transfer removes the partial file.
    io::detail::TempRegistration registration(tmp);
    Transfer t;
    t.file = file;
    t.limit = expected_bytes;
    t.progress = opt.progress.value_or(::isatty(STDERR_FILENO) == 1);
    if (!opt.quiet) std::fprintf(stderr, "Downloading data from %s\n", url.c_str());
    std::string why = fetch(url, t, opt);
    bool durable = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
    int err = errno;
    durable = std::fclose(file) == 0 && durable;
    if (why.empty() && !durable)
        why = "could not write the temporary file: " + std::string(std::strerror(err));
    if (why.empty()) {
        std::string got = finish_hex(t.sha.get());
        if (got != sha256) {
            why = "SHA-256 mismatch: expected " + std::string(sha256) + ", got " + got + " (" +
                  std::to_string(t.received) + " bytes" +
                  (t.first_byte == '<' ? ", apparently an HTML page" : "") +
                  "); the file was discarded";
        }
    }
    std::error_code ec;
    if (why.empty()) {
        fs::rename(tmp, dest, ec);
        if (ec) why = "cannot move the verified file to '" + dest.string() + "': " + ec.message();
    }
    if (!why.empty()) fs::remove(tmp, ec);
    return why;
}

}  // namespace

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
    EvpContext ctx = new_sha256();
    EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
    return finish_hex(ctx.get());
}

std::string sha256_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IOError("sha256: cannot open '" + path.string() + "': " + std::strerror(errno));
    EvpContext ctx = new_sha256();
    std::vector<char> buf(1 << 20);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
        EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
    if (in.bad()) throw IOError("sha256: error while reading '" + path.string() + "'");
    return finish_hex(ctx.get());
}

double deadline_for(std::uint64_t expected_bytes) {
    return 60.0 + static_cast<double>(expected_bytes) / 50e3;
}

void download_verified(const std::vector<std::string>& urls, const fs::path& dest,
                       std::string_view sha256, std::uint64_t expected_bytes,
                       const DownloadOptions& options) {
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    if (ec)
        throw IOError("download: cannot create the directory '" + dest.parent_path().string() +
                      "' for " + dest.filename().string() + ": " + ec.message());
    // What a killed earlier run left (its pid is in the name).
    io::detail::remove_stale_temps(dest, "part");
    std::string failures;
    for (const std::string& url : urls) {
        std::string why = attempt(url, dest, sha256, expected_bytes, options);
        if (why.empty()) return;
        failures += "\n  " + url + ": " + why;
    }
    if (urls.empty()) failures = "\n  (no URL to try)";
    throw IOError("download: could not fetch " + dest.filename().string() + "; tried:" + failures);
}

std::string join_url(std::string_view base, std::string_view file) {
    std::string url(base);
    if (url.empty() || url.back() != '/') url += '/';
    return url + std::string(file);
}

std::vector<std::string> mirror_bases(const std::vector<std::string>& defaults,
                                      std::string_view dataset) {
    const char* env = std::getenv("NABLA_DATASETS_MIRROR");
    if (!env || !*env) return defaults;
    std::vector<std::string> bases;
    std::string_view rest(env);
    while (!rest.empty()) {
        std::size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
        if (item.empty()) continue;
        std::string base(item);
        if (auto at = base.find("{dataset}"); at != std::string::npos)
            base.replace(at, 9, dataset);
        bases.push_back(std::move(base));
    }
    return bases.empty() ? defaults : bases;
}

}  // namespace nabla::datasets::detail
