#include <gtest/gtest.h>

#include <sstream>

#include "nabla/training/progbar.hpp"

using namespace nabla;
using callbacks::Logs;
using callbacks::ProgbarLogger;
using utils::Progbar;
using utils::ProgbarOptions;

// Expected strings: tests/training/reference/progbar.py (tf.keras 2's
// Progbar.update transcribed, driven by the same fake clock).
namespace {

struct FakeClock {
    double t = 0.0;
    std::function<double()> fn() {
        return [this] { return t; };
    }
};

// fit(epochs=2, steps=12) through a ProgbarLogger: batch b ends at
// 100 * epoch + 0.5 + 0.04 * b seconds, validation takes 0.25 s.
std::string fit_output(int verbose, bool dynamic) {
    std::ostringstream os;
    FakeClock clock;
    ProgbarLogger logger({.stream = &os, .dynamic_display = dynamic, .clock = clock.fn()});
    logger.set_params({.verbose = verbose, .epochs = 2, .steps = 12});
    logger.on_train_begin({});
    for (int epoch = 0; epoch < 2; ++epoch) {
        clock.t = 100.0 * epoch;
        logger.on_epoch_begin(epoch, {});
        Logs logs;
        for (int b = 0; b < 12; ++b) {
            clock.t = 100.0 * epoch + 0.5 + 0.04 * b;
            logs = Logs{{"loss", 0.9 / (b + 1) + epoch * 0.1}, {"accuracy", 0.5 + 0.04 * b}};
            logger.on_train_batch_end(b, logs);
        }
        clock.t += 0.25;
        // Validation inside fit prints nothing.
        logger.on_test_begin({});
        logger.on_test_batch_end(0, Logs{{"loss", 7.0}});
        logger.on_test_end(Logs{{"loss", 7.0}});
        logs.set("val_loss", 0.0004 + epoch);
        logs.set("val_accuracy", 0.875);
        logger.on_epoch_end(epoch, logs);
    }
    logger.on_train_end({});
    return os.str();
}

}  // namespace

TEST(Progbar, FitOnATerminalRedrawsWithCarriageReturns) {
    EXPECT_EQ(fit_output(1, true),
              "Epoch 1/2\n"
              "\r 1/12 [=>............................] - ETA: 5s - loss: 0.9000 - accuracy: 0.5000"
              "\r 3/12 [======>.......................] - ETA: 0s - loss: 0.3000 - accuracy: 0.5800"
              "\r 5/12 [===========>..................] - ETA: 0s - loss: 0.1800 - accuracy: 0.6600"
              "\r 7/12 [================>.............] - ETA: 0s - loss: 0.1286 - accuracy: 0.7400"
              "\r 9/12 [=====================>........] - ETA: 0s - loss: 0.1000 - accuracy: 0.8200"
              "\r11/12 [==========================>...] - ETA: 0s - loss: 0.0818 - accuracy: 0.9000"
              "\r12/12 [==============================] - 1s 63ms/step - loss: 0.0750 - accuracy: 0.9400 - "
              "val_loss: 4.0000e-04 - val_accuracy: 0.8750\n"
              "Epoch 2/2\n"
              "\r 1/12 [=>............................] - ETA: 5s - loss: 1.0000 - accuracy: 0.5000"
              "\r 3/12 [======>.......................] - ETA: 0s - loss: 0.4000 - accuracy: 0.5800"
              "\r 5/12 [===========>..................] - ETA: 0s - loss: 0.2800 - accuracy: 0.6600"
              "\r 7/12 [================>.............] - ETA: 0s - loss: 0.2286 - accuracy: 0.7400"
              "\r 9/12 [=====================>........] - ETA: 0s - loss: 0.2000 - accuracy: 0.8200"
              "\r11/12 [==========================>...] - ETA: 0s - loss: 0.1818 - accuracy: 0.9000"
              "\r12/12 [==============================] - 1s 63ms/step - loss: 0.1750 - accuracy: 0.9400 - "
              "val_loss: 1.0004 - val_accuracy: 0.8750\n");
}

