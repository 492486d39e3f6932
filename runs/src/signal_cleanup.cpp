#include <ionrail/runs/signal_cleanup.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace ionrail::runs {

namespace {

// Never destroyed: a signal during the static destructors at exit still
// finds them.
std::recursive_mutex& registry_mutex() {
  static auto* m = new std::recursive_mutex;
  return *m;
}

std::vector<std::pair<std::uint64_t, fs::path>>& registry() {
  static auto* r = new std::vector<std::pair<std::uint64_t, fs::path>>;
  return *r;
}

std::uint64_t next_id = 1;  // under registry_mutex()

int wake_fds[2] = {-1, -1};
std::atomic<int> caught{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

// Async-signal-safe: a number and one byte into a pipe.
extern "C" void on_cleanup_signal(int signal) {
  caught.store(signal);
  const char byte = 1;
  const int saved = errno;
  [[maybe_unused]] const ssize_t n = ::write(wake_fds[1], &byte, 1);
  errno = saved;
}

void say(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// An ordinary thread, not the handler: it may take locks and walk
// directories. The main thread may still be writing into a staged
// directory, so removal is tried a few times.
void clean_up_and_exit() {
  // Only a caught signal ends the process: a byte from anywhere else (the
  // pipe once got descriptor 2 and the progress woke it) is no signal.
  int signal = 0;
  while (signal == 0) {
    char byte = 0;
    const ssize_t n = ::read(wake_fds[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the write end is gone: nothing will wake us
    signal = caught.load();
  }
  std::unique_lock<std::recursive_mutex> lock(registry_mutex());
  std::string removed;
  auto& r = registry();
  for (auto it = r.rbegin(); it != r.rend(); ++it) {
    const fs::path& path = it->second;
    std::error_code ec;
    for (int attempt = 0; attempt < 20; ++attempt) {
      fs::remove_all(path, ec);
      if (!fs::exists(fs::symlink_status(path, ec))) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (path.filename().string().find(".partial-") != std::string::npos)
      removed += (removed.empty() ? "" : ", ") + path.string();
  }
  const char* name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : signal == SIGHUP ? "SIGHUP" : "a signal";
  say(std::string("ionrail: interrupted by ") + name +
      (removed.empty() ? std::string() : "; its unfinished output is removed (" + removed + ")") + "\n");
  ::_exit(128 + signal);
}

}  // namespace

void install_signal_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::pipe2(wake_fds, O_CLOEXEC) != 0) return;  // no clean-up: the default action stays
    std::thread(clean_up_and_exit).detach();
    struct sigaction action {};
    action.sa_handler = on_cleanup_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_RESETHAND;  // a second signal ends the process at once
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGHUP, &action, nullptr);  // the terminal closed
  });
}

signal_cleanup_entry::signal_cleanup_entry(const fs::path& path) {
  std::lock_guard<std::recursive_mutex> lock(registry_mutex());
  id_ = next_id++;
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  registry().emplace_back(id_, ec ? path : absolute);
}

signal_cleanup_entry::~signal_cleanup_entry() {
  std::lock_guard<std::recursive_mutex> lock(registry_mutex());
  auto& r = registry();
  for (auto it = r.begin(); it != r.end(); ++it)
    if (it->first == id_) {
      r.erase(it);
      break;
    }
}

std::unique_lock<std::recursive_mutex> hold_signal_cleanup() {
  return std::unique_lock<std::recursive_mutex>(registry_mutex());
}

}  // namespace ionrail::runs
