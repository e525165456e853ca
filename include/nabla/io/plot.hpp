#pragma once
// Training curves, as the book plots history.history with matplotlib:
//
//   python                                       nabla
//   history = model.fit(..., validation_data=…)  auto history = model.fit(...);
//   plt.plot(epochs, loss, "bo", label=…)        io::plot_history("curves.png", history.history);
//   plt.plot(epochs, val_loss, "b", label=…)
//
// One panel per metric, loss first: "loss" with "val_loss", "accuracy" with
// "val_accuracy", and so on for any other key ("val_x" goes with "x").
// Training values are a solid blue line with dots, validation values a
// dashed orange line; epochs run 1..N on the x axis. Each panel has a title
// ("Training and validation loss"), axis labels, numeric ticks, light grid
// lines and a legend placed in the corner the curves leave free. Non-finite
// values (a diverged loss) leave a gap. Written atomically as a PNG.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace nabla::io {

struct PlotOptions {
    int panel_width = 640;  // pixels per panel
    int height = 480;
};

// ValueError for an empty history or an empty series (named).
void plot_history(const std::filesystem::path& path,
                  const std::map<std::string, std::vector<double>>& history,
                  const PlotOptions& options = {});

}  // namespace nabla::io
