#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"
#include "nabla/io/idx.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;
namespace fs = std::filesystem;

namespace {

const fs::path kMnist = fs::path(NABLA_SHARED_DATA_DIR) / "mnist";

std::vector<std::uint8_t> slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& gz) {
    z_stream zs{};
    inflateInit2(&zs, 16 + MAX_WBITS);
    std::vector<std::uint8_t> out(64 << 20);
    zs.next_in = const_cast<Bytef*>(gz.data());
    zs.avail_in = static_cast<uInt>(gz.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    inflateEnd(&zs);
    return out;
}

// The message of the IOError `f` throws (fails the test if it throws none).
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

std::vector<std::uint8_t> header(std::uint8_t code, std::vector<std::uint32_t> dims) {
    std::vector<std::uint8_t> b{0, 0, code, static_cast<std::uint8_t>(dims.size())};
    for (auto d : dims)
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
    return b;
}

std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& raw) {
    z_stream zs{};
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(raw.size())));
    zs.next_in = const_cast<Bytef*>(raw.data());
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::vector<std::uint8_t> from_base64(const std::string& text) {
    const std::string abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::vector<std::uint8_t> out;
    std::uint32_t bits = 0;
    int n = 0;
    for (char c : text) {
        if (c == '=') break;
        bits = (bits << 6) | static_cast<std::uint32_t>(abc.find(c));
        if ((n += 6) >= 8) out.push_back(static_cast<std::uint8_t>(bits >> (n -= 8)));
    }
    return out;
}

}  // namespace

TEST(Idx, ReadsRealMnistTestImages) {
    Tensor x = io::read_idx(kMnist / "t10k-images-idx3-ubyte.gz");
    EXPECT_EQ(x.shape(), (Shape{10000, 28, 28}));
    EXPECT_EQ(x.dtype(), uint8);
    // Reference values computed with NumPy from the same file.
    std::int64_t total = 0;
    for (auto v : x.to_vector<std::int64_t>()) total += v;
    EXPECT_EQ(total, 264923200);
    EXPECT_EQ(x.at<int>({0, 14, 16}), 59);
    EXPECT_EQ(x.at<int>({0, 14, 17}), 249);
}

TEST(Idx, ReadsRealMnistLabels) {
    Tensor y = io::read_idx(kMnist / "t10k-labels-idx1-ubyte.gz");
    EXPECT_EQ(y.shape(), (Shape{10000}));
    EXPECT_EQ(y.dtype(), uint8);
    EXPECT_EQ(y.at<int>({0}), 7);
    EXPECT_EQ(y.at<int>({1}), 2);
    EXPECT_EQ(y.at<int>({2}), 1);
    EXPECT_EQ(y.at<int>({-3}), 4);
    EXPECT_EQ(y.at<int>({-1}), 6);
}

TEST(Idx, RawAndGzipGiveTheSameTensor) {
    test::TempDir dir;
    auto raw = gunzip(slurp(kMnist / "t10k-labels-idx1-ubyte.gz"));
    spit(dir / "t10k-labels-idx1-ubyte", raw);
    Tensor a = io::read_idx(dir / "t10k-labels-idx1-ubyte");
    Tensor b = io::read_idx(kMnist / "t10k-labels-idx1-ubyte.gz");
    EXPECT_EQ(a.to_vector<int>(), b.to_vector<int>());
    Tensor c = io::idx_from_bytes(raw, "labels");
    EXPECT_EQ(c.to_vector<int>(), b.to_vector<int>());
}

TEST(Idx, BigEndianTypesAsNumPyReadsThem) {
    auto b = header(0x0C, {2});
    b.insert(b.end(), {0x01, 0x02, 0x03, 0x04, 0xFF, 0xFF, 0xFF, 0xFE});
    Tensor i = io::idx_from_bytes(b);
    EXPECT_EQ(i.dtype(), int32);
    EXPECT_EQ(i.to_vector<std::int32_t>(), (std::vector<std::int32_t>{0x01020304, -2}));

    auto f = header(0x0D, {1, 1});
    f.insert(f.end(), {0x3F, 0xC0, 0x00, 0x00});  // 1.5f
    Tensor ft = io::idx_from_bytes(f);
    EXPECT_EQ(ft.dtype(), float32);
    EXPECT_EQ(ft.shape(), (Shape{1, 1}));
    EXPECT_EQ(ft.item<float>(), 1.5f);

    auto d = header(0x0E, {1});
    d.insert(d.end(), {0xC0, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18});  // -pi
    EXPECT_DOUBLE_EQ(io::idx_from_bytes(d).item<double>(), -3.141592653589793);
}

