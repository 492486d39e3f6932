#pragma once
// Checkpoints and interruption of long commands (`ionrail run`, `ionrail
// calibrate`): files written atomically, a checkpoint file format with a
// checksum, and a controller that turns SIGINT/SIGTERM and a wall-clock timer
// into a flag the engines poll.
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <ionrail/kmc/work_estimate.hpp>

namespace ionrail::calibration {

// FNV-1a 64 of bytes.
std::uint64_t fnv1a64(std::string_view bytes);

// A checkpoint file: a text header line "ionrail-checkpoint VERSION KIND
// BYTES FNV1A64" and the payload; written with model_io::write_file_atomic.
void write_checkpoint(const std::filesystem::path& file, std::string_view kind, std::string_view payload);
// The payload, after checking the header, the size and the checksum; a file
// that fails any check is refused with ionrail::input_error naming it and what is
// wrong (truncated, corrupted, another kind or version).
std::string read_checkpoint(const std::filesystem::path& file, std::string_view kind);
// The same, refusing a file of more than max_bytes before reading it (for a
// kind whose size is known from the configuration).
std::string read_checkpoint(const std::filesystem::path& file, std::string_view kind, std::uintmax_t max_bytes);

// Whether a checkpoint's file or directory is there (a link counts, even a
// dangling one or a loop: it is in the way, and the checks that follow name
// it). ionrail::input_error naming it when even that cannot be told (a
// parent that is a link loop, no permission), instead of the library's
// filesystem_error.
bool checkpoint_exists(const std::filesystem::path& path);

// A command stopped by a signal after saving what it had: the CLI prints
// what() (with the command that resumes it, when `resumable`) and exits with
// 128 + signal.
class interrupted : public std::runtime_error {
 public:
  interrupted(int signal, const std::string& what, bool resumable = true)
      : std::runtime_error(what), signal_(signal), resumable_(resumable) {}
  int signal() const { return signal_; }
  bool resumable() const { return resumable_; }

 private:
  int signal_;
  bool resumable_;
};

const char* signal_name(int signal);

// While it lives: SIGINT and SIGTERM are caught (the first one only: a second
// one ends the process as usual), and with every_s > 0 a checkpoint is asked
// for every every_s seconds of wall-clock time. Either raises the flag of
// every worker (one per engine running at once), which the engines poll
// (kmc::engine::set_stop_flag); a worker saves its checkpoint and calls
// resume(), which lowers its flag again unless a signal came. When it ends,
// the actions it replaced are restored (the CLI's clean-up of staged output,
// runs/signal_cleanup.hpp; Python's KeyboardInterrupt).
class run_control {
 public:
  explicit run_control(double every_s, int workers = 1);
  ~run_control();
  run_control(const run_control&) = delete;
  run_control& operator=(const run_control&) = delete;

  const std::atomic<bool>* flag(int worker = 0) const { return &flags_[static_cast<std::size_t>(worker)]; }
  bool pause_requested(int worker = 0) const { return flags_[static_cast<std::size_t>(worker)].load(); }
  bool interrupted() const { return signal() != 0; }
  int signal() const;
  void resume(int worker = 0);
  // The engines are done: the replaced actions come back now (a later
  // signal reaches the CLI's clean-up, which removes the staged output),
  // and the signal caught while this watched is returned (0: none) for the
  // caller to act on: a signal that came after the engines' last look was
  // swallowed, and the command wrote its output and exited 0.
  [[nodiscard]] int release();

 private:
  void watch();
  double every_s_;
  std::unique_ptr<std::atomic<bool>[]> flags_;
  int workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  bool released_ = false;
  std::thread watcher_;
  struct ::sigaction replaced_[2] = {};  // SIGINT's and SIGTERM's actions before
};

// Output directories of a command that was killed (SIGKILL, power loss)
// stay behind as DIR.partial-PID (or DIR.replaced-PID, or a sweep point's
// DIR.fingerprint.tmp-PID): removes those of DIR whose process is gone.
void remove_stale_partials(const std::filesystem::path& dir);

// The memory this machine can give a new process now, in bytes: the kernel's
// MemAvailable, lowered to a cgroup limit if one is set; the environment
// variable IONRAIL_MEMORY_LIMIT_MB overrides it (for tests and shared hosts).
double available_memory_bytes();
// ionrail::input_error unless `bytes` fits in available_memory_bytes(); `what` names
// the run and how the estimate was made.
void check_memory(double bytes, const std::string& what);
// ionrail::input_error unless the estimated work is finite and within
// `limit` hop attempts; the message starts with `what` (the file and the
// variant or run) and names the estimate, its cause and the keys to change.
void check_work(const kmc::work_estimate& work, const kmc::device_params& device, const kmc::sim_params& sim,
                double limit, const std::string& what);

}  // namespace ionrail::calibration
