#include "nabla/training/callbacks.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "nabla/io/file.hpp"
#include "nabla/training/metrics.hpp"
#include "nabla/training/progbar.hpp"

namespace nabla::callbacks {

// --- Logs ---

Logs::Logs(std::initializer_list<value_type> items) {
    for (const auto& [k, v] : items) set(k, v);
}

void Logs::set(std::string_view key, double value) {
    for (auto& [k, v] : items_)
        if (k == key) {
            v = value;
            return;
        }
    items_.emplace_back(std::string(key), value);
}

std::optional<double> Logs::get(std::string_view key) const {
    for (const auto& [k, v] : items_)
        if (k == key) return v;
    return std::nullopt;
}

bool Logs::contains(std::string_view key) const { return get(key).has_value(); }

double Logs::at(std::string_view key) const {
    if (const auto v = get(key)) return *v;
    std::string available;
    for (const auto& [k, v] : items_) available += (available.empty() ? "" : ", ") + k;
    throw ValueError("Logs: no value named '" + std::string(key) + "'; available: " +
                     (available.empty() ? std::string("none") : available));
}

std::vector<std::string> Logs::keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : items_) out.push_back(k);
    return out;
}

// --- History ---

// --- ModelHandle ---

void ModelHandle::set_random_state(const RandomState& state) {
    if (!state.empty())
        throw ValueError("set_random_state: this model has no random streams, but the state names " +
                         std::to_string(state.size()) + " (first: '" + state.front().first + "')");
}

void History::on_train_begin(const Logs&) { epoch.clear(); }

void History::on_epoch_end(int e, const Logs& logs) {
    epoch.push_back(e);
    for (const auto& [k, v] : logs) history[k].push_back(v);
}

// --- CallbackList ---

CallbackList::CallbackList(std::vector<std::shared_ptr<Callback>> callbacks, bool add_history, bool add_progbar,
                           ModelHandle* model, Params params)
    : callbacks_(std::move(callbacks)) {
    bool has_progbar = false;
    for (const auto& cb : callbacks_) {
        if (!cb) throw ValueError("CallbackList: a callback is null");
        if (auto h = std::dynamic_pointer_cast<History>(cb)) history_ = h;
        if (std::dynamic_pointer_cast<ProgbarLogger>(cb)) has_progbar = true;
    }
    if (!history_ && add_history) {
        history_ = std::make_shared<History>();
        callbacks_.push_back(history_);
    }
    if (!has_progbar && add_progbar) callbacks_.insert(callbacks_.begin(), std::make_shared<ProgbarLogger>());
    set_model(model);
    set_params(params);
}

void CallbackList::append(std::shared_ptr<Callback> callback) {
    if (!callback) throw ValueError("CallbackList.append: the callback is null");
    callback->set_model(model_);
    callback->set_params(params_);
    callbacks_.push_back(std::move(callback));
}

void CallbackList::set_model(ModelHandle* model) {
    model_ = model;
    for (const auto& cb : callbacks_) cb->set_model(model);
}

void CallbackList::set_params(const Params& params) {
    params_ = params;
    for (const auto& cb : callbacks_) cb->set_params(params);
}

#define NABLA_FORWARD(HOOK, PARAMS, ARGS) \
    void CallbackList::HOOK PARAMS {      \
        for (const auto& cb : callbacks_) cb->HOOK ARGS; \
    }
NABLA_FORWARD(on_train_begin, (const Logs& logs), (logs))
NABLA_FORWARD(on_train_end, (const Logs& logs), (logs))
NABLA_FORWARD(on_epoch_begin, (int epoch, const Logs& logs), (epoch, logs))
NABLA_FORWARD(on_epoch_end, (int epoch, const Logs& logs), (epoch, logs))
NABLA_FORWARD(on_train_batch_begin, (std::int64_t batch, const Logs& logs), (batch, logs))
NABLA_FORWARD(on_train_batch_end, (std::int64_t batch, const Logs& logs), (batch, logs))
NABLA_FORWARD(on_test_begin, (const Logs& logs), (logs))
NABLA_FORWARD(on_test_end, (const Logs& logs), (logs))
NABLA_FORWARD(on_test_batch_begin, (std::int64_t batch, const Logs& logs), (batch, logs))
NABLA_FORWARD(on_test_batch_end, (std::int64_t batch, const Logs& logs), (batch, logs))
NABLA_FORWARD(on_predict_begin, (const Logs& logs), (logs))
NABLA_FORWARD(on_predict_end, (const Logs& logs), (logs))
NABLA_FORWARD(on_predict_batch_begin, (std::int64_t batch, const Logs& logs), (batch, logs))
NABLA_FORWARD(on_predict_batch_end, (std::int64_t batch, const Logs& logs), (batch, logs))
#undef NABLA_FORWARD

