#pragma once
// Sequential: a linear stack of layers, Keras's keras.Sequential.
//
//   models::Sequential model({
//       layers::Dense(512, "relu", {.input_shape = {784}}),
//       layers::Dense(10, "softmax"),
//   });
//   model.summary();                     // Total params: 407,050
//   Tensor probs = model(batch);         // forward pass (inference mode)
//
// Without an input shape (no input_shape on the first layer, no Input) the
// model builds its weights on first use: the first call, fit, or build().
//
// Training, as the book:
//   model.compile("rmsprop", "categorical_crossentropy", {"accuracy"});
//   model.fit(train_images, train_labels, {.epochs = 5, .batch_size = 128});
//   auto [test_loss, test_acc] = model.evaluate(test_images, test_labels);
//   Tensor predictions = model.predict(test_images(Slice(0, 10)));
//
// Inputs must be floating point: integer images (uint8 pixels) are refused
// with a hint to convert them as the book does (astype(float32) / 255),
// because feeding raw 0..255 values trains badly without any error.
#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/random.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/layers/layer.hpp"
#include "nabla/models/training_options.hpp"

namespace nabla::models {

namespace detail {
class TrainStep;
}

// A ModelHandle so that callbacks (EarlyStopping, ...) can stop training and
// read or restore weights.
class Sequential : public callbacks::ModelHandle {
public:
    // An empty model; add layers with add(). An empty name asks for an
    // automatic one ("sequential", "sequential_1", ...).
    explicit Sequential(std::string name = "");
    Sequential(std::initializer_list<layers::LayerHandle> layers, std::string name = "");
    ~Sequential() override;
    Sequential(Sequential&&) noexcept;
    Sequential& operator=(Sequential&&) noexcept;
    Sequential(const Sequential&) = delete;
    Sequential& operator=(const Sequential&) = delete;

    const std::string& name() const { return name_; }

    // Appends a layer; if the model is already built, builds the new layer
    // on the current output shape (a mismatch throws and leaves the model as
    // it was).
    void add(layers::LayerHandle layer);
    // Removes the last layer (ValueError on an empty model).
    void pop();
    const std::vector<std::shared_ptr<layers::Layer>>& layers() const { return layers_; }
    // By name (ValueError listing the names) or index (negative from the end).
    std::shared_ptr<layers::Layer> get_layer(const std::string& name) const;
    std::shared_ptr<layers::Layer> get_layer(int index) const;

    // Builds every layer for inputs of `input_shape`, batch axis included
    // (-1 for unknown): model.build({-1, 784}).
    void build(const Shape& input_shape);
    bool built() const { return built_; }
    const Shape& input_shape() const;   // (None, 784); ValueError before build
    const Shape& output_shape() const;  // (None, 10)

    // The forward pass: every layer in order. training = true switches on
    // Dropout; the default is inference, as keras's model(x).
    Tensor operator()(const Tensor& x, bool training = false);

    std::vector<Variable> weights() const;
    std::vector<Variable> trainable_weights() const;
    std::vector<Variable> non_trainable_weights() const;
    std::int64_t count_params() const;
    // Copies of every weight, in weights() order; set_weights takes the same list.
    std::vector<Tensor> get_weights() const override;
    void set_weights(const std::vector<Tensor>& values) override;

    // Keras's summary table. ValueError before the model is built.
    void summary(std::ostream& os) const;
    void summary() const;  // to std::cout
    std::string summary_string() const;

    // Reseeds the model's generator, from which every layer without its own
    // seed gets its stream (initial weights, dropout masks) and fit() draws
    // its shuffles. Call it before the model is built to fix the initial
    // weights too. By default the generator is split off the global one
    // (random::seed) when the model is constructed.
    void set_seed(std::uint64_t seed);
    random::Generator& generator() { return rng_; }
    // "model" (the shuffles) then every layer that has a stream, by layer
    // name: what BackupAndRestore saves so a resumed fit draws the same
    // shuffles and Dropout masks as an uninterrupted one. set_random_state
    // matches the layers' streams by position (names are informative: a
    // rebuilt model's automatic names may differ); ValueError when the count
    // differs.
    RandomState random_state() const override;
    void set_random_state(const RandomState& state) override;

