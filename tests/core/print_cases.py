#!/usr/bin/python3
"""Generates tests/core/print_cases.inc: NumPy's str() of many arrays, next to
C++ that builds the same tensor. Run with Debian's python3 (numpy 1.24):

    /usr/bin/python3 tests/core/print_cases.py > tests/core/print_cases.inc
"""
import math
import numpy as np

CPP_TYPE = {
    np.bool_: "bool", np.uint8: "std::uint8_t", np.int32: "std::int32_t",
    np.int64: "std::int64_t", np.float32: "float", np.float64: "double",
}


def literal(x, dtype):
    if dtype == np.bool_:
        return "true" if x else "false"
    if dtype in (np.float32, np.float64):
        if math.isnan(x):
            return "NAN"
        if math.isinf(x):
            return "INFINITY" if x > 0 else "-INFINITY"
        text = repr(dtype(x).item()) if dtype == np.float64 else repr(float(np.float32(x)))
        return text + ("f" if dtype == np.float32 else "")
    if dtype == np.int64 and x == -2**63:
        return "INT64_MIN"
    return str(int(x))


def from_data(a):
    """C++ building `a` element by element (for small arrays)."""
    t = a.dtype.type
    values = ", ".join(literal(x, t) for x in a.reshape(-1).tolist())
    shape = ", ".join(str(d) for d in a.shape)
    if a.ndim == 0:
        return f"Tensor(std::vector<{CPP_TYPE[t]}>{{{values}}}, Shape{{}})"
    return f"Tensor(std::vector<{CPP_TYPE[t]}>{{{values}}}, Shape{{{shape}}})"


