#pragma once
// The nabla command-line tool's subcommands (apps/nabla/).
#include <CLI/CLI.hpp>

namespace nabla::cli {

// Registers `nabla train` on app; the callback runs the experiment.
void add_train_command(CLI::App& app);
// Registers `nabla show`.
void add_show_command(CLI::App& app);
// Register `nabla evaluate`, `nabla predict` and `nabla summary` (saved models).
void add_evaluate_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_summary_command(CLI::App& app);
// Registers `nabla export` (ONNX).
void add_export_command(CLI::App& app);

}  // namespace nabla::cli
