#include <ionrail/runs/output_lock.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include <ionrail/model_io/input_error.hpp>
#include <ionrail/runs/signal_cleanup.hpp>

namespace fs = std::filesystem;

namespace ionrail::runs {

namespace {

// NAME_MAX of the usual Linux filesystems (ext4, xfs, btrfs, tmpfs).
constexpr std::size_t name_max = 255;
// The longest suffix added to DIR's name: ".replaced-PID" or ".finished-PID"
// with a pid of at most 7 digits (Linux pids are below 2^22).
constexpr std::size_t suffix_max = 17;
// Room kept under PATH_MAX for what commands write inside DIR (variant
// subdirectories, temporary files), so a path accepted here never fails later.
constexpr std::size_t inside_max = 128;

[[noreturn]] void refuse(const std::string& given, const std::string& why) {
  throw input_error(fmt::format("--out {}: {}", given, why));
}

std::string message(int err) { return std::error_code(err, std::generic_category()).message(); }

// " (/proc is the kernel's proc filesystem)" when the nearest existing
// ancestor of `p` is a kernel filesystem, whose errors (ENOENT for a name that
// plainly could be made) would otherwise puzzle.
std::string kernel_filesystem_note(const fs::path& p) {
  std::error_code ec;
  fs::path up = p;
  while (!up.empty() && !fs::exists(up, ec) && up != up.parent_path()) up = up.parent_path();
  if (up.empty()) up = ".";
  struct statfs sf {};
  if (::statfs(up.c_str(), &sf) != 0) return {};
  if (sf.f_type == PROC_SUPER_MAGIC) return fmt::format(" ({} is on the kernel's proc filesystem)", up.string());
  if (sf.f_type == SYSFS_MAGIC) return fmt::format(" ({} is on the kernel's sysfs)", up.string());
  return {};
}

// Why directory `p` could not be made (`ec`): an ancestor that is not a
// directory, else the system's reason.
std::string why_not_made(const fs::path& p, const std::error_code& ec) {
  fs::path prefix;
  for (const auto& part : p) {
    prefix /= part;
    std::error_code e;
    const fs::file_type type = fs::symlink_status(prefix, e).type();
    if (type == fs::file_type::symlink) continue;  // judged by where it points, below
    if (type == fs::file_type::none || type == fs::file_type::not_found) break;
    if (type != fs::file_type::directory && !fs::is_directory(prefix, e))
      return "cannot create the output directory: " + prefix.string() + " is not a directory";
  }
  return "cannot create " + p.string() + ": " + ec.message() + kernel_filesystem_note(p);
}

// The pid written in a lock file by its holder, which writes it just after
// taking the lock: a moment's wait covers a holder caught in between.
std::string holder_pid(int fd) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    char text[32];
    const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    if (n > 0) {
      std::string pid(text, static_cast<std::size_t>(n));
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      if (!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos) return pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "unknown";
}

// Removes the directories from `from` up to `created` (its ancestor) that are
// empty: the parents a lock made for an output that was not written.
void remove_empty_parents(fs::path from, const fs::path& created) {
  if (created.empty()) return;
  for (std::error_code ec; !from.empty(); from = from.parent_path()) {
    if (!fs::remove(from, ec) || ec) return;  // not empty: something was written there
    if (from == created) return;
  }
}

}  // namespace

output_lock::output_lock(const std::string& dir) : given_(dir), dir_(fs::path(dir).lexically_normal()) {
  if (!dir_.has_filename() && dir_.has_parent_path() && dir_ != dir_.root_path()) dir_ = dir_.parent_path();  // "out/x/"
  const std::string name = dir_.filename().string();
  if (dir.empty() || name.empty() || name == "." || name == "..")
    throw input_error("'" + dir + "': the output must be a named directory (e.g. out/run)");

  // Lengths first: the system's ENAMETOOLONG would come only after parents
  // were made, and for DIR.partial-PID only after the work was done.
  for (const auto& part : dir_) {
    const std::string s = part.string();
    if (s.size() > name_max)
      refuse(given_, fmt::format("the name '{}...' is {} bytes long; the filesystem allows {}", s.substr(0, 16), s.size(), name_max));
  }
  if (name.size() + suffix_max > name_max)
    refuse(given_, fmt::format("the directory name is {} bytes long; at most {} (the filesystem allows {} and the command "
                               "adds suffixes such as .partial-PID)",
                               name.size(), name_max - suffix_max, name_max));
  std::error_code ec;
  const fs::path absolute = fs::absolute(dir_, ec);
  const std::size_t length = (ec ? dir_ : absolute).string().size();
  if (length + suffix_max + inside_max >= PATH_MAX)
    refuse(given_, fmt::format("the path is {} bytes long; at most {} (the system's PATH_MAX is {}, with room kept for the "
                               "files written inside)",
                               length, PATH_MAX - 1 - suffix_max - inside_max, PATH_MAX));

  // The parent: made if missing (and removed again if nothing is written).
  const fs::path parent = dir_.parent_path();
  if (!parent.empty()) {
    fs::path missing;
    for (fs::path p = parent; !p.empty() && !fs::exists(p, ec) && p != p.parent_path(); p = p.parent_path()) missing = p;
    fs::create_directories(parent, ec);
    if (ec) refuse(given_, why_not_made(parent, ec));
    if (!fs::is_directory(parent, ec)) refuse(given_, why_not_made(parent, std::make_error_code(std::errc::not_a_directory)));
    created_ = missing;
  }

  // An output is a directory: a file in its place is never replaced, even with --force.
  const fs::file_status st = fs::symlink_status(dir_, ec);
  if (fs::exists(st) && !fs::is_directory(dir_, ec))
    refuse(given_, dir_.string() + " is not a directory (a file is not replaced, even with --force)");

  file_ = parent / (name + ".lock");
  // A signal's clean-up waits while the file is created and locked, so it
  // never finds a lock file made but not yet registered (nothing blocks
  // here: the flock does not wait).
  auto hold = hold_signal_cleanup();
  try {
    // An unlinked lock file (its holder ended between our open and flock)
    // locks nothing: lock again until the file locked is the one at the path.
    for (int attempt = 0;; ++attempt) {
      fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd_ < 0) {
        const int err = errno;
        refuse(given_, "cannot create the lock file " + file_.string() + ": " + message(err) + kernel_filesystem_note(file_));
      }
      if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const std::string pid = err == EWOULDBLOCK ? holder_pid(fd_) : std::string();
        ::close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK)
          refuse(given_, fmt::format("another ionrail command (pid {}) is writing this output and holds {}; wait for it to "
                                     "end, or choose another --out",
                                     pid, file_.string()));
        refuse(given_, "cannot lock " + file_.string() + ": " + message(err));
      }
      struct stat held {}, at_path {};
      if (::fstat(fd_, &held) == 0 && ::stat(file_.c_str(), &at_path) == 0 && held.st_dev == at_path.st_dev &&
          held.st_ino == at_path.st_ino)
        break;
      ::close(fd_);
      fd_ = -1;
      if (attempt >= 100) refuse(given_, "cannot lock " + file_.string() + ": it is replaced again and again");
    }
    // Ours from here (never another command's file: registered once locked).
    file_entry_ = std::make_unique<signal_cleanup_entry>(file_);
    // The pid is for the message of a refused command; the lock holds without it.
    const std::string pid = fmt::format("{}\n", ::getpid());
    [[maybe_unused]] const bool written =
        ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
  } catch (...) {
    remove_empty_parents(parent, created_);
    throw;
  }
}

output_lock::~output_lock() {
  // Unregistered first (once unlinked, the path may be another command's
  // lock), and unlinked before a signal's clean-up can end the process.
  const auto hold = hold_signal_cleanup();
  file_entry_.reset();
  // Unlinked while still locked, so a command that opened it meanwhile sees
  // (after its flock) that it no longer is the lock file, and opens again.
  if (fd_ >= 0) {
    ::unlink(file_.c_str());
    ::close(fd_);
  }
  remove_empty_parents(dir_.parent_path(), created_);
}

}  // namespace ionrail::runs
