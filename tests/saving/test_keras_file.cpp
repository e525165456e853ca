// .keras files and config.json: round trips of every layer, optimizer, loss
// and metric nabla has; load_model's compile option; errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../support/temp_dir.hpp"
#include "saving_fixtures.hpp"

namespace nabla {
namespace {

using testing_fit::make_blobs;
using testing_saving::expect_same_weights;
using testing_saving::same_bits;

// Every layer kind, activation and initializer family, on (2, 2) inputs.
// Tests that train after loading use dropout_rate 0: like Keras, a file
// holds no random-generator state, so a resumed Dropout draws other masks.
models::Sequential every_layer_model(double dropout_rate = 0.25) {
    models::Sequential m({layers::Flatten({.input_shape = {2, 2}}),
                          layers::Dense(8, "relu", {.kernel_initializer = "he_normal", .name = "hidden"}),
                          layers::Dense(6, "tanh", {.kernel_initializer = initializers::random_normal(0.0, 0.1),
                                                    .bias_initializer = initializers::constant(0.25)}),
                          layers::Dropout(dropout_rate, {.seed = 7}),
                          layers::Dense(5, "sigmoid", {.kernel_initializer = initializers::truncated_normal(0.0, 0.2)}),
                          layers::Dense(4, "linear", {.kernel_initializer = initializers::random_uniform(-0.3, 0.3)}),
                          layers::Dense(3, "linear", {.use_bias = false, .kernel_initializer = "lecun_uniform"}),
                          layers::Activation("softmax")});
    m.set_seed(11);
    return m;
}

Tensor inputs() { return make_blobs(32).x.reshape({32, 2, 2}); }

TEST(SavingKeras, EveryLayerRoundTripsWithOptimizerState) {
    test::TempDir dir;
    const auto data = make_blobs(32);
    const Tensor x = inputs();
    models::Sequential m = every_layer_model(0.0);
    m.compile(optimizers::Adam({.learning_rate = 0.01, .amsgrad = true}), "sparse_categorical_crossentropy",
              {"accuracy"});
    m.train_on_batch(x, data.labels);
    m.train_on_batch(x, data.labels);
    const std::string path = (dir / "m.keras").string();
    m.save(path);
    EXPECT_EQ(dir.count(), 1);

    models::Sequential r = models::load_model(path);
    EXPECT_EQ(r.to_json(), m.to_json());
    EXPECT_TRUE(same_bits(r.predict(x), m.predict(x)));
    ASSERT_TRUE(r.compiled());
    EXPECT_EQ(r.optimizer()->name(), "Adam");
    EXPECT_EQ(r.optimizer()->iterations(), 2);
    EXPECT_EQ(r.loss()->name(), "sparse_categorical_crossentropy");
    ASSERT_EQ(r.metrics().size(), 1u);
    EXPECT_EQ(r.metrics()[0]->name(), "accuracy");
    m.train_on_batch(x, data.labels);
    r.train_on_batch(x, data.labels);
    expect_same_weights(r, m);
}

TEST(SavingKeras, EveryOptimizerLossAndMetricRoundTrips) {
    test::TempDir dir;
    const auto data = make_blobs(32);
    const Tensor x = inputs();
    std::vector<std::function<models::OptimizerArg()>> opts = {
        [] { return optimizers::SGD(); },
        [] { return optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9, .nesterov = true}); },
        [] { return optimizers::RMSprop(); },
        [] { return optimizers::RMSprop({.rho = 0.8, .momentum = 0.5, .centered = true, .clipnorm = 1.0}); },
        [] { return optimizers::Adagrad({.initial_accumulator_value = 0.2, .weight_decay = 0.01}); },
        [] { return optimizers::Adam({.beta_1 = 0.8, .amsgrad = true, .global_clipnorm = 2.0}); },
        [] { return optimizers::Adam({.clipvalue = 0.5}); },
    };
    struct LossCase {
        models::LossArg loss;
        Tensor y;
        std::vector<models::MetricArg> metrics;
    };
    const Tensor one_hot = data.one_hot();
    int n = 0;
    for (auto& make_opt : opts) {
        std::vector<LossCase> cases;
        cases.push_back({"sparse_categorical_crossentropy", data.labels, {"accuracy", "sparse_categorical_accuracy"}});
        cases.push_back({"categorical_crossentropy", one_hot, {"categorical_accuracy", "mse"}});
        cases.push_back({losses::CategoricalCrossentropy(true), one_hot, {"mae"}});
        cases.push_back({"binary_crossentropy", one_hot, {"binary_accuracy"}});
        cases.push_back({"mean_squared_error", one_hot, {"mean_squared_error", "mean_absolute_error"}});
        for (auto& c : cases) {
            models::Sequential m = every_layer_model(0.0);
            m.compile(make_opt(), c.loss, c.metrics);
            m.train_on_batch(x, c.y);
            const std::string path = (dir / ("m" + std::to_string(n++) + ".keras")).string();
            m.save(path);
            models::Sequential r = models::load_model(path);
            EXPECT_EQ(r.to_json(), m.to_json()) << path;
            m.train_on_batch(x, c.y);
            r.train_on_batch(x, c.y);
            expect_same_weights(r, m);
            EXPECT_EQ(r.evaluate(x, c.y, {.verbose = 0}).values(), m.evaluate(x, c.y, {.verbose = 0}).values());
        }
    }
}

