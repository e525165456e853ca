#include "nabla/training/progbar.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace nabla::utils {

namespace {

// printf formatting, as Python's %-formatting and f-strings do for these
// specs; NaN prints "nan" whatever its sign bit (glibc would print "-nan").
// Concatenation by appending (GCC 12 warns falsely, -Wrestrict, about
// "literal" + std::string temporaries).
template <typename... Parts>
std::string cat(const Parts&... parts) {
    std::string s;
    (s.append(parts), ...);
    return s;
}

std::string format(const char* spec, double v) {
    if (std::isnan(v)) return "nan";
    char buf[64];
    std::snprintf(buf, sizeof buf, spec, v);
    return buf;
}

std::string format_int(const char* spec, long long v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, spec, v);
    return buf;
}

bool is_terminal(const std::ostream* s) {
    if (s == &std::cout) return ::isatty(STDOUT_FILENO) != 0;
    if (s == &std::cerr || s == &std::clog) return ::isatty(STDERR_FILENO) != 0;
    return false;
}

// Python's int(np.log10(target)) + 1.
int digits_of(std::int64_t target) {
    return target <= 0 ? 1 : static_cast<int>(std::log10(static_cast<double>(target))) + 1;
}

// Keras's ETA: "%ds", "%d:%02d" or "%d:%02d:%02d" of a truncated float.
std::string format_eta(double eta) {
    const auto trunc = [](double x) { return static_cast<long long>(x); };
    if (eta > 3600)
        return cat(format_int("%lld", trunc(std::floor(eta / 3600))), ":",
                   format_int("%02lld", trunc(std::floor(std::fmod(eta, 3600) / 60))), ":",
                   format_int("%02lld", trunc(std::fmod(eta, 60))));
    if (eta > 60)
        return cat(format_int("%lld", trunc(std::floor(eta / 60))), ":", format_int("%02lld", trunc(std::fmod(eta, 60))));
    return cat(format_int("%lld", trunc(eta)), "s");
}

}  // namespace

std::string format_time(double time_per_unit, const std::string& unit_name) {
    if (time_per_unit >= 1 || time_per_unit == 0) return cat(" ", format("%.0f", time_per_unit), "s/", unit_name);
    if (time_per_unit >= 1e-3) return cat(" ", format("%.0f", time_per_unit * 1000.0), "ms/", unit_name);
    return cat(" ", format("%.0f", time_per_unit * 1000000.0), "us/", unit_name);
}

Progbar::Progbar(std::optional<std::int64_t> target, ProgbarOptions options)
    : target_(target), options_(std::move(options)) {
    if (options_.width < 1) throw ValueError("Progbar: width must be >= 1, got " + std::to_string(options_.width));
    if (options_.verbose < 0 || options_.verbose > 2)
        throw ValueError("Progbar: verbose must be 0, 1 or 2, got " + std::to_string(options_.verbose));
    out_ = options_.stream != nullptr ? options_.stream : &std::cout;
    dynamic_ = options_.dynamic_display.value_or(is_terminal(out_));
    start_ = now();
    time_at_epoch_start_ = start_;
}

