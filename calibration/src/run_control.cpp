#include <ionrail/calibration/run_control.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>

namespace fs = std::filesystem;

namespace ionrail::calibration {

using model_io::write_file_atomic;

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

namespace {
constexpr int checkpoint_version = 1;
// A checkpoint holds the engine's whole state, which for a large device is
// far more than the 64 MiB of a hand-written input; the bound only stops a
// runaway or foreign file before it is read into memory.
constexpr std::uintmax_t max_checkpoint_bytes = std::uintmax_t{16} << 30;
}

void write_checkpoint(const fs::path& file, std::string_view kind, std::string_view payload) {
  std::string bytes = fmt::format("ionrail-checkpoint {} {} {} {:016x}\n", checkpoint_version, kind, payload.size(),
                                  fnv1a64(payload));
  bytes.append(payload.data(), payload.size());
  write_file_atomic(file, bytes);
}

bool checkpoint_exists(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    throw input_error(path.string() + ": cannot be checked (" + ec.message() +
                      "): remove it, or name another output directory");
  return !ec && st.type() != fs::file_type::not_found;
}

std::string read_checkpoint(const fs::path& file, std::string_view kind) {
  return read_checkpoint(file, kind, max_checkpoint_bytes);
}

std::string read_checkpoint(const fs::path& file, std::string_view kind, std::uintmax_t max_bytes) {
  // A regular file only (a FIFO or a device named as the checkpoint would
  // block or never end), of at most max_bytes (16 GiB unless the kind says less).
  const std::string bytes = model_io::read_input_file(file.string(), std::min(max_bytes, max_checkpoint_bytes), "the checkpoint");
  const auto eol = bytes.find('\n');
  const std::string name = file.string();
  if (eol == std::string::npos || eol > 200) throw input_error(name + ": not an ionrail checkpoint (no header line)");
  std::istringstream header(bytes.substr(0, eol));
  std::string magic, got_kind, sum_text;
  int version = 0;
  unsigned long long size = 0;
  if (!(header >> magic >> version >> got_kind >> size >> sum_text) || magic != "ionrail-checkpoint")
    throw input_error(name + ": not an ionrail checkpoint (header '" + bytes.substr(0, eol) + "')");
  if (version != checkpoint_version)
    throw input_error(fmt::format("{}: checkpoint version = {}: this build reads version {}", name, version,
                                   checkpoint_version));
  if (got_kind != kind)
    throw input_error(fmt::format("{}: a checkpoint of '{}', expected '{}'", name, got_kind, kind));
  const std::size_t have = bytes.size() - eol - 1;
  if (have != size)
    throw input_error(fmt::format("{}: checkpoint holds {} bytes, its header says {}: truncated or corrupted", name,
                                   have, size));
  std::string payload = bytes.substr(eol + 1);
  const std::string sum = fmt::format("{:016x}", fnv1a64(payload));
  if (sum != sum_text)
    throw input_error(fmt::format("{}: checksum {} does not match the header's {}: the checkpoint is corrupted", name,
                                   sum, sum_text));
  return payload;
}

// ---------------------------------------------------------------- signals

namespace {

std::atomic<int> caught_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_signal(int signal) { caught_signal.store(signal); }

}  // namespace

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

run_control::run_control(double every_s, int workers)
    : every_s_(every_s), flags_(new std::atomic<bool>[static_cast<std::size_t>(workers)]), workers_(workers) {
  for (int w = 0; w < workers_; ++w) flags_[static_cast<std::size_t>(w)] = false;
  caught_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // a second signal ends the process
  sigaction(SIGINT, &action, &replaced_[0]);
  sigaction(SIGTERM, &action, &replaced_[1]);
  watcher_ = std::thread([this] { watch(); });
}

run_control::~run_control() { (void)release(); }

int run_control::release() {
  if (released_) return caught_signal.load();
  released_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  watcher_.join();
  sigaction(SIGINT, &replaced_[0], nullptr);
  sigaction(SIGTERM, &replaced_[1], nullptr);
  return caught_signal.load();
}

int run_control::signal() const { return caught_signal.load(); }

void run_control::resume(int worker) {
  if (!interrupted()) flags_[static_cast<std::size_t>(worker)] = false;
}

void run_control::watch() {
  using clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(every_s_ > 0 ? every_s_ : 0));
  auto next = clock::now() + period;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!done_) {
    // Signals are seen within 20 ms (the handler only sets a number).
    wake_.wait_for(lock, std::chrono::milliseconds(20));
    const bool due = every_s_ > 0 && clock::now() >= next;
    if (caught_signal.load() != 0 || due)
      for (int w = 0; w < workers_; ++w) flags_[static_cast<std::size_t>(w)] = true;
    if (due) next = clock::now() + period;
  }
}

