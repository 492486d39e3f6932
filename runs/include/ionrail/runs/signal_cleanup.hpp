#pragma once
// What a command leaves behind when a signal ends it. Without a handler,
// SIGINT, SIGTERM or SIGHUP kills the process in the middle of its writes, and
// DIR.partial-PID and DIR.lock stay until the next command clears them.
// install_signal_cleanup() (the CLI calls it once, first) catches the three: a
// watcher thread removes every path registered at that moment (the staged
// directories, then the lock files), says so on stderr and ends the process
// with 128 + signal. Commands that stop gracefully instead (the checkpoints
// of calibration::run_control, the training of crossbar and snn) install
// their own handler while they run and restore this one when they end.
// A second signal during the clean-up ends the process at once.
#include <cstdint>
#include <filesystem>
#include <mutex>

namespace ionrail::runs {

void install_signal_cleanup();

// A path removed (recursively) if a signal ends the process while this
// lives. Register before creating the path, so that no moment is uncovered.
class signal_cleanup_entry {
 public:
  explicit signal_cleanup_entry(const std::filesystem::path& path);
  ~signal_cleanup_entry();
  signal_cleanup_entry(const signal_cleanup_entry&) = delete;
  signal_cleanup_entry& operator=(const signal_cleanup_entry&) = delete;

 private:
  std::uint64_t id_;
};

// Held while a command moves its output into place (an old DIR aside, the
// new one in, the old one removed): the clean-up waits for it, so a signal
// never leaves DIR half replaced.
std::unique_lock<std::recursive_mutex> hold_signal_cleanup();

}  // namespace ionrail::runs