// --- EarlyStopping ---

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
    minimize_ = metrics::monitor_minimizes("EarlyStopping", options_.mode, options_.monitor);
    if (options_.patience < 0) throw ValueError("EarlyStopping: patience must be >= 0");
    if (!std::isfinite(options_.min_delta)) throw ValueError("EarlyStopping: min_delta must be finite");
    // Keras: min_delta = abs(min_delta), negated when minimizing, so that
    // "current - min_delta beats best" reads the same in both modes.
    min_delta_ = minimize_ ? -std::abs(options_.min_delta) : std::abs(options_.min_delta);
}

bool EarlyStopping::is_improvement(double value, double reference) const {
    return minimize_ ? value - min_delta_ < reference : value - min_delta_ > reference;
}

void EarlyStopping::on_train_begin(const Logs&) {
    wait_ = 0;
    stopped_epoch_ = 0;
    best_.reset();
    best_weights_.reset();
    best_epoch_ = 0;
    warned_ = false;
}

ModelHandle& EarlyStopping::require_model() const {
    if (model_ == nullptr) throw ValueError("EarlyStopping: no model set (set_model was not called)");
    return *model_;
}

void EarlyStopping::on_epoch_end(int epoch, const Logs& logs) {
    const std::optional<double> current = logs.get(options_.monitor);
    if (!current) {
        if (!warned_) {
            std::string available;
            for (const auto& k : logs.keys()) available += (available.empty() ? "" : ",") + k;
            std::cerr << "Warning: Early stopping conditioned on metric `" << options_.monitor
                      << "` which is not available. Available metrics are: " << available << "\n";
            warned_ = true;
        }
        return;
    }
    if (epoch < options_.start_from_epoch) return;
    if (options_.restore_best_weights && !best_weights_) {
        // Until something improves, the first counted epoch is the best.
        best_weights_ = require_model().get_weights();
        best_epoch_ = epoch;
    }
    ++wait_;
    if (!best_ || is_improvement(*current, *best_)) {
        best_ = *current;
        best_epoch_ = epoch;
        if (options_.restore_best_weights) best_weights_ = require_model().get_weights();
        // Only restart the wait when the baseline is beaten too.
        if (!options_.baseline || is_improvement(*current, *options_.baseline)) wait_ = 0;
        return;
    }
    if (wait_ >= options_.patience && epoch > 0) {
        stopped_epoch_ = epoch;
        require_model().stop_training = true;
    }
}

void EarlyStopping::on_train_end(const Logs&) {
    std::ostream& out = options_.stream != nullptr ? *options_.stream : std::cout;
    if (stopped_epoch_ > 0 && options_.verbose > 0) out << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
    if (options_.restore_best_weights && best_weights_) {
        if (options_.verbose > 0)
            out << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
        require_model().set_weights(*best_weights_);
    }
    out.flush();
}

// --- CSVLogger ---

std::string python_float_repr(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    const std::string sci(buf, res.ptr);  // shortest round-trip: "-1.2345e-05"
    const std::size_t e = sci.find('e');
    const bool negative = sci[0] == '-';
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < e; ++i)
        if (sci[i] != '.') digits += sci[i];
    const int exp10 = std::stoi(sci.substr(e + 1));
    std::string out = negative ? "-" : "";
    // Python's repr switches to exponent form outside 1e-4 <= |x| < 1e16.
    if (exp10 < -4 || exp10 >= 16) {
        out += digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        const int a = std::abs(exp10);
        out += std::string("e") + (exp10 < 0 ? "-" : "+") + (a < 10 ? "0" : "") + std::to_string(a);
        return out;
    }
    const int point = exp10 + 1;  // digits before the decimal point
    const int n = static_cast<int>(digits.size());
    if (point <= 0) return out + "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    if (point >= n) return out + digits + std::string(static_cast<std::size_t>(point - n), '0') + ".0";
    return out + digits.substr(0, static_cast<std::size_t>(point)) + "." + digits.substr(static_cast<std::size_t>(point));
}

