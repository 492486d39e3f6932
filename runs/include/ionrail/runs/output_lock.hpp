#pragma once
// Exclusive ownership of an output directory DIR for a command's whole life:
// an flock(2) on DIR.lock, next to DIR, which holds the owner's pid as text.
// The lock covers DIR and everything named after it (DIR.partial-PID,
// DIR.checkpoint, DIR.replaced-PID), so two commands never write, resume or
// replace the same output at once: the second is refused at once.
//
// The kernel releases an flock when its process dies, so a lock file left by
// a killed command is harmless: the next command takes it over. A command
// that ends normally removes its lock file (unlinked while still locked; a
// taker checks that the file it locked is still the one at DIR.lock, so an
// unlinked file is never mistaken for the lock).
#include <filesystem>
#include <memory>
#include <string>

namespace ionrail::runs {

class signal_cleanup_entry;

class output_lock {
 public:
  // Checks that `dir` can be an output directory (a named directory whose
  // path and names the filesystem accepts, under directories that exist or
  // can be made), creates its parent and locks DIR.lock. Throws
  // ionrail::input_error, one line naming `dir`, if it cannot be, or if
  // another process holds the lock (naming its pid).
  explicit output_lock(const std::string& dir);
  output_lock(const output_lock&) = delete;
  output_lock& operator=(const output_lock&) = delete;
  ~output_lock();  // removes the lock file, and the parents it made if they stayed empty

  const std::filesystem::path& dir() const { return dir_; }  // DIR, normalized
  const std::string& given() const { return given_; }        // DIR as the user wrote it, for messages

 private:
  std::string given_;
  std::filesystem::path dir_, file_;
  std::filesystem::path created_;  // the outermost parent directory this lock made, or empty
  int fd_ = -1;
  std::unique_ptr<signal_cleanup_entry> file_entry_;  // the lock file, removed by a signal
};

}  // namespace ionrail::runs