# (name, numpy expression, C++ expression or None to spell out the data)
CASES = [
    # --- bool ---
    ("bool_1d", "np.array([True, False, True])", None),
    ("bool_2d", "np.array([[True, False], [False, False]])", None),
    ("bool_all_false", "np.array([False, False])", None),
    # --- integers ---
    ("int32_1d", "np.array([1, 2, 3], np.int32)", None),
    ("int32_widths", "np.array([-5, 10, 300, 7], np.int32)", None),
    ("int64_2d", "np.array([[1, -2], [30, 4]], np.int64)", None),
    ("int64_extremes", "np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max])", None),
    ("uint8_1d", "np.array([0, 7, 255], np.uint8)", None),
    ("int64_3d", "np.arange(24).reshape(2, 3, 4)", None),
    ("int64_4d", "np.arange(16).reshape(2, 2, 2, 2)", None),
    ("int64_single", "np.array([42])", None),
    ("int64_column", "np.array([[1], [22], [333]])", None),
    # --- floats, positional ---
    ("float32_brief", "np.array([0.1, 0.5, 1.0], np.float32)", None),
    ("float32_2x2", "np.array([[1, 2], [3, 4]], np.float32)", None),
    ("float64_thirds", "np.array([1 / 3, 2 / 3, 1.0])", None),
    ("float32_thirds", "np.array([1 / 3, 2 / 3, 1.0], np.float32)", None),
    ("float64_round_up", "np.array([0.999999999, 0.5])", None),
    ("float64_round_eight", "np.array([0.123456785, 1.5])", None),
    ("float64_negative", "np.array([-1.5, 2.25, -0.125])", None),
    ("float64_neg_zero", "np.array([-0.0, 1.0])", None),
    ("float64_zeros", "np.zeros(4)", None),
    ("float32_large_positional", "np.array([33554434.0, 16777217.0, 1e5 + 0.5], np.float32)", None),
    ("float64_big_positional", "np.array([12345678.9, 1e5])", None),
    ("float32_point_one_sum", "np.array([0.1 + 0.2, 0.3])", None),
    ("float64_ratio_1000", "np.array([0.001, 1.0])", None),
    ("float32_ints", "np.array([[1, -2, 3], [40, 5, 60]], np.float32)", None),
    ("float64_3d", "np.arange(12, dtype=np.float64).reshape(2, 3, 2) / 4", None),
    # --- floats, scientific ---
    ("float64_sci_big", "np.array([1e8, 1.0])", None),
    ("float64_sci_small", "np.array([1e-5, 1.0])", None),
    ("float64_sci_ratio", "np.array([0.001, 1.0001])", None),
    ("float32_sci_1e-4", "np.array([1e-4], np.float32)", None),
    ("float64_exactly_1e-4", "np.array([1e-4])", None),
    ("float64_sci_exp3", "np.array([1e-100, 1.0])", None),
    ("float64_sci_mixed", "np.array([[1.5e-10, -2e3], [3.25e7, 1e12]])", None),
    ("float64_sci_long", "np.array([np.pi * 1e-7, np.e * 1e9])", None),
    ("float32_sci_long", "np.array([np.pi * 1e-7, np.e * 1e9], np.float32)", None),
    ("float64_denormal", "np.array([5e-324, 1.0])", None),
    ("float32_sci_true_digits", "np.array([1e-4, 1 / 3, 1e8], np.float32)", None),
    ("float64_sci_true_digits", "np.array([0.1, 1 / 3, 1e-9])", None),
    ("float64_max", "np.array([np.finfo(np.float64).max, -1.0])", None),
    # --- non-finite ---
    ("float64_nan_inf", "np.array([np.nan, 1.5, -np.inf])", None),
    ("float64_nan_only", "np.array([np.nan, np.nan])", None),
    ("float64_inf_only", "np.array([np.inf, -np.inf])", None),
    ("float64_nan_int_like", "np.array([np.nan, 1.0, 2.0])", None),
    ("float64_inf_sci", "np.array([np.inf, 1e-9, 1.0])", None),
    ("float32_nan_2d", "np.array([[np.nan, 0.25], [np.inf, -3.0]], np.float32)", None),
    # --- 0-d ---
    ("scalar_float32", "np.array(0.1, np.float32)", None),
    ("scalar_float64_int", "np.array(3.0)", None),
    ("scalar_float64_1e16", "np.array(1e16)", None),
    ("scalar_float64_below_1e16", "np.array(9999999999999998.0)", None),
    ("scalar_float64_1e-5", "np.array(1e-5)", None),
    ("scalar_float64_long", "np.array(1 / 3)", None),
    ("scalar_float32_long", "np.array(1 / 3, np.float32)", None),
    ("scalar_neg_zero", "np.array(-0.0)", None),
    ("scalar_nan", "np.array(np.nan)", None),
    ("scalar_neg_inf", "np.array(-np.inf, np.float32)", None),
    ("scalar_int64", "np.array(-7)", None),
    ("scalar_uint8", "np.array(255, np.uint8)", None),
    ("scalar_bool", "np.array(True)", None),
    ("scalar_float32_big", "np.array(1809832192, np.float32)", None),
    ("scalar_float64_2_53", "np.array(2.0 ** 53 + 2)", None),
    # --- empty ---
    ("empty_1d", "np.zeros(0)", None),
    ("empty_2d", "np.zeros((2, 0), np.int32)", "zeros({2, 0}, int32)"),
    ("empty_3d", "np.zeros((0, 3, 4), bool)", "zeros({0, 3, 4}, bool_)"),
    # --- line wrapping at 75 columns ---
    ("wrap_int", "np.arange(30)", "arange(30)"),
    ("wrap_float", "np.arange(30) / 7", "formula_f64({30}, [](std::int64_t i) { return i / 7.0; })"),
    ("wrap_2d", "np.arange(60).reshape(2, 30)", "arange(60).reshape({2, 30})"),
    ("wrap_3d", "np.arange(100).reshape(2, 2, 25) * 1000",
     "formula_i64({2, 2, 25}, [](std::int64_t i) { return i * 1000; })"),
    ("wrap_bool", "np.arange(40) % 3 == 0", None),
    ("wrap_sci", "np.arange(1, 21) * 1e-5", None),
    # --- summarisation beyond 1000 elements ---
    ("summary_1d", "np.arange(2000)", "arange(2000)"),
    ("summary_1001", "(np.arange(1001) * 7 + 5) % 10",
     "formula_i64({1001}, [](std::int64_t i) { return (i * 7 + 5) % 10; })"),
    ("summary_exactly_1000", "np.arange(1000)", "arange(1000)"),
    ("summary_2d", "np.arange(10000).reshape(100, 100)", "arange(10000).reshape({100, 100})"),
    ("summary_3d", "np.arange(8000, dtype=np.float32).reshape(20, 20, 20)",
     "arange(0.0, 8000.0, 1.0, float32).reshape({20, 20, 20})"),
    ("summary_short_axis", "np.arange(2002).reshape(2, 1001)", "arange(2002).reshape({2, 1001})"),
    ("summary_long_outer", "np.arange(1001).reshape(1001, 1)", "arange(1001).reshape({1001, 1})"),
    ("summary_hidden_outlier", "np.where(np.arange(2000) == 1000, 1e10, np.arange(2000) / 4)",
     "formula_f64({2000}, [](std::int64_t i) { return i == 1000 ? 1e10 : i / 4.0; })"),
    ("summary_bool", "np.arange(1500) % 2 == 0",
     "formula_bool({1500}, [](std::int64_t i) { return i % 2 == 0; })"),
    ("summary_4d", "np.arange(4 * 5 * 7 * 8).reshape(4, 5, 7, 8) % 13",
     "formula_i64({4, 5, 7, 8}, [](std::int64_t i) { return i % 13; })"),
    # --- views: strided, reversed, transposed ---
    ("view_transpose", "np.arange(6).reshape(2, 3).T", "arange(6).reshape({2, 3}).transpose()"),
    ("view_step", "np.arange(20)[1::3]", "arange(20)(Slice(1, None, 3))"),
    ("view_reversed", "(np.arange(5) / 2)[::-1]", "formula_f64({5}, [](std::int64_t i) { return i / 2.0; })(Slice(None, None, -1))"),
    ("view_column", "np.arange(12).reshape(3, 4)[:, 1]", "arange(12).reshape({3, 4})(Slice(), 1)"),
    ("view_summary_transposed", "np.arange(3000).reshape(30, 100).T",
     "arange(3000).reshape({30, 100}).transpose()"),
]


def main():
    print("// Generated by tests/core/print_cases.py with numpy " + np.__version__ + "; do not edit.")
    print("// {name, C++ building the tensor, str() of the same array in NumPy}")
    for name, np_expr, cpp in CASES:
        a = np.asarray(eval(np_expr))
        expected = str(a)
        assert ")NP\"" not in expected
        build = cpp if cpp is not None else from_data(a)
        print(f"{{\"{name}\", [] {{ return {build}; }},")
        print(f" R\"NP({expected})NP\"}},")


if __name__ == "__main__":
    main()
