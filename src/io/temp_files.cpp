// Removal of temporary files on SIGINT/SIGTERM/SIGHUP and after a crash.
#include "io/temp_files.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>

namespace nabla::io::detail {
namespace {

// A slot is 0 (free), 1 (being filled) or 2 (a live path). The handler
// reads only slots in state 2, whose bytes are complete and stay put until
// the owner frees the slot; unlinking a name that was just renamed away
// fails harmlessly with ENOENT.
struct Slot {
    std::atomic<int> state{0};
    char path[PATH_MAX] = {};
};
constexpr int kSlots = 64;
Slot g_slots[kSlots];

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kSignalCount = sizeof kSignals / sizeof kSignals[0];
struct sigaction g_previous[kSignalCount];
std::atomic<bool> g_installed[kSignalCount];

// A handler the program installed earlier decides what the signal means
// (it may stop training gracefully and carry on), so it is called and the
// files are left alone: unlinking them under a process that continues would
// make its writes fail. If it exits, the next run sweeps what it left.
void on_signal(int sig, siginfo_t* info, void* context) {
    const int saved_errno = errno;
    int i = 0;
    while (i < kSignalCount && kSignals[i] != sig) ++i;
    const struct sigaction& prev = g_previous[i];
    if (prev.sa_flags & SA_SIGINFO) {
        if (prev.sa_sigaction) prev.sa_sigaction(sig, info, context);
    } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
        prev.sa_handler(sig);
    } else {
        for (Slot& s : g_slots)
            if (s.state.load(std::memory_order_acquire) == 2) ::unlink(s.path);
        // The default action: it is delivered (and ends the process with
        // the usual status) as soon as this handler returns and unblocks it.
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(sig, &dfl, nullptr);
        ::raise(sig);
    }
    errno = saved_errno;
}

void install_handlers() {
    for (int i = 0; i < kSignalCount; ++i) {
        struct sigaction prev {};
        if (::sigaction(kSignals[i], nullptr, &prev) != 0) continue;
        // nohup and friends ignore SIGHUP on purpose: keep it so.
        if (!(prev.sa_flags & SA_SIGINFO) && prev.sa_handler == SIG_IGN) continue;
        g_previous[i] = prev;
        struct sigaction act {};
        act.sa_sigaction = on_signal;
        act.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&act.sa_mask);
        if (::sigaction(kSignals[i], &act, nullptr) == 0) g_installed[i] = true;
    }
}

bool process_is_gone(long pid) {
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

TempRegistration::TempRegistration(const std::filesystem::path& path) : slot_(-1) {
    static std::once_flag once;
    std::call_once(once, install_handlers);
    const std::string& name = path.native();
    if (name.size() >= PATH_MAX) return;
    for (int i = 0; i < kSlots; ++i) {
        int expected = 0;
        if (!g_slots[i].state.compare_exchange_strong(expected, 1)) continue;
        std::memcpy(g_slots[i].path, name.c_str(), name.size() + 1);
        g_slots[i].state.store(2, std::memory_order_release);
        slot_ = i;
        return;
    }
}

TempRegistration::~TempRegistration() {
    if (slot_ >= 0) g_slots[slot_].state.store(0, std::memory_order_release);
}

std::string temp_prefix(const std::filesystem::path& target, std::string_view kind) {
    return target.string() + "." + std::string(kind) + "-" + std::to_string(::getpid()) + "-";
}

int remove_stale_temps(const std::filesystem::path& target, std::string_view kind) {
    namespace fs = std::filesystem;
    const std::string stem = target.filename().string() + "." + std::string(kind) + "-";
    fs::path dir = target.parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    int removed = 0;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() <= stem.size() || name.compare(0, stem.size(), stem) != 0) continue;
        const std::string rest = name.substr(stem.size());  // "<pid>-XXXXXX" or "XXXXXX"
        const std::size_t dash = rest.find('-');
        bool stale = false;
        if (dash != std::string::npos && dash > 0 && dash <= 9 &&
            rest.find_first_not_of("0123456789") == dash) {
            stale = process_is_gone(std::stol(rest.substr(0, dash)));
        } else if (rest.size() == 6 && dash == std::string::npos) {
            std::error_code tec;
            const auto age = fs::file_time_type::clock::now() - fs::last_write_time(it->path(), tec);
            stale = !tec && age > std::chrono::hours(1);
        }
        std::error_code rec;
        if (stale && it->is_regular_file(rec) && fs::remove(it->path(), rec)) ++removed;
    }
    return removed;
}

}  // namespace nabla::io::detail
