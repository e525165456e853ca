#include "options.hpp"

#include "nabla/core/error.hpp"
#include "nabla/io/file.hpp"

namespace nabla::cli {

namespace {

CLI::Validator writable_path() {
    return CLI::Validator(
        [](std::string& path) -> std::string {
            try {
                io::check_writable(path);
            } catch (const Error& e) {
                return e.what();
            }
            return {};
        },
        "FILE", "writable file");
}

}  // namespace

CLI::Option* add_output_path(CLI::App* cmd, const std::string& name, std::string& target, const std::string& help) {
    return cmd->add_option(name, target, help)->check(writable_path());
}

}  // namespace nabla::cli