TEST(Progbar, FitIntoAFileWritesOneLinePerEpoch) {
    const std::string out = fit_output(1, false);
    EXPECT_EQ(out,
              "Epoch 1/2\n"
              "12/12 [==============================] - 1s 63ms/step - loss: 0.0750 - accuracy: 0.9400 - "
              "val_loss: 4.0000e-04 - val_accuracy: 0.8750\n"
              "Epoch 2/2\n"
              "12/12 [==============================] - 1s 63ms/step - loss: 0.1750 - accuracy: 0.9400 - "
              "val_loss: 1.0004 - val_accuracy: 0.8750\n");
    EXPECT_EQ(out.find('\r'), std::string::npos);
    EXPECT_EQ(out.find('\x1b'), std::string::npos);
}

TEST(Progbar, Verbose2IsKerasOneLineSummary) {
    EXPECT_EQ(fit_output(2, true),
              "Epoch 1/2\n"
              "12/12 - 1s - loss: 0.0750 - accuracy: 0.9400 - val_loss: 4.0000e-04 - val_accuracy: 0.8750 - "
              "1s/epoch - 99ms/step\n"
              "Epoch 2/2\n"
              "12/12 - 1s - loss: 0.1750 - accuracy: 0.9400 - val_loss: 1.0004 - val_accuracy: 0.8750 - "
              "1s/epoch - 99ms/step\n");
}

TEST(Progbar, Verbose0PrintsNothing) { EXPECT_EQ(fit_output(0, true), ""); }

TEST(Progbar, SingleEpochHasNoEpochLine) {
    std::ostringstream os;
    FakeClock clock;
    ProgbarLogger logger({.stream = &os, .dynamic_display = false, .clock = clock.fn()});
    logger.set_params({.verbose = 1, .epochs = 1, .steps = 2});
    logger.on_train_begin({});
    logger.on_epoch_begin(0, {});
    clock.t = 0.002;
    logger.on_train_batch_end(0, Logs{{"loss", 0.5}});
    clock.t = 0.004;
    logger.on_train_batch_end(1, Logs{{"loss", 0.25}});
    logger.on_epoch_end(0, Logs{{"loss", 0.25}});
    EXPECT_EQ(os.str(), "2/2 [==============================] - 0s 2ms/step - loss: 0.2500\n");
}

TEST(Progbar, EtaFormatsAndAveraging) {
    std::ostringstream os;
    FakeClock clock;
    Progbar bar(10000, {.stream = &os, .dynamic_display = true, .clock = clock.fn()});
    clock.t = 2.0;
    bar.update(1, {{"x", 2.0}});
    clock.t = 3.0;
    bar.update(3, {{"x", 5.0}});  // weighted by the 2 steps since the last update
    clock.t = 4.0;
    bar.update(4, {{"x", -0.0005}});
    clock.t = 1000.0;
    bar.update(5, {});
    EXPECT_EQ(os.str(),
              "\r    1/10000 [..............................] - ETA: 5:33:18 - x: 2.0000"
              "\r    3/10000 [..............................] - ETA: 1:23:18 - x: 4.0000"
              "\r    4/10000 [..............................] - ETA: 1:51:04 - x: 2.9999"
              "\r    5/10000 [..............................] - ETA: 692:42:32 - x: 2.9999");
}