double Progbar::now() const {
    if (options_.clock) return options_.clock();
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Progbar::add(std::int64_t n, const std::vector<std::pair<std::string, double>>& values) {
    update(seen_so_far_ + n, values);
}

void Progbar::update(std::int64_t current, const std::vector<std::pair<std::string, double>>& values,
                     std::optional<bool> finalize) {
    const bool fin = finalize.value_or(target_.has_value() && current >= *target_);
    for (const auto& [k, v] : values) {
        if (!values_.contains(k)) values_order_.push_back(k);
        if (options_.stateful_metrics.contains(k)) {
            values_[k] = {v, 1.0};
        } else {
            // Weighted by the steps since the last update (at least 1).
            const double base = static_cast<double>(std::max<std::int64_t>(current - seen_so_far_, 1));
            auto [it, fresh] = values_.try_emplace(k, v * base, base);
            if (!fresh) {
                it->second.first += v * base;
                it->second.second += base;
            }
        }
    }
    seen_so_far_ = current;
    const double t = now();
    if (target_ && current == *target_) time_at_epoch_end_ = t;
    if (options_.verbose == 1) {
        if (!fin && drawn_ && t - last_update_ < options_.interval) return;
        drawn_ = true;
        if (dynamic_ || fin)
            draw(current, fin, t);
        else
            estimate_step_duration(current, t);  // keeps the step timing Keras's redraw would
    } else if (options_.verbose == 2 && fin) {
        summarize(current, t);
    }
    last_update_ = t;
}

std::string Progbar::bar_text(std::int64_t current) const {
    if (!target_) return cat(format_int("%7lld", current), "/Unknown");
    const std::int64_t target = *target_;
    const int nd = digits_of(target);
    std::string bar = cat(format_int(cat("%", std::to_string(nd), "lld").c_str(), current), "/",
                          std::to_string(target), " [");
    const double prog = target > 0 ? static_cast<double>(current) / static_cast<double>(target) : 1.0;
    const int w = options_.width;
    const int prog_width = std::clamp(static_cast<int>(w * prog), 0, w);
    if (prog_width > 0) {
        bar.append(static_cast<std::size_t>(prog_width - 1), '=');
        bar += current < target ? '>' : '=';
    }
    bar.append(static_cast<std::size_t>(w - prog_width), '.');
    return bar + "]";
}

// " - name: value" for each value in first-seen order. Verbose 1 switches to
// scientific notation when |avg| <= 1e-3, verbose 2 when avg <= 1e-3 (a
// Keras quirk kept so negative values print the same as Keras's).
std::string Progbar::values_text(bool abs_threshold) const {
    std::string s;
    for (const auto& k : values_order_) {
        const auto& [sum, count] = values_.at(k);
        const double avg = sum / std::max(1.0, count);
        const bool fixed = abs_threshold ? std::abs(avg) > 1e-3 : avg > 1e-3;
        s += cat(" - ", k, ": ", format(fixed ? "%.4f" : "%.4e", avg));
    }
    return s;
}

double Progbar::estimate_step_duration(std::int64_t current, double t) {
    if (current == 0) return 0.0;
    double per_unit;
    if (time_after_first_step_ && current > 1)
        per_unit = (t - *time_after_first_step_) / static_cast<double>(current - 1);
    else
        per_unit = (t - start_) / static_cast<double>(current);
    if (current == 1) time_after_first_step_ = t;
    return per_unit;
}

// Verbose 1. On a terminal the line is rewritten after '\r' and padded with
// spaces over a longer previous line; elsewhere only the finished line is
// written.
void Progbar::draw(std::int64_t current, bool finalize, double t) {
    const std::size_t prev_width = total_width_;
    const std::string bar = bar_text(current);
    std::string info = cat(" - ", format("%.0f", t - start_), "s");
    const double per_unit = estimate_step_duration(current, t);
    if (!target_ || finalize)
        info += format_time(per_unit, options_.unit_name);
    else
        info = cat(" - ETA: ", format_eta(per_unit * static_cast<double>(*target_ - current)));
    info += values_text(true);
    total_width_ = bar.size() + info.size();
    std::string message;
    if (dynamic_) {
        message = "\r";
        if (prev_width > total_width_) info.append(prev_width - total_width_, ' ');
    }
    message += bar + info;
    if (finalize) message += "\n";
    *out_ << message << std::flush;
}

// Verbose 2: "469/469 - 1s - loss: 0.2649 - 1s/epoch - 2ms/step".
void Progbar::summarize(std::int64_t current, double t) {
    std::string info = target_ ? cat(format_int(cat("%", std::to_string(digits_of(*target_)), "lld").c_str(), current),
                                     "/", std::to_string(*target_))
                               : cat(std::to_string(current), "/Unknown");
    info += cat(" - ", format("%.0f", t - start_), "s");
    info += values_text(false);
    const double epoch_time = time_at_epoch_end_.value_or(t) - time_at_epoch_start_;
    const double steps = static_cast<double>(target_.value_or(std::max<std::int64_t>(current, 1)));
    info += cat(" -", format_time(epoch_time, "epoch"));
    info += cat(" -", format_time(steps > 0 ? epoch_time / steps : 0.0, options_.unit_name));
    time_at_epoch_start_ = t;
    time_at_epoch_end_.reset();
    *out_ << info << "\n" << std::flush;
}

}  // namespace nabla::utils

namespace nabla::callbacks {

ProgbarLogger::ProgbarLogger(ProgbarOptions options) : options_(std::move(options)) {}

std::ostream& ProgbarLogger::out() const { return options_.stream != nullptr ? *options_.stream : std::cout; }

void ProgbarLogger::start_bar() {
    seen_ = 0;
    ProgbarOptions o = options_;
    o.verbose = params_.verbose;
    o.unit_name = "step";
    bar_ = params_.verbose == 0 ? nullptr : std::make_unique<Progbar>(params_.steps, std::move(o));
}

void ProgbarLogger::batch_update(std::int64_t batch, const Logs& logs) {
    if (!bar_) return;
    seen_ = batch + 1;
    if (params_.verbose != 1) return;
    std::vector<std::pair<std::string, double>> values(logs.begin(), logs.end());
    // fit's logs are running means already: show them as given.
    for (const auto& [k, v] : values) bar_->add_stateful_metric(k);
    bar_->update(seen_, values, false);
}

void ProgbarLogger::finish(const Logs& logs) {
    if (!bar_) return;
    if (!bar_->target()) bar_->set_target(seen_);
    std::vector<std::pair<std::string, double>> values(logs.begin(), logs.end());
    for (const auto& [k, v] : values) bar_->add_stateful_metric(k);
    bar_->update(*bar_->target(), values, true);
    bar_.reset();
}

void ProgbarLogger::on_train_begin(const Logs&) { in_fit_ = true; }
void ProgbarLogger::on_train_end(const Logs&) { in_fit_ = false; }

void ProgbarLogger::on_epoch_begin(int epoch, const Logs&) {
    start_bar();
    if (params_.verbose != 0 && params_.epochs > 1)
        out() << "Epoch " << epoch + 1 << "/" << params_.epochs << "\n" << std::flush;
}

void ProgbarLogger::on_epoch_end(int, const Logs& logs) { finish(logs); }
void ProgbarLogger::on_train_batch_end(std::int64_t batch, const Logs& logs) { batch_update(batch, logs); }

// Validation inside fit() is silent: its results end the epoch's line.
void ProgbarLogger::on_test_begin(const Logs&) {
    if (!in_fit_) start_bar();
}
void ProgbarLogger::on_test_batch_end(std::int64_t batch, const Logs& logs) {
    if (!in_fit_) batch_update(batch, logs);
}
void ProgbarLogger::on_test_end(const Logs& logs) {
    if (!in_fit_) finish(logs);
}

void ProgbarLogger::on_predict_begin(const Logs&) { start_bar(); }
void ProgbarLogger::on_predict_batch_end(std::int64_t batch, const Logs&) { batch_update(batch, Logs{}); }
void ProgbarLogger::on_predict_end(const Logs&) { finish(Logs{}); }

}  // namespace nabla::callbacks
