// ModelCheckpoint's file-name templates: Python's str.format, checked
// against Python itself (every case is formatted by python3 too).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "nabla/nabla.hpp"
#include "nabla/training/path_format.hpp"
#include "support/requirements.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;
using callbacks::FormatValue;

namespace {

struct Case {
    FormatValue value;
    std::string spec;
};

std::vector<Case> cases() {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<Case> out;
    const std::vector<std::string> float_specs = {
        "", ".2f", ".4e", ".4E", "f", "e", "g", "G", ".3g", "#.3g", ".3", ".1", ".2", "10.3f", "<10.3f",
        "^11.2f", "=+10.2f", "+.2f", " .2f", "010.3f", "015,.2f", ",.2f", "_.1f", "%", ".1%", "x^9.3f", ".0f",
        "#.0f", ".0e", ".0%", "F", ".12g", "d", "s", "x", ".2q", "2.", "10.3fx", "+s", "08.2f"};
    for (double v : {0.25671, 1.0, 123.0, 1234.5, -0.5, -0.0, 1e20, 1e-5, 1e-7, 1e16, 12.0, 0.1 + 0.2, 1234567.891,
                     9.99999, inf, -inf, nan, 3.0e-310})
        for (const auto& s : float_specs) out.push_back({v, s});
    const std::vector<std::string> int_specs = {"", "d", "02d", "03d", "5d", "<5d", "^7d", "=+6d", "+d", " d", "05d",
                                                ",d", "_d", "010,", "x", "X", "#x", "#06x", "#8x", "o", "b", "_x",
                                                ",x", ".2f", ".3e", "%", "g", "s", ".2d", "c4", "*<6"};
    for (std::int64_t v : {std::int64_t{0}, std::int64_t{3}, std::int64_t{-3}, std::int64_t{12}, std::int64_t{255},
                           std::int64_t{-255}, std::int64_t{1234567}, std::numeric_limits<std::int64_t>::min()})
        for (const auto& s : int_specs) out.push_back({v, s});
    return out;
}

std::string value_text(const FormatValue& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    return callbacks::python_float_repr(std::get<double>(v));
}

}  // namespace

TEST(PathFormat, EveryCaseMatchesPython) {
    const std::vector<Case> all = cases();
    nlohmann::json in = nlohmann::json::array();
    for (const auto& c : all)
        in.push_back({std::holds_alternative<std::int64_t>(c.value) ? "int" : "float", value_text(c.value), c.spec});
    test::TempDir dir;
    std::ofstream(dir.path() / "cases.json") << in.dump();
    const std::string script =
        "import json,sys\n"
        "out=[]\n"
        "for kind,v,spec in json.load(open(sys.argv[1])):\n"
        "    x=int(v) if kind=='int' else float(v)\n"
        "    try: out.append(format(x,spec))\n"
        "    except (ValueError,TypeError): out.append(None)\n"
        "print(json.dumps(out))\n";
    std::ofstream(dir.path() / "oracle.py") << script;
    const std::string cmd = std::string(NABLA_PYTHON) + " " + (dir.path() / "oracle.py").string() + " " +
                            (dir.path() / "cases.json").string() + " 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) NABLA_SKIP_OR_FAIL("cannot run python3");
    std::string text;
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) text.append(buf.data(), n);
    if (::pclose(pipe) != 0) NABLA_SKIP_OR_FAIL("python3 failed: " + text);
    const nlohmann::json expected = nlohmann::json::parse(text);
    ASSERT_EQ(expected.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        const std::string what = "format(" + value_text(all[i].value) + ", '" + all[i].spec + "')";
        if (expected[i].is_null()) {
            EXPECT_THROW(callbacks::format_value(all[i].value, all[i].spec), ValueError) << what << " is an error in Python";
        } else {
            try {
                EXPECT_EQ(callbacks::format_value(all[i].value, all[i].spec), expected[i].get<std::string>()) << what;
            } catch (const std::exception& e) {
                ADD_FAILURE() << what << " threw " << e.what() << "; Python gives " << expected[i];
            }
        }
    }
    EXPECT_GT(all.size(), 900u);
}

TEST(PathFormat, KerasTemplates) {
    const callbacks::FormatArgs args = {{"epoch", std::int64_t{3}}, {"loss", 0.31234}, {"val_loss", 0.25671}};
    EXPECT_EQ(callbacks::format_filepath("ckpt-{epoch:02d}-{val_loss:.2f}.keras", args), "ckpt-03-0.26.keras");
    EXPECT_EQ(callbacks::format_filepath("m.{epoch}.{loss:.4e}.weights.h5", args), "m.3.3.1234e-01.weights.h5");
    EXPECT_EQ(callbacks::format_filepath("{{literal}}-{epoch!s:>4}-{val_loss}", args), "{literal}-   3-0.25671");
    EXPECT_EQ(callbacks::format_filepath("best.keras", args), "best.keras");
}

TEST(PathFormat, ErrorsNameTheProblem) {
    const callbacks::FormatArgs args = {{"epoch", std::int64_t{1}}, {"val_loss", 0.5}};
    try {
        callbacks::format_filepath("ckpt-{val_los:.2f}.keras", args);
        FAIL() << "no error for a missing key";
    } catch (const callbacks::FormatKeyError& e) {
        EXPECT_EQ(e.key, "val_los");
        EXPECT_STREQ(e.what(), "'val_los'");
    }
    for (const char* bad : {"ckpt-{epoch", "ckpt-}", "{}", "{0}", "{epoch.real}", "{epoch[0]}", "{epoch!x}",
                            "{val_loss:02d}", "{epoch:{w}}"})
        EXPECT_THROW(callbacks::format_filepath(bad, args), ValueError) << bad;
}
