// Verified downloads against a local HTTP server (no network needed).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "../src/data/download.hpp"
#include "data/http_server.hpp"
#include "support/temp_dir.hpp"
#include "nabla/core/error.hpp"

using namespace nabla;
using nabla::datasets::detail::DownloadOptions;
using nabla::datasets::detail::download_verified;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

const fs::path kLabels = fs::path(NABLA_SHARED_DATA_DIR) / "mnist" / "t10k-labels-idx1-ubyte.gz";
const char* kLabelsSha = "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6";
constexpr std::uint64_t kLabelsSize = 4542;

DownloadOptions quiet() {
    DownloadOptions o;
    o.quiet = true;
    o.progress = false;
    return o;
}

// Names in `dir` (to show that no temporary file is left behind).
std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    return names;
}

template <typename F>
std::string io_error(F&& f) {
    try {
        f();
    } catch (const IOError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no IOError thrown";
    return "";
}

}  // namespace

TEST(Download, Sha256MatchesKnownValues) {
    std::string abc = "abc";
    EXPECT_EQ(datasets::detail::sha256_hex({reinterpret_cast<const std::uint8_t*>(abc.data()), 3}),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(datasets::detail::sha256_file(kLabels), kLabelsSha);
    EXPECT_THROW(datasets::detail::sha256_file("/nonexistent/file"), IOError);
}

TEST(Download, GoodDownloadLandsInTheCache) {
    test::HttpServer server;
    server.serve("/t10k-labels-idx1-ubyte.gz", slurp(kLabels));
    test::TempDir cache;
    fs::path dest = cache / "mnist" / "t10k-labels-idx1-ubyte.gz";  // directory created on demand
    download_verified({server.url("t10k-labels-idx1-ubyte.gz")}, dest, kLabelsSha, kLabelsSize, quiet());
    EXPECT_EQ(slurp(dest), slurp(kLabels));
    EXPECT_EQ(listing(cache / "mnist"), std::vector<std::string>{"t10k-labels-idx1-ubyte.gz"});
}

TEST(Download, ChecksumMismatchLeavesNoFileAndSaysSo) {
    test::HttpServer server;
    server.serve("/f.gz", "<html><body>Access denied</body></html>");  // status 200
    test::TempDir cache;
    fs::path dest = cache / "f.gz";
    std::string msg = io_error([&] { download_verified({server.url("f.gz")}, dest, kLabelsSha, kLabelsSize, quiet()); });
    EXPECT_NE(msg.find(server.url("f.gz") + ": SHA-256 mismatch: expected " + kLabelsSha),
              std::string::npos) << msg;
    EXPECT_NE(msg.find("apparently an HTML page"), std::string::npos) << msg;
    EXPECT_NE(msg.find("discarded"), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(dest));
    EXPECT_TRUE(listing(cache.path()).empty());
}

TEST(Download, HttpErrorsFailAndTheNextMirrorIsTried) {
    test::HttpServer bad, good;
    bad.serve("/x.gz", test::HttpServer::Response{500, "oops"});
    good.serve("/x.gz", slurp(kLabels));
    test::TempDir cache;
    download_verified({bad.url("missing.gz"), bad.url("x.gz"), good.url("x.gz")}, cache / "x.gz",
                      kLabelsSha, kLabelsSize, quiet());
    EXPECT_EQ(slurp(cache / "x.gz"), slurp(kLabels));
    EXPECT_EQ(bad.requests(), (std::vector<std::string>{"/missing.gz", "/x.gz"}));
    EXPECT_EQ(good.requests(), std::vector<std::string>{"/x.gz"});
}

TEST(Download, UnreachableMirrorFallsThroughToTheNext) {
    test::HttpServer server;
    server.serve("/t.gz", slurp(kLabels));
    test::TempDir cache;
    std::string closed = "http://127.0.0.1:" + std::to_string(test::HttpServer::closed_port()) + "/t.gz";
    download_verified({closed, server.url("t.gz")}, cache / "t.gz", kLabelsSha, kLabelsSize, quiet());
    EXPECT_EQ(slurp(cache / "t.gz"), slurp(kLabels));
}

TEST(Download, FinalErrorListsEveryUrlWithItsFailure) {
    test::HttpServer server;
    server.serve("/wrong.gz", "not the file");
    std::string closed = "http://127.0.0.1:" + std::to_string(test::HttpServer::closed_port()) + "/a.gz";
    test::TempDir cache;
    std::vector<std::string> urls{closed, server.url("nothere.gz"), server.url("wrong.gz")};
    std::string msg = io_error([&] { download_verified(urls, cache / "a.gz", kLabelsSha, kLabelsSize, quiet()); });
    EXPECT_NE(msg.find("could not fetch a.gz; tried:"), std::string::npos) << msg;
    std::size_t p0 = msg.find(closed + ": Couldn't connect to server");
    std::size_t p1 = msg.find(urls[1] + ": HTTP status 404");
    std::size_t p2 = msg.find(urls[2] + ": SHA-256 mismatch");
    EXPECT_NE(p0, std::string::npos) << msg;
    EXPECT_NE(p1, std::string::npos) << msg;
    EXPECT_NE(p2, std::string::npos) << msg;
    EXPECT_TRUE(p0 < p1 && p1 < p2) << msg;
    EXPECT_TRUE(listing(cache.path()).empty());
}

TEST(Download, CutConnectionIsAFailure) {
    test::HttpServer server;
    std::string body = slurp(kLabels);
    server.serve("/cut.gz", test::HttpServer::Response{200, body.substr(0, 1000), body.size()});
    test::TempDir cache;
    std::string msg = io_error([&] { download_verified({server.url("cut.gz")}, cache / "cut.gz", kLabelsSha, kLabelsSize, quiet()); });
    EXPECT_NE(msg.find("partial file"), std::string::npos) << msg;
    EXPECT_TRUE(listing(cache.path()).empty());
}

TEST(Download, StalledTransferTimesOut) {
    test::HttpServer server;
    server.serve("/slow.gz", test::HttpServer::Response{200, slurp(kLabels), std::nullopt, 5000});
    test::TempDir cache;
    DownloadOptions o = quiet();
    o.low_speed_bytes = 100000;
    o.low_speed_time_s = 1;
    std::string msg = io_error([&] { download_verified({server.url("slow.gz")}, cache / "s.gz", kLabelsSha, kLabelsSize, o); });
    EXPECT_NE(msg.find("Timeout was reached"), std::string::npos) << msg;
    EXPECT_TRUE(listing(cache.path()).empty());
}

TEST(Download, UncreatableCacheDirectory) {
    test::TempDir tmp;
    std::ofstream(tmp / "file") << "x";
    std::string msg = io_error([&] { download_verified({"http://127.0.0.1:1/"}, tmp / "file" / "sub" / "a.gz", kLabelsSha, kLabelsSize, quiet()); });
    EXPECT_NE(msg.find("cannot create the directory"), std::string::npos) << msg;
}

TEST(Download, MirrorListFromTheEnvironment) {
    using datasets::detail::join_url;
    using datasets::detail::mirror_bases;
    std::vector<std::string> defaults{"https://a.example/mnist/"};
    {
        test::ScopedEnv env("NABLA_DATASETS_MIRROR", std::nullopt);
        EXPECT_EQ(mirror_bases(defaults, "mnist"), defaults);
    }
    {
        test::ScopedEnv env("NABLA_DATASETS_MIRROR", " http://m1/x ,, https://m2/{dataset}/ ");
        EXPECT_EQ(mirror_bases(defaults, "fashion-mnist"),
                  (std::vector<std::string>{"http://m1/x", "https://m2/fashion-mnist/"}));
    }
    {
        test::ScopedEnv env("NABLA_DATASETS_MIRROR", " , ");
        EXPECT_EQ(mirror_bases(defaults, "mnist"), defaults);
    }
    EXPECT_EQ(join_url("http://m1/x", "f.gz"), "http://m1/x/f.gz");
    EXPECT_EQ(join_url("http://m1/x/", "f.gz"), "http://m1/x/f.gz");
}

// Issue 13 item 12: a 300 MB reply for a 1.6 MB file was written in full
// before the checksum rejected it. Now nothing past the file's size is
// written, whether or not the server announces the length.
TEST(Download, OversizedReplyIsCutOffAtTheFileSize) {
    test::HttpServer server;
    const std::string huge(32 << 20, 'x');  // 32 MiB for a 4542-byte file
    test::HttpServer::Response unannounced{200, huge};
    unannounced.omit_length = true;
    server.serve("/unannounced.gz", unannounced);
    server.serve("/announced.gz", huge);
    test::TempDir cache;
    for (const char* name : {"unannounced.gz", "announced.gz"}) {
        std::string msg = io_error([&] {
            download_verified({server.url(name)}, cache / "l.gz", kLabelsSha, kLabelsSize, quiet());
        });
        const std::string head = server.url(name) + ": the reply is larger than the file (4542 bytes); "
                                 "stopped after receiving ";
        const std::size_t at = msg.find(head);
        ASSERT_NE(at, std::string::npos) << msg;
        const std::uint64_t received = std::stoull(msg.substr(at + head.size()));
        EXPECT_LE(received, kLabelsSize) << msg;  // not 32 MiB
        std::printf("%s: stopped after %llu bytes\n", name, static_cast<unsigned long long>(received));
        EXPECT_NE(msg.find("NABLA_DATASETS_MIRROR"), std::string::npos) << msg;
        EXPECT_TRUE(listing(cache.path()).empty());
    }
}

// A drip fast enough for the low-speed limit used to be followed forever.
TEST(Download, SlowDripIsAbandonedAtTheDeadline) {
    EXPECT_DOUBLE_EQ(datasets::detail::deadline_for(1'648'877), 60.0 + 1'648'877 / 50e3);
    test::HttpServer server;
    test::HttpServer::Response drip{200, std::string(200'000, 'x')};
    drip.drip_bytes = 500;  // 10 kB/s: 20 s for the whole body
    drip.drip_ms = 50;
    server.serve("/drip.gz", drip);
    test::TempDir cache;
    DownloadOptions o = quiet();
    o.deadline_s = 1.0;
    const auto start = std::chrono::steady_clock::now();
    std::string msg = io_error([&] {
        download_verified({server.url("drip.gz")}, cache / "d.gz", kLabelsSha, 200'000, o);
    });
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NE(msg.find(server.url("drip.gz") + ": Timeout was reached: the transfer took longer "
                       "than its 1 s deadline ("),
              std::string::npos) << msg;
    EXPECT_NE(msg.find("of 200000 bytes received); the mirror is too slow"), std::string::npos) << msg;
    EXPECT_LT(secs, 15.0);  // not the 20 s the whole drip takes (a hang check, not a timing test)
    EXPECT_TRUE(listing(cache.path()).empty());
    std::printf("drip abandoned after %.2f s\n", secs);
}