namespace {

// Python csv's QUOTE_MINIMAL for one field.
std::string csv_field(const std::string& s, char sep) {
    if (s.find_first_of(std::string{sep, '"', '\r', '\n'}) == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

}  // namespace

CSVLogger::CSVLogger(std::filesystem::path filename, char separator, bool append)
    : filename_(std::move(filename)), separator_(separator), append_(append) {
    if (filename_.empty()) throw ValueError("CSVLogger: filename is empty");
    if (separator_ == '"' || separator_ == '\r' || separator_ == '\n')
        throw ValueError("CSVLogger: the separator cannot be a quote or a line break");
}

void CSVLogger::on_train_begin(const Logs&) {
    content_.clear();
    write_header_ = true;
    stream_.reset();
    if (io::writes_in_place(filename_)) {
        // Rewriting the whole file each epoch would send a pipe every row again.
        stream_ = std::make_shared<io::InPlaceWriter>(filename_);
        header_written_ = false;
        return;
    }
    if (append_ && std::filesystem::exists(filename_)) {
        const std::vector<std::uint8_t> bytes = io::read_file(filename_);
        content_.assign(bytes.begin(), bytes.end());
        // Keras writes the header only when the file's first line is empty.
        write_header_ = content_.empty() || content_[0] == '\n' || content_[0] == '\r';
    }
    io::atomic_write(filename_, [&](std::ostream& os) { os << content_; });
    header_written_ = false;
}

void CSVLogger::on_epoch_end(int epoch, const Logs& logs) {
    if (!keys_) {
        std::vector<std::string> keys = logs.keys();
        std::sort(keys.begin(), keys.end());
        // Keras adds val_ columns up front when the first epoch has none
        // (validation_freq > 1), so later rows fit the header.
        if (std::none_of(keys.begin(), keys.end(), [](const std::string& k) { return k.starts_with("val_"); })) {
            const std::size_t n = keys.size();
            for (std::size_t i = 0; i < n; ++i) keys.push_back("val_" + keys[i]);
        }
        keys_ = std::move(keys);
    }
    std::string text;
    if (!header_written_ && write_header_) {
        text += "epoch";
        for (const auto& k : *keys_) text += separator_ + csv_field(k, separator_);
        text += "\r\n";
    }
    header_written_ = true;
    text += std::to_string(epoch);
    for (const auto& k : *keys_) {
        const auto v = logs.get(k);
        text += separator_ + (v ? python_float_repr(*v) : std::string("NA"));
    }
    text += "\r\n";
    if (stream_) return stream_->write(text);
    // The whole file is replaced atomically: a reader never sees half a row.
    io::atomic_write(filename_, [&](std::ostream& os) { os << content_ << text; });
    content_ += text;
}

void CSVLogger::on_train_end(const Logs&) {
    header_written_ = false;
    stream_.reset();
}

// --- LambdaCallback ---

void LambdaCallback::on_epoch_begin(int epoch, const Logs& logs) {
    if (f_.on_epoch_begin) f_.on_epoch_begin(epoch, logs);
}
void LambdaCallback::on_epoch_end(int epoch, const Logs& logs) {
    if (f_.on_epoch_end) f_.on_epoch_end(epoch, logs);
}
void LambdaCallback::on_train_batch_begin(std::int64_t batch, const Logs& logs) {
    if (f_.on_train_batch_begin) f_.on_train_batch_begin(batch, logs);
}
void LambdaCallback::on_train_batch_end(std::int64_t batch, const Logs& logs) {
    if (f_.on_train_batch_end) f_.on_train_batch_end(batch, logs);
}
void LambdaCallback::on_train_begin(const Logs& logs) {
    if (f_.on_train_begin) f_.on_train_begin(logs);
}
void LambdaCallback::on_train_end(const Logs& logs) {
    if (f_.on_train_end) f_.on_train_end(logs);
}

}  // namespace nabla::callbacks