TEST(SavingKeras, CompileFalseLoadsArchitectureAndWeightsOnly) {
    test::TempDir dir;
    models::Sequential m = every_layer_model();
    m.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy"});
    const std::string path = (dir / "m.keras").string();
    m.save(path);
    models::Sequential r = models::load_model(path, {.compile = false});
    EXPECT_FALSE(r.compiled());
    EXPECT_TRUE(same_bits(r.predict(inputs()), m.predict(inputs())));
}

TEST(SavingKeras, ModelFromJsonRebuildsTheArchitecture) {
    models::Sequential m = every_layer_model();
    models::Sequential r = models::model_from_json(m.to_json());
    EXPECT_EQ(r.to_json(), m.to_json());
    EXPECT_EQ(r.count_params(), m.count_params());
    EXPECT_FALSE(r.compiled());
}

TEST(SavingKeras, ConfigIsKerasShaped) {
    models::Sequential m({layers::Dense(4, "relu", {.input_shape = {3}, .name = "d"})}, "seq");
    m.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
    const auto j = nlohmann::json::parse(m.to_json());
    EXPECT_EQ(j["module"], "keras");
    EXPECT_EQ(j["class_name"], "Sequential");
    EXPECT_TRUE(j["registered_name"].is_null());
    EXPECT_EQ(j["config"]["build_input_shape"], nlohmann::json::parse("[null, 3]"));
    EXPECT_EQ(j["config"]["layers"][0]["class_name"], "InputLayer");
    EXPECT_EQ(j["config"]["layers"][0]["config"]["batch_shape"], nlohmann::json::parse("[null, 3]"));
    const auto& d = j["config"]["layers"][1];
    EXPECT_EQ(d["module"], "keras.layers");
    EXPECT_EQ(d["config"]["name"], "d");
    EXPECT_EQ(d["config"]["kernel_initializer"]["class_name"], "GlorotUniform");
    EXPECT_EQ(d["config"]["dtype"]["config"]["name"], "float32");
    EXPECT_EQ(d["build_config"]["input_shape"], nlohmann::json::parse("[null, 3]"));
    const auto& cc = j["compile_config"];
    EXPECT_EQ(cc["optimizer"]["class_name"], "RMSprop");
    EXPECT_EQ(cc["optimizer"]["config"]["name"], "rm_sprop");
    EXPECT_EQ(cc["optimizer"]["config"]["learning_rate"].get<double>(), 0.0010000000474974513);
    EXPECT_EQ(cc["loss"], "categorical_crossentropy");
    EXPECT_EQ(cc["metrics"], nlohmann::json::parse(R"(["accuracy"])"));
}

TEST(SavingKeras, UnknownLayerClassNamesItAndTheSupportedOnes) {
    const std::string json = R"({"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
        {"module": "keras.layers", "class_name": "LSTM", "config": {"name": "c", "units": 3}}]}})";
    try {
        models::model_from_json(json);
        FAIL() << "no error";
    } catch (const ValueError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("'LSTM'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("Dense, Dropout, Flatten, Activation, InputLayer, Conv2D, MaxPooling2D"), std::string::npos)
            << msg;
    }
}

TEST(SavingKeras, ReadsMinimalKerasConfigIgnoringUnknownKeys) {
    const std::string json = R"({"class_name": "Sequential", "module": "keras", "config": {"name": "m", "future_key": 1,
      "layers": [{"class_name": "InputLayer", "module": "keras.layers", "config": {"batch_shape": [null, 784],
        "dtype": "float32", "name": "in"}},
      {"class_name": "Dense", "module": "keras.layers", "config": {"name": "d", "units": 512, "activation": "relu",
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "shared_object_id": 5}}},
      {"class_name": "Dense", "module": "keras.layers", "config": {"name": "d2", "units": 10, "activation": "softmax"}}]}})";
    models::Sequential m = models::model_from_json(json);
    EXPECT_TRUE(m.built());
    EXPECT_EQ(m.count_params(), 407050);
}

TEST(SavingKeras, RefusesOtherExtensions) {
    test::TempDir dir;
    models::Sequential m = every_layer_model();
    EXPECT_THROW(m.save((dir / "m.h5").string()), ValueError);
    EXPECT_THROW(models::load_model((dir / "m.zip").string()), ValueError);
    EXPECT_EQ(dir.count(), 0);
}

TEST(SavingKeras, Float64DenseRoundTrips) {
    test::TempDir dir;
    models::Sequential m({layers::Dense(3, "relu", {.input_shape = {4}, .dtype = float64}),
                          layers::Dense(3, "softmax", {.dtype = float64})});
    m.compile("adam", "sparse_categorical_crossentropy");
    const auto data = make_blobs(8);
    m.train_on_batch(data.x.astype(float64), data.labels);
    const std::string path = (dir / "m.keras").string();
    m.save(path);
    models::Sequential r = models::load_model(path);
    EXPECT_EQ(r.get_weights()[0].dtype(), float64);
    EXPECT_EQ(nlohmann::json::parse(r.to_json())["config"]["layers"][1]["config"]["dtype"]["config"]["name"], "float64");
    expect_same_weights(r, m);
    EXPECT_EQ(r.optimizer()->iterations(), 1);
}

TEST(SavingKeras, LoadWeightsAcceptsAKerasFile) {
    test::TempDir dir;
    models::Sequential m = every_layer_model();
    const std::string path = (dir / "m.keras").string();
    m.save(path);
    models::Sequential r = every_layer_model();
    r.set_seed(12);
    r.load_weights(path);
    expect_same_weights(r, m);
}

}  // namespace
}  // namespace nabla