// ---------------------------------------------------------------- leftovers

void remove_stale_partials(const fs::path& dir) {
  const fs::path parent = dir.parent_path().empty() ? fs::path(".") : dir.parent_path();
  const std::string base = dir.filename().string();
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::string pid_text;
    // DIR.fingerprint.tmp-PID: a sweep point's fingerprint (written beside
    // its DIR, atomically) that a kill cut short.
    for (const char* tag : {".partial-", ".replaced-", ".fingerprint.tmp-"}) {
      const std::string prefix = base + tag;
      if (name.compare(0, prefix.size(), prefix) == 0) pid_text = name.substr(prefix.size());
    }
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos || pid_text.size() > 9) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running (or not ours to judge)
    std::error_code ignored;
    fs::remove_all(it->path(), ignored);
  }
}

// ---------------------------------------------------------------- memory

double available_memory_bytes() {
  if (const char* env = std::getenv("IONRAIL_MEMORY_LIMIT_MB")) {
    char* end = nullptr;
    const double mb = std::strtod(env, &end);
    if (end != env && *end == '\0' && std::isfinite(mb) && mb > 0 && mb <= 1e12) return mb * 1024 * 1024;
    // A limit that is not a number is not silently replaced by the machine's.
    std::string shown(env);
    if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    throw input_error("IONRAIL_MEMORY_LIMIT_MB = '" + shown + "': expected a number of MiB in (0, 1e12]");
  }
  double bytes = 0;
  {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    double kb = 0;
    std::string unit;
    while (meminfo >> key >> kb) {
      std::getline(meminfo, unit);
      if (key == "MemAvailable:") {
        bytes = kb * 1024;
        break;
      }
    }
  }
  if (!(bytes > 0)) bytes = static_cast<double>(::sysconf(_SC_AVPHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  // A cgroup (v2, then v1) limit below that: what the container may still use.
  for (const auto& [limit_file, usage_file] :
       {std::pair{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
        std::pair{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"}}) {
    std::ifstream l(limit_file), u(usage_file);
    double limit = 0, usage = 0;
    if (l >> limit && u >> usage && limit > 0 && limit < 1e18) {
      bytes = std::min(bytes, std::max(0.0, limit - usage));
      break;
    }
  }
  return bytes;
}

void check_memory(double bytes, const std::string& what) {
  const double available = available_memory_bytes();
  if (bytes <= available) return;
  auto gib = [](double b) { return fmt::format("{:.3g} GiB", b / (1024.0 * 1024 * 1024)); };
  throw input_error(fmt::format("{}: needs about {}, more than the {} this machine has available{}", what, gib(bytes),
                                 gib(available),
                                 std::getenv("IONRAIL_MEMORY_LIMIT_MB") ? " (IONRAIL_MEMORY_LIMIT_MB)" : ""));
}

void check_work(const kmc::work_estimate& work, const kmc::device_params& device, const kmc::sim_params& sim,
                double limit, const std::string& what) {
  const std::string why = kmc::work_refusal(work, device, sim, limit);
  if (!why.empty()) throw input_error(what + ": " + why);
}

}  // namespace ionrail::calibration