TEST(Idx, NarrowSignedTypesWidenToInt32) {
    auto s8 = header(0x09, {3});
    s8.insert(s8.end(), {0x80, 0xFF, 0x7F});
    Tensor a = io::idx_from_bytes(s8);
    EXPECT_EQ(a.dtype(), int32);
    EXPECT_EQ(a.to_vector<int>(), (std::vector<int>{-128, -1, 127}));
    auto s16 = header(0x0B, {2});
    s16.insert(s16.end(), {0x80, 0x00, 0x01, 0x02});
    EXPECT_EQ(io::idx_from_bytes(s16).to_vector<int>(), (std::vector<int>{-32768, 258}));
}

TEST(Idx, WriteReadRoundTripEveryDType) {
    test::TempDir dir;
    std::vector<Tensor> cases = {
        Tensor(std::vector<std::uint8_t>{0, 1, 254, 255, 7, 9}, {2, 3}),
        Tensor(std::vector<std::int32_t>{-5, 0, 2147483647, -2147483647 - 1}, {4}),
        Tensor(std::vector<float>{1.5f, -0.25f, 3e38f}, {3, 1}),
        Tensor(std::vector<double>{1e-300, -2.5}, {1, 2}),
        zeros({0, 28, 28}, uint8),
    };
    for (const Tensor& t : cases) {
        for (const char* name : {"x.idx", "x.idx.gz"}) {
            io::write_idx(dir / name, t);
            Tensor back = io::read_idx(dir / name);
            EXPECT_EQ(back.dtype(), t.dtype());
            EXPECT_EQ(back.shape(), t.shape());
            EXPECT_EQ(back.to_vector<double>(), t.to_vector<double>());
        }
    }
    // The file really is gzip when the name says .gz, raw otherwise.
    io::write_idx(dir / "x.gz", cases[0]);
    io::write_idx(dir / "x.raw", cases[0]);
    EXPECT_EQ(slurp(dir / "x.gz")[0], 0x1f);
    EXPECT_EQ(slurp(dir / "x.raw"), io::idx_to_bytes(cases[0]));
    EXPECT_EQ(io::idx_to_bytes(cases[1])[2], 0x0C);
    // Strided views are written in logical order.
    Tensor t = cases[0].transpose();
    EXPECT_EQ(io::idx_from_bytes(io::idx_to_bytes(t)).to_vector<int>(), t.to_vector<int>());
}

TEST(Idx, WriteRejectsInt64AndBoolBecomesUInt8) {
    EXPECT_THROW(io::idx_to_bytes(arange(3)), DTypeError);
    Tensor b(std::vector<bool>{true, false}, {2});
    Tensor back = io::idx_from_bytes(io::idx_to_bytes(b));
    EXPECT_EQ(back.dtype(), uint8);
    EXPECT_EQ(back.to_vector<int>(), (std::vector<int>{1, 0}));
}