    // --- saving (Keras 3's formats; defined in src/saving, see docs/saving.md) ---
    // The whole model (architecture, weights, compile state with the
    // optimizer's variables) as a .keras zip; the path must end ".keras".
    // With overwrite = false an existing file is an IOError. The write is
    // atomic: a failed save leaves the previous file intact.
    void save(const std::string& path, bool overwrite = true) const override;
    // The weights and the optimizer state as .weights.h5 (the path must end
    // so), laid out as Keras writes them.
    void save_weights(const std::string& path, bool overwrite = true) const override;
    // Weights from a .weights.h5, a .keras or a legacy .h5 (Keras 2 or 3),
    // and the optimizer state when the file has one for this optimizer.
    // Everything is read and checked before anything is assigned: a bad file
    // leaves the model as it was.
    void load_weights(const std::string& path) override;
    // The config.json object (Keras's model.to_json()).
    std::string to_json() const;
    // Keras 3's model.export(path, format) (`export` is a C++ keyword):
    // format "onnx" writes an ONNX model (opset 17, IR 8) for inference
    // elsewhere, atomically; another format is a ValueError listing the
    // supported one. Defined in src/export (nabla/export/onnx.hpp).
    void export_model(const std::string& path, const std::string& format) const;

    // --- training ---
    // Sets the optimizer, loss and metrics; compiling again replaces them
    // (and the optimizer's state). Names are Keras's.
    void compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metrics = {});
    bool compiled() const;
    optimizers::Optimizer* optimizer() override;
    const losses::Loss* loss() const;
    std::vector<std::shared_ptr<metrics::Metric>> metrics() const;

    // Trains for options.epochs epochs of mini-batches and returns the
    // History (one entry per epoch: loss, metrics, and val_ versions with
    // validation data). Epoch values are means over the epoch's samples (each
    // batch weighted by its size); the last, partial batch is used. A batch
    // whose loss is NaN or infinite is not applied: training stops there,
    // with a message on std::cerr naming the epoch and batch, and the
    // History's last loss is that non-finite value.
    callbacks::History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
    // Loss and metrics over all samples, in inference mode.
    Evaluation evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
    Evaluation evaluate(const Tensor& x, const Tensor& y, std::int64_t batch_size);
    // Outputs for every sample, computed batch by batch in inference mode.
    // predict, predict_on_batch, predict_into and model(x) may be called on
    // one model from many threads at once (not while another thread trains,
    // compiles, loads weights into or changes the model): each thread
    // computes in its own buffers, and a lazy first build is done once.
    Tensor predict(const Tensor& x, PredictOptions options = {});
    Tensor predict(const Tensor& x, std::int64_t batch_size);
    // predict(x) into a caller's buffer, for serving: `out` is a contiguous
    // float32 tensor shaped like the output ((x.shape(0), 10) for the book's
    // model); x is contiguous float32. For a stack of Dense, Flatten,
    // Dropout, Activation and InputLayer layers with float32 weights, a call
    // after the first one on the same thread allocates nothing, and a
    // single-sample call runs on the calling thread alone (no thread team,
    // no matrix library). Other models are computed as model(x) and copied
    // into `out`. ShapeError / DTypeError naming both shapes when x or out
    // does not fit. Not Keras (its predict returns a new array; see
    // docs/deploy.md, "Serving predictions from threads").
    void predict_into(const Tensor& x, Tensor& out);
    // One step on one batch; metrics are over this batch only (Keras's
    // reset_metrics=True).
    Evaluation train_on_batch(const Tensor& x, const Tensor& y);
    Evaluation test_on_batch(const Tensor& x, const Tensor& y);
    Tensor predict_on_batch(const Tensor& x);

private:
    struct Compiled;
    struct Prepared;
    Compiled& require_compiled(const char* what) const;
    Prepared prepare(const char* who, const Tensor& x, const Tensor& y);
    Tensor prepare_x(const char* who, const Tensor& x);
    Evaluation run_test(const Prepared& data, std::int64_t batch_size, callbacks::CallbackList& cbs,
                        distributed::DataParallel* distribution = nullptr);
    Tensor predict_distributed(const Tensor& x, PredictOptions options);
    Evaluation reduced_logs(distributed::DataParallel& distribution, double local_samples, const char* prefix = "");
    Evaluation current_logs(const char* prefix = "") const;
    void reset_metrics();
    void update_metrics(const Tensor& y, const Tensor& y_pred);

    void adopt(const std::shared_ptr<layers::Layer>& layer);
    void build_from_declared_shape();
    // build(shape) unless built, once even when threads race to it.
    void build_lazily(const Shape& input_shape);
    void require_built(const char* what) const;

    std::string name_;
    std::vector<std::shared_ptr<layers::Layer>> layers_;
    random::Generator rng_;
    Shape input_shape_, output_shape_;
    std::atomic<bool> built_{false};  // read by concurrent predictions
    std::unique_ptr<Compiled> compiled_;
};

}  // namespace nabla::models
