// ONNX export: Sequential::export_model(path, "onnx") and `nabla export`.
// Debian's python3-onnx checks the files (onnx_check.py: full checker,
// opset, operators, symbolic batch); onnxruntime from the pinned oracle venv
// runs them on real MNIST digits and must agree with nabla's predict within
// 1e-5 (onnx_runtime_check.py).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "nabla/nabla.hpp"
#include "support/requirements.hpp"
#include "support/run_command.hpp"
#include "support/temp_dir.hpp"

using namespace nabla;
namespace fs = std::filesystem;

namespace {

const fs::path kScripts = fs::path(NABLA_SOURCE_DIR) / "tests" / "export";
const fs::path kMnist = fs::path(NABLA_SHARED_DATA_DIR) / "mnist";

using test::CommandResult;

bool debian_onnx() { return test::run_command(std::string(NABLA_PYTHON) + " -c 'import onnx'").status == 0; }

// Every layer and every activation nabla has, in two models.
models::Sequential every_layer_model() {
    models::Sequential m({layers::Input({28, 28}), layers::Flatten(), layers::Dense(64, "relu"), layers::Dropout(0.5),
                          layers::Dense(32, "tanh"), layers::Dense(16, "sigmoid"), layers::Dense(10, "linear"),
                          layers::Activation("softmax")});
    m.set_seed(3);
    m.build({-1, 28, 28});
    return m;
}
const char* kEveryLayerOps = "Flatten,Gemm,Relu,Identity,Gemm,Tanh,Gemm,Sigmoid,Gemm,Softmax";

models::Sequential activation_layers_model() {
    models::Sequential m({layers::Dense(32, "linear", {.input_shape = {784}, .use_bias = false}),
                          layers::Activation("relu"), layers::Activation("tanh"), layers::Activation("sigmoid"),
                          layers::Activation("linear"), layers::Dense(10, "softmax")});
    m.set_seed(4);
    m.build({-1, 784});
    return m;
}
const char* kActivationLayersOps = "Gemm,Relu,Tanh,Sigmoid,Identity,Gemm,Softmax";

// The book's convnet (chapter 8): NHWC convolutions and pools, each between
// two Transposes, then Flatten over NHWC as Keras.
models::Sequential book_convnet() {
    models::Sequential m({layers::Input({28, 28, 1}), layers::Conv2D(32, 3, "relu"), layers::MaxPooling2D(2),
                          layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Conv2D(128, 3, "relu"),
                          layers::Flatten(), layers::Dense(10, "softmax")});
    m.set_seed(6);
    m.build({-1, 28, 28, 1});
    return m;
}
const char* kBookConvnetOps =
    "Transpose,Conv,Transpose,Relu,Transpose,MaxPool,Transpose,Transpose,Conv,Transpose,Relu,Transpose,MaxPool,"
    "Transpose,Transpose,Conv,Transpose,Relu,Flatten,Gemm,Softmax";

// Batch-norm statistics away from 0 and 1, so a wrong scale or shift shows.
layers::BatchNormalizationOptions moved_statistics(bool center) {
    return {.epsilon = 1e-3,
            .center = center,
            .beta_initializer = initializers::random_normal(0.0, 0.3),
            .gamma_initializer = initializers::random_uniform(0.5, 1.5),
            .moving_mean_initializer = initializers::random_normal(0.0, 0.5),
            .moving_variance_initializer = initializers::random_uniform(0.05, 2.0)};
}

// Flat digits reshaped (with a -1) to images; "same" padding with strides 2,
// with dilation 2 and with an odd kernel (2, 3); pools with "same" padding
// whose windows overhang the bottom/right edge (the average counts only the
// real pixels); batch norm on NHWC; the global average.
models::Sequential image_layers_model() {
    models::Sequential m({
        layers::Reshape({28, -1, 1}, {.input_shape = {784}}),
        layers::Conv2D(8, 3, "relu", {.strides = 2, .padding = "same"}),
        layers::Conv2D(8, 3, "tanh", {.padding = "same", .dilation_rate = 2}),
        layers::BatchNormalization(moved_statistics(true)),
        layers::AveragePooling2D(3, {.strides = 2, .padding = "same"}),
        layers::MaxPooling2D(2, {.padding = "same"}),
        layers::Conv2D(16, {2, 3}, layers::Conv2DOptions{.strides = {1, 2}, .padding = "same"}),
        layers::GlobalAveragePooling2D(),
        layers::Dense(10, "softmax"),
    });
    m.set_seed(7);
    m.build({-1, 784});
    return m;
}
const char* kImageLayersOps =
    "Reshape,Transpose,Conv,Transpose,Relu,Transpose,Conv,Transpose,Tanh,Mul,Add,Transpose,AveragePool,Transpose,"
    "Transpose,MaxPool,Transpose,Transpose,Conv,Transpose,ReduceMean,Gemm,Softmax";

// No conv bias, a kept-dims global average, batch norm after a Dense (rank 2) without beta.
models::Sequential keepdims_model() {
    models::Sequential m({layers::Input({28, 28, 1}),
                          layers::Conv2D(4, 5, layers::Conv2DOptions{.use_bias = false}),
                          layers::GlobalAveragePooling2D({.keepdims = true}), layers::Flatten(),
                          layers::Dense(16, "relu"), layers::BatchNormalization(moved_statistics(false)),
                          layers::Dense(10, "softmax")});
    m.set_seed(8);
    m.build({-1, 28, 28, 1});
    return m;
}
const char* kKeepdimsOps = "Transpose,Conv,Transpose,ReduceMean,Flatten,Gemm,Relu,Mul,Add,Gemm,Softmax";

std::string check_command(const fs::path& file, const char* ops, const char* sample, const char* output, int inits) {
    return std::string(NABLA_PYTHON) + " " + (kScripts / "onnx_check.py").string() + " " + file.string() + " " + ops +
           " '" + sample + "' '" + output + "' " + std::to_string(inits);
}

// Exports `model` to `file` and runs Debian's checker on it (check_command).
void expect_checker_accepts(const models::Sequential& model, const fs::path& file, const char* ops,
                            const char* sample, const char* output, int inits) {
    model.export_model(file.string(), "onnx");
    const auto r = test::run_command(check_command(file, ops, sample, output, inits));
    EXPECT_EQ(r.status, 0) << file.filename() << ": " << r.output;
}

TEST(OnnxExport, UnknownFormatIsAValueErrorNamingTheSupportedOne) {
    test::TempDir dir;
    const auto m = activation_layers_model();
    try {
        m.export_model((dir / "m.pb").string(), "tf_saved_model");
        FAIL() << "no error";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("'tf_saved_model'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("'onnx'"), std::string::npos) << e.what();
    }
    EXPECT_EQ(dir.count(), 0);
}

TEST(OnnxExport, UnbuiltModelSaysHowToBuildIt) {
    models::Sequential m({layers::Dense(4, "relu")});
    try {
        onnx::to_bytes(m);
        FAIL() << "no error";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("not built"), std::string::npos) << e.what();
    }
}

TEST(OnnxExport, Float64WeightsAreRefusedNamingTheLayer) {
    models::Sequential m({layers::Dense(4, "relu", {.input_shape = {3}, .dtype = float64, .name = "wide"})});
    try {
        onnx::to_bytes(m);
        FAIL() << "no error";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("Dense 'wide'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("float64"), std::string::npos) << e.what();
    }
}

// A layer class with no conversion.
class Doubler : public layers::Layer {
public:
    Doubler() : Layer("doubler", "") {}
    std::string_view class_name() const override { return "Doubler"; }
    Shape compute_output_shape(const Shape& s) const override { return s; }

protected:
    Tensor call(const Tensor& x, bool) override { return x * 2; }
};

TEST(OnnxExport, UnsupportedLayerIsNamedWithTheSupportedList) {
    models::Sequential m({layers::Dense(4, "relu", {.input_shape = {3}}), std::make_shared<Doubler>()});
    try {
        onnx::to_bytes(m);
        FAIL() << "no error";
    } catch (const ValueError& e) {
        const std::string w = e.what();
        EXPECT_NE(w.find("(Doubler)"), std::string::npos) << w;
        EXPECT_NE(w.find("Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten, "
                         "GlobalAveragePooling2D, InputLayer, MaxPooling2D, Reshape"),
                  std::string::npos)
            << w;
    }
    EXPECT_EQ(onnx::supported_layers(),
              (std::vector<std::string>{"Activation", "AveragePooling2D", "BatchNormalization", "Conv2D", "Dense",
                                        "Dropout", "Flatten", "GlobalAveragePooling2D", "InputLayer", "MaxPooling2D",
                                        "Reshape"}));
}

TEST(OnnxExport, BadPathFailsBeforeAnyWorkAndAnOldFileSurvives) {
    test::TempDir dir;
    const auto m = activation_layers_model();
    EXPECT_THROW(m.export_model((dir / "missing" / "m.onnx").string(), "onnx"), IOError);
    EXPECT_THROW(m.export_model(dir.path().string(), "onnx"), IOError);  // a directory
    const fs::path file = dir / "m.onnx";
    m.export_model(file.string(), "onnx");
    const auto size = fs::file_size(file);
    EXPECT_EQ(size, onnx::to_bytes(m).size());
    EXPECT_EQ(dir.count(), 1);  // no temporary file left
}

TEST(OnnxExport, DebianCheckerAcceptsEveryLayerAndActivation) {
    if (!debian_onnx()) NABLA_SKIP_OR_FAIL("Debian's python3-onnx is not installed");
    test::TempDir dir;
    expect_checker_accepts(every_layer_model(), dir / "a.onnx", kEveryLayerOps, "[28, 28]", "[10]", 8);
    expect_checker_accepts(activation_layers_model(), dir / "b.onnx", kActivationLayersOps, "[784]", "[10]", 3);
}

TEST(OnnxExport, DebianCheckerAcceptsTheImageLayers) {
    if (!debian_onnx()) NABLA_SKIP_OR_FAIL("Debian's python3-onnx is not installed");
    test::TempDir dir;
    expect_checker_accepts(book_convnet(), dir / "c.onnx", kBookConvnetOps, "[28, 28, 1]", "[10]", 8);
    expect_checker_accepts(image_layers_model(), dir / "i.onnx", kImageLayersOps, "[784]", "[10]", 11);
    expect_checker_accepts(keepdims_model(), dir / "k.onnx", kKeepdimsOps, "[28, 28, 1]", "[10]", 7);
}

TEST(OnnxExport, SamePaddingNeedsAKnownHeightAndWidth) {
    // Built for images of any size (an input_shape must be positive; build's needn't).
    models::Sequential m({layers::Conv2D(4, 3, {.padding = "same", .name = "free"})});
    m.build({-1, -1, -1, 1});
    try {
        onnx::to_bytes(m);
        FAIL() << "no error";
    } catch (const ValueError& e) {
        EXPECT_NE(std::string(e.what()).find("'free'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("unknown height"), std::string::npos) << e.what();
    }
}

TEST(OnnxExport, UnknownImageSizesGetTheirOwnDimensionNames) {
    // ONNX takes dimensions with one dim_param to be equal: an unknown height
    // named "batch" would claim height == width == batch.
    if (!debian_onnx()) NABLA_SKIP_OR_FAIL("Debian's python3-onnx is not installed");
    models::Sequential m({layers::Conv2D(4, 3), layers::GlobalAveragePooling2D(), layers::Dense(3)});
    m.build({-1, -1, -1, 1});
    test::TempDir dir;
    m.export_model((dir / "free.onnx").string(), "onnx");
    const std::string script =
        "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); "
        "d = m.graph.input[0].type.tensor_type.shape.dim; "
        "print(','.join(x.dim_param or str(x.dim_value) for x in d))";
    const auto r = test::run_command(std::string(NABLA_PYTHON) + " -c \"" + script + "\" " + (dir / "free.onnx").string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "batch,input_dim1,input_dim2,1\n");
}

TEST(OnnxExport, CheckScriptRejectsAWrongExpectation) {
    // The check can fail: the same file with one operator expected wrong.
    if (!debian_onnx()) NABLA_SKIP_OR_FAIL("Debian's python3-onnx is not installed");
    test::TempDir dir;
    activation_layers_model().export_model((dir / "b.onnx").string(), "onnx");
    const auto r = test::run_command(check_command(dir / "b.onnx", "Gemm,Relu,Tanh,Sigmoid,Identity,Gemm,Relu", "[784]", "[10]", 3));
    EXPECT_NE(r.status, 0) << r.output;
    // A truncated file is refused by the checker itself.
    const auto bytes = onnx::to_bytes(activation_layers_model());
    std::ofstream(dir / "cut.onnx", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), 100);
    EXPECT_NE(test::run_command(check_command(dir / "cut.onnx", kActivationLayersOps, "[784]", "[10]", 3)).status, 0);
}

// Real digits: the first 256 of the MNIST test set, as the book scales them.
Tensor digits(std::int64_t n, bool flat) {
    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnist);
    Tensor x = images(Slice(0, n)).astype(float32) / 255;
    return flat ? x.reshape({n, 784}) : x;
}

void expect_onnxruntime_agrees(models::Sequential& m, const Tensor& x, const test::TempDir& dir, const std::string& name) {
    const fs::path file = dir / (name + ".onnx"), data = dir / (name + ".npz");
    m.export_model(file.string(), "onnx");
    io::save_npz(data, {{"x", x}, {"predictions", m.predict(x)}});
    const auto r = test::run_command(std::string(NABLA_ORACLE_PYTHON) + " " + (kScripts / "onnx_runtime_check.py").string() + " " +
                       file.string() + " " + data.string() + " 1e-5");
    EXPECT_EQ(r.status, 0) << name << ": " << r.output;
    std::cout << name << ": " << r.output;
}

TEST(OnnxExport, OnnxruntimeMatchesPredictOnRealDigits) {
    if (!fs::exists(NABLA_ORACLE_PYTHON)) NABLA_SKIP_OR_FAIL(NABLA_ORACLE_PYTHON " not found (the oracle venv)");
    if (!fs::exists(kMnist / "t10k-images-idx3-ubyte.gz")) NABLA_SKIP_OR_FAIL("no MNIST test set in " + kMnist.string());
    test::TempDir dir;
    auto a = every_layer_model();
    expect_onnxruntime_agrees(a, digits(256, false), dir, "every_layer");
    auto b = activation_layers_model();
    expect_onnxruntime_agrees(b, digits(256, true), dir, "activation_layers");
    // The book's network after some training: weights away from their initial scale.
    models::Sequential book({layers::Dense(512, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    book.set_seed(5);
    book.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto [images, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnist);
    const Tensor x = images(Slice(0, 1024)).reshape({1024, 784}).astype(float32) / 255;
    book.fit(x, labels(Slice(0, 1024)), {.epochs = 1, .batch_size = 128, .verbose = 0});
    expect_onnxruntime_agrees(book, digits(256, true), dir, "book");
}

TEST(OnnxExport, OnnxruntimeMatchesPredictForTheImageLayers) {
    if (!fs::exists(NABLA_ORACLE_PYTHON)) NABLA_SKIP_OR_FAIL(NABLA_ORACLE_PYTHON " not found (the oracle venv)");
    if (!fs::exists(kMnist / "t10k-images-idx3-ubyte.gz")) NABLA_SKIP_OR_FAIL("no MNIST test set in " + kMnist.string());
    test::TempDir dir;
    const Tensor images = digits(256, false).reshape({256, 28, 28, 1});
    // The book's convnet after a little training (an epoch on 1024 digits).
    auto book = book_convnet();
    book.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    auto [train, labels] = datasets::mnist::load_subset(datasets::Subset::test, kMnist);
    const Tensor x = train(Slice(0, 1024)).reshape({1024, 28, 28, 1}).astype(float32) / 255;
    book.fit(x, labels(Slice(0, 1024)), {.epochs = 1, .batch_size = 128, .verbose = 0});
    expect_onnxruntime_agrees(book, images, dir, "book_convnet");
    auto i = image_layers_model();
    expect_onnxruntime_agrees(i, digits(256, true), dir, "image_layers");
    auto k = keepdims_model();
    expect_onnxruntime_agrees(k, images, dir, "keepdims");
}

#ifdef NABLA_CLI_PATH  // builds without the apps (the tsan preset) have no CLI
TEST(OnnxExport, CliExportsASavedModelToTheSameBytes) {
    test::TempDir dir;
    auto m = every_layer_model();
    m.save((dir / "m.keras").string());
    const auto r = test::run_command(std::string(NABLA_CLI_PATH) + " export " + (dir / "m.keras").string() + " " +
                       (dir / "m.onnx").string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_NE(r.output.find("exported"), std::string::npos) << r.output;
    const auto file = io::read_file(dir / "m.onnx");
    EXPECT_EQ(file, onnx::to_bytes(m));
    const auto bad = test::run_command(std::string(NABLA_CLI_PATH) + " export " + (dir / "m.keras").string() + " " +
                         (dir / "m.onnx").string() + " --format tflite");
    EXPECT_NE(bad.status, 0) << bad.output;
}

TEST(OnnxExport, CliExportsASavedConvnet) {
    test::TempDir dir;
    auto m = image_layers_model();
    m.save((dir / "c.keras").string());
    const auto r = test::run_command(std::string(NABLA_CLI_PATH) + " export " + (dir / "c.keras").string() + " " +
                       (dir / "c.onnx").string());
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(io::read_file(dir / "c.onnx"), onnx::to_bytes(m));
}

#endif

}  // namespace