TEST(Idx, TruncatedRawFileNamesTheSizes) {
    test::TempDir dir;
    auto raw = gunzip(slurp(kMnist / "t10k-images-idx3-ubyte.gz"));
    raw.resize(1000);
    spit(dir / "t10k-images-idx3-ubyte", raw);
    std::string msg = io_error([&] { io::read_idx(dir / "t10k-images-idx3-ubyte"); });
    EXPECT_NE(msg.find("t10k-images-idx3-ubyte"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected 7840016 bytes of image data"), std::string::npos) << msg;
    EXPECT_NE(msg.find("file has 1000"), std::string::npos) << msg;
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Idx, TruncatedGzipFileNamesTheSizes) {
    test::TempDir dir;
    auto gz = slurp(kMnist / "t10k-images-idx3-ubyte.gz");
    gz.resize(gz.size() / 2);
    spit(dir / "cut.gz", gz);
    std::string msg = io_error([&] { io::read_idx(dir / "cut.gz"); });
    EXPECT_NE(msg.find("cut.gz"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected 7840016 bytes of image data"), std::string::npos) << msg;
    EXPECT_NE(msg.find("gzip stream itself is cut short"), std::string::npos) << msg;
}

TEST(Idx, GzipWithoutItsTrailerIsTruncated) {
    auto gz = slurp(kMnist / "t10k-labels-idx1-ubyte.gz");
    gz.resize(gz.size() - 8);  // CRC32 and ISIZE
    std::string msg = io_error([&] { io::idx_from_bytes(gz, "labels.gz"); });
    EXPECT_NE(msg.find("ends before its end marker"), std::string::npos) << msg;
}

TEST(Idx, CorruptGzipDataIsReported) {
    auto gz = slurp(kMnist / "t10k-labels-idx1-ubyte.gz");
    gz[gz.size() - 6] ^= 0xFF;  // inside the CRC32: data decodes, check fails
    std::string msg = io_error([&] { io::idx_from_bytes(gz, "labels.gz"); });
    EXPECT_NE(msg.find("not a valid gzip file: incorrect data check"), std::string::npos) << msg;
    auto gz2 = slurp(kMnist / "t10k-labels-idx1-ubyte.gz");
    for (std::size_t i = 20; i < 60; ++i) gz2[i] = 0xFF;
    EXPECT_THROW(io::idx_from_bytes(gz2, "labels.gz"), IOError);
}

TEST(Idx, TrailingBytesAreRejected) {
    auto b = header(0x08, {2});
    b.insert(b.end(), {1, 2, 3, 4});
    std::string msg = io_error([&] { io::idx_from_bytes(b, "long"); });
    EXPECT_NE(msg.find("longer than its header says: expected 10 bytes of label data"),
              std::string::npos) << msg;
    EXPECT_NE(msg.find("file has 12"), std::string::npos) << msg;
    // The same inside gzip, and junk after the gzip stream.
    Tensor t(std::vector<std::uint8_t>{1, 2}, {2});
    auto gz = io::idx_to_bytes(t, true);
    auto with_junk = gz;
    with_junk.insert(with_junk.end(), {'x', 'y'});
    EXPECT_NE(io_error([&] { io::idx_from_bytes(with_junk); }).find("2 bytes of trailing garbage"),
              std::string::npos);
}

TEST(Idx, ConcatenatedGzipMembersAreOneStream) {
    auto raw = header(0x08, {4});
    raw.insert(raw.end(), {10, 20, 30, 40});
    // Split the raw bytes over two gzip members (as `cat a.gz b.gz` makes).
    auto member = [](std::vector<std::uint8_t> part) {
        z_stream zs{};
        deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        std::vector<std::uint8_t> out(256);
        zs.next_in = part.data();
        zs.avail_in = static_cast<uInt>(part.size());
        zs.next_out = out.data();
        zs.avail_out = static_cast<uInt>(out.size());
        deflate(&zs, Z_FINISH);
        out.resize(zs.total_out);
        deflateEnd(&zs);
        return out;
    };
    auto a = member({raw.begin(), raw.begin() + 6});
    auto b = member({raw.begin() + 6, raw.end()});
    a.insert(a.end(), b.begin(), b.end());
    EXPECT_EQ(io::idx_from_bytes(a).to_vector<int>(), (std::vector<int>{10, 20, 30, 40}));
}

TEST(Idx, BadMagicTypeAndHeader) {
    std::vector<std::uint8_t> html{'<', '!', 'D', 'O', 'C', 'T', 'Y', 'P', 'E'};
    std::string msg = io_error([&] { io::idx_from_bytes(html, "page.gz"); });
    EXPECT_NE(msg.find("'page.gz' is not an IDX file: it starts with 0x3c 0x21"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("HTML"), std::string::npos) << msg;

    msg = io_error([&] { io::idx_from_bytes(header(0x0A, {1}), "x"); });
    EXPECT_NE(msg.find("unknown IDX type code 0x0a"), std::string::npos) << msg;

    auto cut = header(0x08, {10000, 28, 28});
    cut.resize(9);
    msg = io_error([&] { io::idx_from_bytes(cut, "x"); });
    EXPECT_NE(msg.find("declares 3 dimensions, which take 16 bytes, file has 9"), std::string::npos)
        << msg;

    msg = io_error([&] { io::idx_from_bytes(std::vector<std::uint8_t>{0, 0}, "tiny"); });
    EXPECT_NE(msg.find("too short to be an IDX file: it has 2 bytes"), std::string::npos) << msg;
    EXPECT_THROW(io::idx_from_bytes({}, "empty"), IOError);
}

TEST(Idx, HugeHeaderInTinyGzipIsRefusedBeforeAllocating) {
    // 2^32-1 cubed bytes promised by a 40-byte gzip file.
    auto b = header(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF});
    EXPECT_NE(io_error([&] { io::idx_from_bytes(b); }).find("impossible size"), std::string::npos);
    auto big = header(0x08, {60000, 28, 28});
    Tensor tiny(std::vector<std::uint8_t>{}, {0});
    auto gz = io::idx_to_bytes(tiny, true);
    // Replace the compressed payload with one holding only the big header.
    z_stream zs{};
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::vector<std::uint8_t> out(256);
    zs.next_in = big.data();
    zs.avail_in = static_cast<uInt>(big.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    std::string msg = io_error([&] { io::idx_from_bytes(out, "bomb.gz"); });
    EXPECT_NE(msg.find("expected 47040016 bytes of image data"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cannot expand to more than"), std::string::npos) << msg;
}

TEST(Idx, MissingFileAndDirectory) {
    test::TempDir dir;
    std::string msg = io_error([&] { io::read_idx(dir / "nope.gz"); });
    EXPECT_NE(msg.find("nope.gz"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cannot be opened"), std::string::npos) << msg;
    EXPECT_NE(io_error([&] { io::read_idx(dir.path()); }).find("is a directory"), std::string::npos);
}

// Found by fuzzing: dims whose product overflows 64 bits, followed by a zero
// dim, used to wrap to an "empty" tensor with overflowing strides.
TEST(Idx, OverflowingDimsBeforeAZeroAreRefused) {
    const auto repro = from_base64("AAAIBNIA6C3o6OjoAAAEAAAAAAA=");
    ASSERT_EQ(repro.size(), 20u);
    std::string msg = io_error([&] { io::idx_from_bytes(repro, "crash.idx"); });
    EXPECT_NE(msg.find("'crash.idx' declares an impossible size"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(3523274797, 3907578088, 1024, 0)"), std::string::npos) << msg;

    msg = io_error([&] { io::idx_from_bytes(header(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0})); });
    EXPECT_NE(msg.find("impossible size"), std::string::npos) << msg;
    // int8 widens to int32: its tensor's byte count, not the file's, must fit.
    msg = io_error([&] { io::idx_from_bytes(header(0x09, {0x80000000, 0x80000000, 0})); });
    EXPECT_NE(msg.find("impossible size"), std::string::npos) << msg;
}

TEST(Idx, EmptyTensorWithLargeDimsIsValid) {
    Tensor t = io::idx_from_bytes(header(0x0D, {0, 0xFFFFFFFF, 1000}));
    EXPECT_EQ(t.shape(), (Shape{0, 0xFFFFFFFF, 1000}));
    EXPECT_EQ(t.size(), 0);
    EXPECT_EQ(t.dtype(), float32);
}

TEST(Idx, GzipTrailingBombIsCountedOnlyUpToALimit) {
    // Valid labels followed by 64 MiB of zeros: ~64 KiB compressed. The
    // reader stops counting after 1 MiB instead of inflating everything.
    auto raw = header(0x08, {3});
    raw.insert(raw.end(), {1, 2, 3});
    raw.resize(raw.size() + (std::size_t{64} << 20), 0);
    const auto gz = gzip(raw);
    ASSERT_LT(gz.size(), 128u << 10);
    std::string msg = io_error([&] { io::idx_from_bytes(gz, "bomb.gz"); });
    EXPECT_NE(msg.find("'bomb.gz' is longer than its header says: expected 11 bytes"),
              std::string::npos) << msg;
    EXPECT_NE(msg.find("or more after gzip decompression"), std::string::npos) << msg;
}
