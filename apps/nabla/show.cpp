// `nabla show`: draw one digit in the terminal (and optionally to a PNG).
#include <cctype>
#include <iostream>
#include <limits>
#include <map>
#include <vector>

#include "commands.hpp"
#include "options.hpp"
#include "nabla/data/datasets.hpp"
#include "nabla/io/image.hpp"
#include "nabla/nabla.hpp"

namespace nabla::cli {

namespace {

struct ShowArgs {
    std::string dataset = "mnist", split = "train", data_dir, png;
    std::int64_t index = 4;
    std::string colour = "auto";
    int scale = 8;
};

const std::map<std::string, io::TerminalColour>& colours() {
    static const std::map<std::string, io::TerminalColour> m = {{"auto", io::TerminalColour::automatic},
                                                                {"truecolor", io::TerminalColour::truecolor},
                                                                {"ansi256", io::TerminalColour::ansi256},
                                                                {"ascii", io::TerminalColour::ascii}};
    return m;
}

// --colour is matched ignoring case (IsMember(..., ignore_case) keeps the user's spelling).
io::TerminalColour colour_named(std::string name) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return colours().at(name);
}

void run_show(const ShowArgs& a) {
    std::optional<std::filesystem::path> dir;
    if (!a.data_dir.empty()) dir = a.data_dir;
    const auto subset = a.split == "train" ? datasets::Subset::train : datasets::Subset::test;
    auto [images, labels] = a.dataset == "mnist" ? datasets::mnist::load_subset(subset, dir)
                                                 : datasets::fashion_mnist::load_subset(subset, dir);
    if (a.index < -images.shape(0) || a.index >= images.shape(0))
        throw IndexError("--index " + std::to_string(a.index) + " is out of range: the " + a.split + " split has " +
                         std::to_string(images.shape(0)) + " images");
    Tensor digit = images[a.index];
    const int label = labels[a.index].item<int>();
    std::cout << io::render_terminal(digit, colour_named(a.colour));
    std::cout << a.dataset << " " << a.split << "[" << a.index << "]: label " << label;
    if (a.dataset == "fashion_mnist") std::cout << " (" << datasets::fashion_mnist::class_names[label] << ")";
    std::cout << "\n";
    if (!a.png.empty()) {
        io::save_image(a.png, digit, {.scale = a.scale});
        std::cout << "wrote " << a.png << "\n";
    }
}

}  // namespace

void add_show_command(CLI::App& app) {
    auto args = std::make_shared<ShowArgs>();
    CLI::App* cmd = app.add_subcommand("show", "Draw one image of a dataset in the terminal (and to a PNG)");
    add_choice(cmd, "--dataset", args->dataset, {"mnist", "fashion_mnist"}, "Dataset")->capture_default_str();
    add_integer(cmd, "--index", args->index, -std::numeric_limits<std::int64_t>::max(),
                std::numeric_limits<std::int64_t>::max(), "Which image (negative counts from the end)")
        ->capture_default_str();
    add_choice(cmd, "--split", args->split, {"train", "test"}, "train or test")->capture_default_str();
    cmd->add_option("--data-dir", args->data_dir, "Directory holding the dataset's IDX files: only it is used (no cache, no download)");
    add_output_path(cmd, "--png", args->png, "Also save the image as a PNG (binary colour map, as the book's imshow)");
    add_integer(cmd, "--scale", args->scale, 1, 64, "PNG pixels per image pixel")->capture_default_str();
    std::vector<std::string> names;
    for (const auto& [name, value] : colours()) names.push_back(name);
    cmd->add_option("--colour", args->colour,
                    "Terminal drawing: auto (plain characters when not a terminal or NO_COLOR is set), truecolor, "
                    "ansi256 or ascii")
        ->check(CLI::IsMember(names, CLI::ignore_case))  // the value becomes the member's spelling
        ->capture_default_str();
    cmd->callback([args] { run_show(*args); });
}

}  // namespace nabla::cli
