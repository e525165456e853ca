// .npy/.npz: round trips, files exchanged with NumPy in both directions, and
// every error path on hand-made corrupt files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/io/file.hpp"
#include "nabla/io/npy.hpp"
#include "support/temp_dir.hpp"
#include "support/requirements.hpp"

using namespace nabla;
using nabla::test::TempDir;
using Bytes = std::vector<std::uint8_t>;

namespace {

const DType kAllDTypes[] = {bool_, uint8, int32, int64, float32, float64};

// Distinct, dtype-representable values (and 0/1 patterns for bool).
Tensor sample(const Shape& shape, DType dt) {
    std::vector<double> v;
    for (std::int64_t i = 0; i < numel(shape); ++i)
        v.push_back(dt == bool_ ? (i % 3 == 1) : is_floating(dt) ? i * 0.25 - 3 : (i * 37) % 251);
    return Tensor(v, shape).astype(dt);
}

// Same dtype, shape and bytes (so NaN payloads and -0.0 count too).
::testing::AssertionResult same_tensor(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype())
        return ::testing::AssertionFailure()
               << "dtype " << name(a.dtype()) << " != " << name(b.dtype());
    if (a.shape() != b.shape())
        return ::testing::AssertionFailure()
               << "shape " << to_string(a.shape()) << " != " << to_string(b.shape());
    const Tensor ca = a.contiguous(), cb = b.contiguous();
    if (ca.nbytes() != 0 && std::memcmp(ca.raw_data(), cb.raw_data(), ca.nbytes()) != 0)
        return ::testing::AssertionFailure() << "data differs:\n" << a << "\nvs\n" << b;
    return ::testing::AssertionSuccess();
}

bool python_has_numpy() {
    static const bool ok =
        std::system(NABLA_PYTHON " -c 'import numpy' >/dev/null 2>&1") == 0;
    return ok;
}

// Runs a Python script with the directory as sys.argv[1]; true on exit 0.
bool run_python(const TempDir& dir, const std::string& script) {
    const auto path = dir / "script.py";
    std::ofstream(path) << "import sys, os, zipfile\nimport numpy as np\nd = sys.argv[1]\n"
                        << script;
    const std::string cmd = std::string(NABLA_PYTHON) + " " + path.string() + " " +
                            dir.path().string();
    return std::system(cmd.c_str()) == 0;
}