TEST(Progbar, UnknownTargetAndPadding) {
    std::ostringstream os;
    FakeClock clock;
    Progbar bar(std::nullopt, {.stream = &os, .dynamic_display = true, .clock = clock.fn()});
    clock.t = 0.5;
    bar.update(7, {{"loss", 1.25}});
    clock.t = 0.75;
    bar.update(9, {{"loss", 1.0}}, true);
    EXPECT_EQ(os.str(), "\r      7/Unknown - 0s 71ms/step - loss: 1.2500\r      9/Unknown - 1s 83ms/step - loss: 1.1944\n");

    // A shorter line is padded over the longer one before it.
    std::ostringstream pad;
    Progbar p2(3, {.stream = &pad, .dynamic_display = true, .clock = clock.fn()});
    clock.t = 1.0;
    p2.update(1, {{"a_long_metric_name", 1.0}});
    const std::size_t first = pad.str().size() - 1;  // without the leading '\r'
    clock.t = 2.0;
    p2.update(2, {});
    EXPECT_EQ(pad.str().size() - first - 2, first);
}

TEST(Progbar, ThrottlesRedrawsButNotTheFinalLine) {
    std::ostringstream os;
    FakeClock clock;
    Progbar bar(100, {.stream = &os, .dynamic_display = true, .clock = clock.fn()});
    for (int i = 1; i <= 100; ++i) {
        clock.t = 0.001 * i;  // 1 ms per step: most updates fall inside 0.05 s
        bar.update(i);
    }
    const std::string s = os.str();
    const auto draws = std::count(s.begin(), s.end(), '\r');
    EXPECT_EQ(draws, 3);  // steps 1, 51 and the final 100
    EXPECT_EQ(s.back(), '\n');
}

TEST(Progbar, EvaluateAndPredictOutsideFit) {
    std::ostringstream os;
    FakeClock clock;
    ProgbarLogger logger({.stream = &os, .dynamic_display = false, .clock = clock.fn()});
    logger.set_params({.verbose = 1, .epochs = 1, .steps = 3});
    logger.on_test_begin({});
    for (int b = 0; b < 3; ++b) {
        clock.t = 0.001 * (b + 1);
        logger.on_test_batch_end(b, Logs{{"loss", 0.3}, {"accuracy", 0.9}});
    }
    logger.on_test_end(Logs{{"loss", 0.3}, {"accuracy", 0.9}});
    clock.t = 1.0;
    logger.on_predict_begin({});
    for (int b = 0; b < 3; ++b) {
        clock.t = 1.0 + 0.0002 * (b + 1);
        logger.on_predict_batch_end(b, {});
    }
    logger.on_predict_end({});
    EXPECT_EQ(os.str(),
              "3/3 [==============================] - 0s 1ms/step - loss: 0.3000 - accuracy: 0.9000\n"
              "3/3 [==============================] - 0s 200us/step\n");
}

TEST(Progbar, UnknownStepsBecomeKnownAtEpochEnd) {
    std::ostringstream os;
    FakeClock clock;
    ProgbarLogger logger({.stream = &os, .dynamic_display = false, .clock = clock.fn()});
    logger.set_params({.verbose = 1, .epochs = 1, .steps = std::nullopt});
    logger.on_train_begin({});
    logger.on_epoch_begin(0, {});
    for (int b = 0; b < 4; ++b) {
        clock.t = 0.5 * (b + 1);
        logger.on_train_batch_end(b, Logs{{"loss", 1.0}});
    }
    logger.on_epoch_end(0, Logs{{"loss", 1.0}});
    EXPECT_EQ(os.str(), "4/4 [==============================] - 2s 500ms/step - loss: 1.0000\n");
}

TEST(Progbar, FormatTimeAndErrors) {
    EXPECT_EQ(utils::format_time(0.0, "step"), " 0s/step");
    EXPECT_EQ(utils::format_time(2.5, "epoch"), " 2s/epoch");  // round half to even, as Python
    EXPECT_EQ(utils::format_time(0.0125, "step"), " 12ms/step");
    EXPECT_EQ(utils::format_time(0.0000125, "step"), " 12us/step");
    EXPECT_THROW(Progbar(10, {.width = 0}), ValueError);
    EXPECT_THROW(Progbar(10, {.verbose = 3}), ValueError);
}
