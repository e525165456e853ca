#pragma once
// Internal: temporary files that do not outlive the process.
//
// atomic_write's "<path>.tmp-<pid>-XXXXXX" and a download's
// "<dest>.part-<pid>-XXXXXX" are registered while they exist. When SIGINT,
// SIGTERM or SIGHUP would end the process (default action), every
// registered file is unlinked (async-signal-safe: a fixed table, unlink(2)
// only) and the default action re-raised, so the exit status still says
// "killed by SIGTERM". A handler the program installed earlier is called
// instead and the files are kept (the program may carry on); an ignored
// signal stays ignored. What SIGKILL, a crash or an exiting handler leaves,
// remove_stale_temps deletes on the next write to the same target: the pid
// in the name tells whether its owner is still running.
#include <filesystem>
#include <string>
#include <string_view>

namespace nabla::io::detail {

// Registers `path` for removal on a fatal signal until destroyed. Installs
// the handlers on first use. Past 64 live files a path is not registered
// (the stale sweep still removes it later).
class TempRegistration {
public:
    explicit TempRegistration(const std::filesystem::path& path);
    ~TempRegistration();
    TempRegistration(const TempRegistration&) = delete;
    TempRegistration& operator=(const TempRegistration&) = delete;

private:
    int slot_;
};

// "<target>.<kind>-<pid>-": the start of this process's temporary names.
std::string temp_prefix(const std::filesystem::path& target, std::string_view kind);

// Deletes "<target>.<kind>-<pid>-*" files whose process is gone, and
// pid-less "<target>.<kind>-XXXXXX" files (older versions) over an hour old.
// Best effort: errors are ignored. Returns how many were removed.
int remove_stale_temps(const std::filesystem::path& target, std::string_view kind);

}  // namespace nabla::io::detail