#define REQUIRE_NUMPY()                                                        \
    if (!python_has_numpy()) NABLA_SKIP_OR_FAIL(NABLA_PYTHON " with numpy not found")

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A .npy image with an arbitrary header text (padded like numpy) and data.
Bytes npy_image(const std::string& dict, const Bytes& data, int major = 1) {
    std::string header = dict;
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    while ((10 + len_bytes - 2 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    for (std::size_t i = 0; i < len_bytes; ++i)
        out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
    Bytes b = to_bytes(out + header);
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

std::string header(const std::string& descr, const std::string& shape, bool fortran = false) {
    return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
           ", 'shape': " + shape + ", }";
}

// The IOError message of npy_from_bytes (or "" when it does not throw one).
std::string npy_error(const Bytes& b, const std::string& name = "bad.npy") {
    try {
        io::npy_from_bytes(b, name);
    } catch (const IOError& e) {
        return e.what();
    }
    return "";
}

std::string npz_error(const Bytes& b, const std::string& name = "bad.npz") {
    try {
        io::npz_from_bytes(b, name);
    } catch (const IOError& e) {
        return e.what();
    }
    return "";
}

#define EXPECT_HAS(haystack, needle)                                                 \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos)                \
        << "message: \"" << (haystack) << "\"\nlacks: \"" << (needle) << "\""

}  // namespace

// ---------------------------------------------------------------------------
// Round trips

TEST(Npy, RoundTripEveryDTypeAndShape) {
    TempDir dir;
    const Shape shapes[] = {{}, {0}, {7}, {2, 0, 3}, {2, 3, 4}, {1, 1, 1, 5}};
    for (DType dt : kAllDTypes) {
        for (const Shape& s : shapes) {
            SCOPED_TRACE(std::string(name(dt)) + " " + to_string(s));
            const Tensor t = sample(s, dt);
            io::save_npy(dir / "t.npy", t);
            EXPECT_TRUE(same_tensor(io::load_npy(dir / "t.npy"), t));
            EXPECT_TRUE(same_tensor(io::npy_from_bytes(io::npy_to_bytes(t), "mem"), t));
        }
    }
    EXPECT_EQ(dir.count(), 1);
}

TEST(Npy, HeaderIsPaddedToSixtyFourBytes) {
    const Bytes b = io::npy_to_bytes(sample({3, 4}, float32));
    ASSERT_EQ(b.size(), 128u + 48u);
    const std::string text(b.begin() + 10, b.begin() + 128);
    EXPECT_EQ(text.substr(0, 59), "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
    EXPECT_EQ(text.back(), '\n');
}

TEST(Npy, NonContiguousTensorsAreSavedInCOrder) {
    const Tensor base = sample({4, 6}, int64);
    const Tensor views[] = {base.transpose(), base(Slice(None, None, -1), Slice(1, None, 2)),
                            base(Slice(), 2)};
    for (const Tensor& v : views) {
        ASSERT_FALSE(v.is_contiguous());
        const Tensor back = io::npy_from_bytes(io::npy_to_bytes(v), "view");
        EXPECT_TRUE(same_tensor(back, v.copy()));
    }
}

// A contiguous view that starts inside its storage: a large matrix held by a
// Variable is one (it sits 16 bytes in, for the matrix library).
TEST(Npy, ContiguousViewWithAnOffsetIsSavedFromItsStart) {
    const Tensor base = sample({1, 4 + 6 * 5}, float32).reshape({4 + 6 * 5});
    const Tensor view = base(Slice(4, None)).reshape({6, 5});
    ASSERT_TRUE(view.is_contiguous());
    ASSERT_EQ(view.offset(), 4);
    const Tensor back = io::npy_from_bytes(io::npy_to_bytes(view), "view");
    EXPECT_TRUE(same_tensor(back, view.copy()));
}

TEST(Npy, SpecialFloatValuesSurviveBitForBit) {
    const double inf = std::numeric_limits<double>::infinity();
    const Tensor t(
        std::vector<double>{std::nan(""), inf, -inf, -0.0, 5e-324, 1.7976931348623157e308}, {6});
    EXPECT_TRUE(same_tensor(io::npy_from_bytes(io::npy_to_bytes(t), "special"), t));
    const Tensor f = t.astype(float32);
    EXPECT_TRUE(same_tensor(io::npy_from_bytes(io::npy_to_bytes(f), "special"), f));
}

TEST(Npy, AnyNonZeroBoolByteIsTrue) {
    const Tensor t = io::npy_from_bytes(npy_image(header("|b1", "(4,)"), {0, 1, 2, 255}), "b");
    EXPECT_EQ(t.to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 1, 1, 1}));
}

TEST(Npy, ReadsHeaderVariantsNumpyAccepts) {
    const Bytes four = {1, 0, 0, 0, 2, 0, 0, 0};
    // Key order, spacing, Python 2 longs, versions 2.0/3.0, '<' for one-byte types.
    const std::string dicts[] = {
        "{'shape': (2,), 'fortran_order': False, 'descr': '<i4'}",
        "{ \"descr\" : \"<i4\" , \"fortran_order\":False,\"shape\":(2L,)}",
    };
    for (const auto& d : dicts) {
        SCOPED_TRACE(d);
        const Tensor t = io::npy_from_bytes(npy_image(d, four), "variant");
        EXPECT_EQ(t.to_vector<int>(), (std::vector<int>{1, 2}));
    }
    for (int major : {2, 3}) {
        const Tensor t = io::npy_from_bytes(npy_image(header("<i4", "(2,)"), four, major), "v");
        EXPECT_EQ(t.to_vector<int>(), (std::vector<int>{1, 2}));
    }
    EXPECT_EQ(io::npy_from_bytes(npy_image(header("<u1", "(1,)"), {9}), "u").dtype(), uint8);
}

TEST(Npz, RoundTripStoredAndCompressed) {
    TempDir dir;
    std::map<std::string, Tensor> arrays;
    for (DType dt : kAllDTypes) arrays[std::string(name(dt))] = sample({3, 5}, dt);
    arrays["scalar"] = Tensor::scalar(2.5, float64);
    arrays["empty"] = zeros({0, 4}, int32);
    arrays["view"] = sample({5, 5}, float32).transpose();
    for (bool compressed : {false, true}) {
        io::save_npz(dir / "a.npz", arrays, compressed);
        const auto back = io::load_npz(dir / "a.npz");
        ASSERT_EQ(back.size(), arrays.size());
        for (const auto& [k, v] : arrays) {
            SCOPED_TRACE(k);
            ASSERT_TRUE(back.count(k));
            EXPECT_TRUE(same_tensor(back.at(k), v));
        }
        EXPECT_EQ(io::npz_from_bytes(io::npz_to_bytes(arrays, compressed), "mem").size(),
                  arrays.size());
    }
    EXPECT_TRUE(io::npz_from_bytes(io::npz_to_bytes({}), "empty").empty());
}

TEST(Npz, CompressionShrinksRedundantData) {
    const std::map<std::string, Tensor> arrays{{"z", zeros({256, 256})}};
    EXPECT_LT(io::npz_to_bytes(arrays, true).size() * 50, io::npz_to_bytes(arrays, false).size());
}

// ---------------------------------------------------------------------------
// Files written by NumPy

TEST(Npy, ReadsFilesWrittenByNumpy) {
    REQUIRE_NUMPY();
    TempDir dir;
    ASSERT_TRUE(run_python(dir, R"PY(
for name in ['bool', 'uint8', 'int32', 'int64', 'float32', 'float64']:
    a = np.arange(24).reshape(2, 3, 4)
    if name == 'bool':
        a = a % 3 == 1
    else:
        a = (a * 37) % 251 if name in ('uint8', 'int32', 'int64') else a * 0.25 - 3
    np.save(os.path.join(d, name + '.npy'), a.astype(name))
np.save(os.path.join(d, 'scalar.npy'), np.float64(-1.5))
np.save(os.path.join(d, 'empty.npy'), np.zeros((0, 3), np.int32))
np.save(os.path.join(d, 'strided.npy'), np.arange(20.0)[::-3])
np.save(os.path.join(d, 'nan.npy'), np.array([np.nan, -np.inf, -0.0], np.float32))
for v in [(2, 0), (3, 0)]:
    with open(os.path.join(d, 'v%d.npy' % v[0]), 'wb') as f:
        np.lib.format.write_array(f, np.arange(6, dtype='<i8').reshape(3, 2), version=v)
)PY"));
    for (DType dt : kAllDTypes) {
        SCOPED_TRACE(name(dt));
        const Tensor t = io::load_npy(dir / (std::string(name(dt)) + ".npy"));
        EXPECT_TRUE(same_tensor(t, sample({2, 3, 4}, dt)));
    }
    const Tensor s = io::load_npy(dir / "scalar.npy");
    EXPECT_EQ(s.ndim(), 0);
    EXPECT_EQ(s.item(), -1.5);
    EXPECT_EQ(io::load_npy(dir / "empty.npy").shape(), (Shape{0, 3}));
    EXPECT_EQ(io::load_npy(dir / "strided.npy").to_vector<double>(),
              (std::vector<double>{19, 16, 13, 10, 7, 4, 1}));
    EXPECT_EQ(io::load_npy(dir / "nan.npy").to_string(), "[ nan -inf  -0.]");
    for (const char* v : {"v2.npy", "v3.npy"})
        EXPECT_TRUE(same_tensor(io::load_npy(dir / v), arange(6).reshape({3, 2})));
}

TEST(Npy, FilesAreByteIdenticalToNumpySave) {
    REQUIRE_NUMPY();
    TempDir dir;
    io::save_npy(dir / "a.npy", sample({2, 3, 4}, float32));
    io::save_npy(dir / "b.npy", Tensor::scalar(7, int64));
    io::save_npy(dir / "c.npy", sample({123456, 2}, uint8));
    io::save_npy(dir / "d.npy", zeros({0}, bool_));
    EXPECT_TRUE(run_python(dir, R"PY(
def same(name, a):
    p = os.path.join(d, name)
    np.save(p + '.ref.npy', a)
    ours, ref = open(p, 'rb').read(), open(p + '.ref.npy', 'rb').read()
    assert ours == ref, (name, ours[:128], ref[:128])
    b = np.load(p)
    assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b), name
same('a.npy', (np.arange(24) * 0.25 - 3).astype(np.float32).reshape(2, 3, 4))
same('b.npy', np.array(7, np.int64))
same('c.npy', ((np.arange(246912) * 37) % 251).astype(np.uint8).reshape(123456, 2))
same('d.npy', np.zeros(0, bool))
)PY"));
}

TEST(Npz, ReadsArchivesWrittenByNumpy) {
    REQUIRE_NUMPY();
    TempDir dir;
    ASSERT_TRUE(run_python(dir, R"PY(
arrays = dict(w=np.arange(12, dtype=np.float32).reshape(3, 4), b=np.array([True, False]),
              n=np.int64(5), e=np.zeros((2, 0)))
np.savez(os.path.join(d, 'stored.npz'), **arrays)
np.savez_compressed(os.path.join(d, 'deflated.npz'), **arrays)
np.savez(os.path.join(d, 'positional.npz'), np.arange(3), np.ones(2))
)PY"));
    for (const char* f : {"stored.npz", "deflated.npz"}) {
        SCOPED_TRACE(f);
        const auto a = io::load_npz(dir / f);
        ASSERT_EQ(a.size(), 4u);
        EXPECT_TRUE(same_tensor(a.at("w"), arange(0.0, 12.0, 1.0, float32).reshape({3, 4})));
        EXPECT_TRUE(same_tensor(a.at("b"), Tensor(std::vector<bool>{true, false}, {2})));
        EXPECT_TRUE(same_tensor(a.at("n"), Tensor::scalar(5, int64)));
        EXPECT_EQ(a.at("e").shape(), (Shape{2, 0}));
    }
    const auto p = io::load_npz(dir / "positional.npz");
    ASSERT_TRUE(p.count("arr_0") && p.count("arr_1"));
    EXPECT_TRUE(same_tensor(p.at("arr_0"), arange(3)));
}

TEST(Npz, NumpyReadsOurArchives) {
    REQUIRE_NUMPY();
    TempDir dir;
    std::map<std::string, Tensor> arrays{{"x", sample({4, 3}, float64)},
                                         {"labels", sample({10}, uint8)},
                                         {"mask", sample({2, 2}, bool_)},
                                         {"s", Tensor::scalar(3, int32)},
                                         {"big", zeros({300, 300})}};
    io::save_npz(dir / "stored.npz", arrays, false);
    io::save_npz(dir / "deflated.npz", arrays, true);
    EXPECT_TRUE(run_python(dir, R"PY(
expect = dict(x=np.arange(12).reshape(4, 3) * 0.25 - 3,
              labels=((np.arange(10) * 37) % 251).astype(np.uint8),
              mask=np.arange(4).reshape(2, 2) % 3 == 1, s=np.array(3, np.int32),
              big=np.zeros((300, 300), np.float32))
for name, method in [('stored.npz', zipfile.ZIP_STORED), ('deflated.npz', zipfile.ZIP_DEFLATED)]:
    p = os.path.join(d, name)
    with zipfile.ZipFile(p) as z:
        assert z.testzip() is None, name
        assert all(i.compress_type == method for i in z.infolist()), name
        assert sorted(z.namelist()) == sorted(k + '.npy' for k in expect), z.namelist()
    with np.load(p) as f:
        assert sorted(f.files) == sorted(expect), f.files
        for k, v in expect.items():
            a = f[k]
            assert a.dtype == v.dtype and a.shape == v.shape and np.array_equal(a, v), (name, k)
)PY"));
}

TEST(Npz, ReadsZip64Records) {
    // numpy writes zip64 only past 4 GiB; this archive uses zip64 sizes,
    // offsets and end records for a small member, and zipfile validates it.
    REQUIRE_NUMPY();
    TempDir dir;
    ASSERT_TRUE(run_python(dir, R"PY(
import io, struct, zlib
buf = io.BytesIO(); np.save(buf, np.arange(5, dtype=np.int32)); data = buf.getvalue()
name, crc, n = b'z.npy', zlib.crc32(data), len(data)
big = 0xffffffff
local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 33, crc, big, big, len(name), 20)
local += name + struct.pack('<HHQQ', 1, 16, n, n) + data
extra = struct.pack('<HHQQQ', 1, 24, n, n, 0)
central = struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 33, crc, big, big,
                      len(name), len(extra), 0, 0, 0, 0, big) + name + extra
cd_off, cd_size = len(local), len(central)
z64end = struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, 1, 1, cd_size, cd_off)
locator = struct.pack('<IIQI', 0x07064b50, 0, cd_off + cd_size, 1)
end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xffff, 0xffff, big, big, 0)
p = os.path.join(d, 'z64.npz')
open(p, 'wb').write(local + central + z64end + locator + end)
with zipfile.ZipFile(p) as z:
    assert z.testzip() is None
assert np.array_equal(np.load(p)['z'], np.arange(5))
)PY"));
    const auto a = io::load_npz(dir / "z64.npz");
    EXPECT_TRUE(same_tensor(a.at("z"), arange(5).astype(int32)));
}

// ---------------------------------------------------------------------------
// .npy errors

TEST(NpyErrors, MissingFileNamesThePath) {
    TempDir dir;
    try {
        io::load_npy(dir / "absent.npy");
        FAIL() << "no IOError";
    } catch (const IOError& e) {
        EXPECT_HAS(e.what(), "load_npy");
        EXPECT_HAS(e.what(), (dir / "absent.npy").string());
        EXPECT_HAS(e.what(), "No such file or directory");
    }
    EXPECT_THROW(io::load_npz(dir / "absent.npz"), IOError);
}

TEST(NpyErrors, BadMagicAndShortFiles) {
    EXPECT_HAS(npy_error(to_bytes("PK\x03\x04 this is a zip"), "w.npy"), "'w.npy'");
    EXPECT_HAS(npy_error(to_bytes("PK\x03\x04 this is a zip")), "not a .npy file");
    EXPECT_HAS(npy_error(to_bytes("\x93NUM")), "too short");
    EXPECT_HAS(npy_error({}), "not a .npy file");
}

TEST(NpyErrors, UnsupportedVersion) {
    Bytes b = npy_image(header("<f4", "(1,)"), {0, 0, 0, 0});
    b[6] = 4;
    EXPECT_HAS(npy_error(b), "unsupported .npy format version 4.0");
    b[6] = 1;
    b[7] = 1;
    EXPECT_HAS(npy_error(b), "version 1.1");
}

TEST(NpyErrors, TruncatedHeader) {
    const Bytes b = npy_image(header("<f4", "(1,)"), {});
    EXPECT_HAS(npy_error(Bytes(b.begin(), b.begin() + 40)), "truncated file: the header is");
    EXPECT_HAS(npy_error(Bytes(b.begin(), b.begin() + 9)), "too short");
    Bytes v2 = npy_image(header("<f4", "(1,)"), {}, 2);
    EXPECT_HAS(npy_error(Bytes(v2.begin(), v2.begin() + 11)), "header length is cut off");
}

TEST(NpyErrors, MalformedHeaderDict) {
    const std::pair<std::string, std::string> cases[] = {
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (1,), }", "expected ':'"},
        {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
         "unexpected or repeated key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", "repeated key"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': 1}", "'shape' must be a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "non-negative integers"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}", "expected ','"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", "'shape' must be a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (a,)}", "unexpected character 'a'"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
         "'fortran_order' must be True or False"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", "malformed header"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", "unexpected text after"},
        {"['descr', '<f4']", "not a dict"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': " + std::string(40, '(') + "1" +
             std::string(40, ')') + "}",
         "nesting too deep"},
        {"", "unexpected end"},
    };
    for (const auto& [dict, problem] : cases) {
        SCOPED_TRACE(dict);
        const std::string msg = npy_error(npy_image(dict, {0, 0, 0, 0}));
        EXPECT_HAS(msg, problem);
        EXPECT_HAS(msg, "'bad.npy'");
    }
}

TEST(NpyErrors, FortranOrder) {
    const std::string msg = npy_error(npy_image(header("<f4", "(1, 1)", true), {0, 0, 0, 0}));
    EXPECT_HAS(msg, "Fortran-order");
}

TEST(NpyErrors, BigEndianAndUnsupportedDTypes) {
    EXPECT_HAS(npy_error(npy_image(header(">f4", "(1,)"), {0, 0, 0, 0})),
               "big-endian dtype '>f4' is not supported");
    for (const char* descr : {"<c8", "<U3", "|O", "<f2", "|i1", "<u4", "|S5", "=f8", "x"}) {
        SCOPED_TRACE(descr);
        EXPECT_HAS(npy_error(npy_image(header(descr, "(1,)"), Bytes(16, 0))),
                   std::string("unsupported dtype '") + descr + "'");
    }
    const std::string structured =
        "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }";
    EXPECT_HAS(npy_error(npy_image(structured, Bytes(8, 0))), "structured");
}

TEST(NpyErrors, NumpyWrittenUnsupportedFiles) {
    REQUIRE_NUMPY();
    TempDir dir;
    ASSERT_TRUE(run_python(dir, R"PY(
np.save(os.path.join(d, 'fortran.npy'), np.arange(6.0).reshape(2, 3).T)
np.save(os.path.join(d, 'big.npy'), np.arange(3, dtype='>f4'))
np.save(os.path.join(d, 'complex.npy'), np.ones(2, np.complex64))
np.save(os.path.join(d, 'str.npy'), np.array(['abc', 'de']))
np.save(os.path.join(d, 'obj.npy'), np.array([{}, None], dtype=object), allow_pickle=True)
)PY"));
    const std::pair<const char*, const char*> cases[] = {
        {"fortran.npy", "Fortran-order"}, {"big.npy", "big-endian dtype '>f4'"},
        {"complex.npy", "'<c8'"},          {"str.npy", "'<U3'"},
        {"obj.npy", "'|O'"}};
    for (const auto& [file, problem] : cases) {
        try {
            io::load_npy(dir / file);
            ADD_FAILURE() << file << " loaded";
        } catch (const IOError& e) {
            EXPECT_HAS(e.what(), (dir / file).string());
            EXPECT_HAS(e.what(), problem);
        }
    }
}

TEST(NpyErrors, DataLengthMismatch) {
    EXPECT_HAS(npy_error(npy_image(header("<f4", "(3, 4)"), Bytes(40, 0))),
               "needs 48 bytes, found 40 (truncated file)");
    EXPECT_HAS(npy_error(npy_image(header("<i8", "()"), Bytes(9, 0))), "(trailing bytes)");
    EXPECT_HAS(npy_error(npy_image(header("|b1", "(0,)"), Bytes(1, 0))), "trailing bytes");
    EXPECT_HAS(npy_error(npy_image(header("<f8", "(4611686018427387904, 4)"), Bytes(8, 0))),
               "too large");
    std::string many = "(";
    for (int i = 0; i < 40; ++i) many += "1, ";
    EXPECT_HAS(npy_error(npy_image(header("<f8", many + ")"), Bytes(8, 0))), "40 dimensions");
}

TEST(NpyErrors, StridesOfEmptyTensorsMustFit) {
    // NumPy's rule: the byte size ignoring zero dims must fit in 64 bits.
    EXPECT_HAS(npy_error(npy_image(header("<f8", "(0, 4611686018427387904)"), {})), "too large");
    const Tensor t = io::npy_from_bytes(
        npy_image(header("|u1", "(0, 1152921504606846976)"), {}), "empty.npy");
    EXPECT_EQ(t.shape(), (Shape{0, std::int64_t{1} << 60}));
    EXPECT_EQ(t.size(), 0);
}

TEST(NpyErrors, HeaderLongerThanNumpysLimit) {
    // A 20 kB header (version 2.0) is refused before it is parsed, as NumPy
    // refuses headers over max_header_size = 10000.
    const std::string dict = header("<f4", "(1,)") + std::string(20000, ' ');
    const std::string msg = npy_error(npy_image(dict, {0, 0, 0, 0}, 2));
    EXPECT_HAS(msg, "'bad.npy'");
    EXPECT_HAS(msg, "longer than NumPy's limit of 10000");
    // Just below the limit still parses.
    const std::string ok = header("<f4", "(1,)") + std::string(9800, ' ');
    EXPECT_EQ(io::npy_from_bytes(npy_image(ok, {0, 0, 0, 0}, 2), "ok.npy").size(), 1);
}

TEST(NpyErrors, SaveUndefinedTensor) {
    TempDir dir;
    EXPECT_THROW(io::save_npy(dir / "u.npy", Tensor()), ValueError);
    EXPECT_THROW(io::save_npz(dir / "u.npz", {{"u", Tensor()}}), ValueError);
    EXPECT_EQ(dir.count(), 0);
}

// ---------------------------------------------------------------------------
// .npz errors

namespace {

Bytes small_archive(bool compressed) {
    return io::npz_to_bytes({{"a", arange(0.0, 64.0, 1.0, float64)}, {"b", ones({3})}}, compressed);
}

// Offset of the first occurrence of a 4-byte little-endian signature.
std::size_t find_sig(const Bytes& b, std::uint32_t sig, std::size_t from = 0) {
    for (std::size_t i = from; i + 4 <= b.size(); ++i)
        if (b[i] == (sig & 0xff) && b[i + 1] == ((sig >> 8) & 0xff) &&
            b[i + 2] == ((sig >> 16) & 0xff) && b[i + 3] == sig >> 24)
            return i;
    return std::string::npos;
}

}  // namespace

TEST(NpzErrors, NotAZip) {
    EXPECT_HAS(npz_error(to_bytes("hello"), "x.npz"), "'x.npz'");
    EXPECT_HAS(npz_error(to_bytes("hello")), "too short");
    EXPECT_HAS(npz_error(Bytes(100, 'a')), "no end-of-central-directory record");
    EXPECT_HAS(npz_error(io::npy_to_bytes(ones({40}))), "not a ZIP archive");
}

TEST(NpzErrors, TruncatedArchive) {
    const Bytes b = small_archive(false);
    EXPECT_HAS(npz_error(Bytes(b.begin(), b.end() - 30)), "not a ZIP archive");
    // Keep the end record but cut data before it: offsets point past the file.
    Bytes cut(b.begin(), b.begin() + 200);
    cut.insert(cut.end(), b.end() - 22, b.end());
    EXPECT_HAS(npz_error(cut), "past the end");
}

TEST(NpzErrors, CrcMismatch) {
    Bytes b = small_archive(false);
    b[find_sig(b, 0x04034b50) + 30 + 5 + 200] ^= 0x40;  // a data byte of member a.npy
    const std::string msg = npz_error(b);
    EXPECT_HAS(msg, "member 'a.npy'");
    EXPECT_HAS(msg, "CRC-32 mismatch");
}

TEST(NpzErrors, CorruptDeflateStream) {
    Bytes b = small_archive(true);
    const std::size_t data = find_sig(b, 0x04034b50) + 30 + 5;
    for (std::size_t i = 0; i < 8; ++i) b[data + i] = 0xff;
    EXPECT_HAS(npz_error(b), "corrupt deflate data");
    Bytes t = small_archive(true);
    t[find_sig(t, 0x02014b50) + 24] += 1;  // declared uncompressed size of a.npy
    EXPECT_HAS(npz_error(t), "the directory declares");
    Bytes big = small_archive(true);
    big[find_sig(big, 0x02014b50) + 27] = 0x7f;  // claims ~2 GiB
    EXPECT_HAS(npz_error(big), "compressed bytes");
}

TEST(NpzErrors, UnsupportedMethodAndEncryption) {
    Bytes b = small_archive(false);
    b[find_sig(b, 0x02014b50) + 10] = 12;  // bzip2
    EXPECT_HAS(npz_error(b), "compression method 12 is not supported");
    Bytes e = small_archive(false);
    e[find_sig(e, 0x02014b50) + 8] |= 1;
    EXPECT_HAS(npz_error(e), "encrypted");
}

TEST(NpzErrors, BadMembersAreNamed) {
    REQUIRE_NUMPY();
    TempDir dir;
    ASSERT_TRUE(run_python(dir, R"PY(
import io
def npy(a):
    b = io.BytesIO(); np.save(b, a); return b.getvalue()
with zipfile.ZipFile(os.path.join(d, 'text.npz'), 'w') as z:
    z.writestr('w.npy', npy(np.ones(2)))
    z.writestr('readme.txt', 'hello')
with zipfile.ZipFile(os.path.join(d, 'nokeys.npz'), 'w') as z:
    z.writestr('a.npy', np.lib.format.magic(1, 0) + b'\x10\x00{}' + b' ' * 13 + b'\n')
with zipfile.ZipFile(os.path.join(d, 'dup.npz'), 'w') as z:
    z.writestr('a.npy', npy(np.ones(2)))
    z.writestr('a', npy(np.zeros(2)))
)PY"));
    const std::pair<const char*, std::vector<const char*>> cases[] = {
        {"text.npz", {"member 'readme.txt'", "not a .npy file"}},
        {"nokeys.npz", {"member 'a.npy'", "missing key 'descr'"}},
        {"dup.npz", {"duplicate member 'a'"}}};
    for (const auto& [file, problems] : cases) {
        try {
            io::load_npz(dir / file);
            ADD_FAILURE() << file << " loaded";
        } catch (const IOError& e) {
            EXPECT_HAS(e.what(), (dir / file).string());
            for (const char* p : problems) EXPECT_HAS(e.what(), p);
        }
    }
}

TEST(NpzErrors, BadLocalHeader) {
    Bytes b = small_archive(false);
    b[find_sig(b, 0x04034b50)] = 'X';
    EXPECT_HAS(npz_error(b), "bad local header signature");
}

TEST(NpzErrors, OverlappingMembersAreRefused) {
    // Point b.npy's directory entry at a.npy's bytes: the shape of an
    // "overlapping" zip bomb, which lists one stream many times.
    Bytes b = small_archive(true);
    const std::size_t first = find_sig(b, 0x02014b50);
    const std::size_t second = find_sig(b, 0x02014b50, first + 4);
    ASSERT_NE(second, std::string::npos);
    for (int i = 0; i < 4; ++i) b[second + 42 + i] = b[first + 42 + i];
    const std::string msg = npz_error(b);
    EXPECT_HAS(msg, "members 'a.npy' and 'b.npy' overlap");
}
