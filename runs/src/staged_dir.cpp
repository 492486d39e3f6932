#include <ionrail/runs/staged_dir.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include <ionrail/calibration/run_control.hpp>
#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>

#include <ionrail/runs/output_lock.hpp>
#include <ionrail/runs/signal_cleanup.hpp>

namespace fs = std::filesystem;

namespace ionrail::runs {

namespace {

// What --force would remove at PATH, canonical; empty when nothing is there
// or PATH is a link (a link named as DIR is removed itself, not what it
// points to: only what is under the name counts).
fs::path removed_by_force(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return {};
  const fs::path dir = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec || fs::is_symlink(fs::symlink_status(path, ec))) return {};
  return dir;
}

// DIR itself or a path below it.
bool under(const fs::path& dir, const fs::path& p) {
  return std::mismatch(dir.begin(), dir.end(), p.begin(), p.end()).first == dir.end();
}

// The first file this command read that lies under DIR (canonical), or "".
std::string input_under_dir(const fs::path& dir) {
  if (dir.empty()) return {};
  for (const auto& input : model_io::input_files_read())
    if (under(dir, fs::path(input))) return input;
  return {};
}

std::string input_under(const fs::path& path) { return input_under_dir(removed_by_force(path)); }

std::string holds_input_text(const std::string& input) {
  return "holds " + input + ", an input of this command: --force would delete it; name another output directory";
}

}  // namespace

void refuse_to_remove(const fs::path& path, const std::string& given) {
  const fs::path dir = removed_by_force(path);
  const std::string input = input_under_dir(dir);
  const std::string named = path.string() == given ? std::string() : path.string() + " ";
  if (!input.empty()) throw input_error(fmt::format("--out {}: {}{}", given, named, holds_input_text(input)));
  // The directory the user works in, under any name ("../here", its
  // absolute path): --force would delete it and everything in it.
  std::error_code ec;
  const fs::path here = fs::weakly_canonical(fs::current_path(ec), ec);
  if (!dir.empty() && !ec && under(dir, here))
    throw input_error(fmt::format("--out {}: {}is the working directory{}: --force would delete it; name another "
                                  "output directory",
                                  given, named, dir == here ? "" : " or holds it (" + here.string() + ")"));
}

void remove_unresumable_checkpoint(const fs::path& checkpoint, const fs::path& marker, const std::string& given) {
  if (!calibration::checkpoint_exists(checkpoint) || calibration::checkpoint_exists(marker)) return;
  if (!fs::is_directory(fs::symlink_status(checkpoint))) return;  // not ours: the commands refuse it as before
  refuse_to_remove(checkpoint, given);
  fs::remove_all(checkpoint);
}

staged_dir::staged_dir(const std::string& dir, bool force) : own_lock_(std::make_unique<output_lock>(dir)), force_(force) {
  stage(*own_lock_);
}

staged_dir::staged_dir(const output_lock& lock, bool force) : force_(force) { stage(lock); }

void staged_dir::stage(const output_lock& lock) {
  given_ = lock.given();
  out_ = lock.dir();
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(out_, ec));
  if (exists && !force_) throw input_error(out_.string() + ": output directory exists; use --force to replace it");
  // --force replaces DIR with everything in it: never an input of this
  // command (`ionrail replay TABLE --out TABLE --force` deleted the table).
  if (exists) refuse_to_remove(out_, given_);
  // Under the lock every DIR.partial-* but ours is a dead command's; the pid
  // check in remove_stale_partials keeps those of a live one on another host.
  calibration::remove_stale_partials(out_);
  partial_ = out_.parent_path() / (out_.filename().string() + fmt::format(".partial-{}", ::getpid()));
  const auto hold = hold_signal_cleanup();  // registered and made as one step for a signal's clean-up
  partial_entry_ = std::make_unique<signal_cleanup_entry>(partial_);
  try {
    fs::remove_all(partial_);
    fs::create_directories(partial_);
  } catch (const fs::filesystem_error& e) {
    partial_.clear();
    throw input_error("--out " + given_ + ": cannot create the output directory: " + e.code().message());
  }
}

void staged_dir::keep_and_refuse(const std::string& why, const std::string& remedy) {
  // Finished work is never deleted silently: it moves to a name the next
  // command's clean-up of stale partials leaves alone.
  fs::path kept = out_.parent_path() / (out_.filename().string() + fmt::format(".finished-{}", ::getpid()));
  std::error_code ec;
  fs::rename(partial_, kept, ec);
  if (ec) kept = partial_;
  partial_.clear();
  throw input_error(fmt::format("--out {}: {}; {}; the finished output is in {}", given_, why, remedy, kept.string()));
}

void staged_dir::commit() {
  const auto hold = hold_signal_cleanup();  // a signal waits for DIR to be whole again
  if (!out_.parent_path().empty()) fs::create_directories(out_.parent_path());
  // An old DIR is moved aside first, so DIR is the old or the new one at every moment but one rename.
  fs::path old;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(out_, ec))) {
    if (!force_) keep_and_refuse(out_.string() + " was created while this command ran");
    // Inputs read since the staging (the demo reads its experiments then).
    if (const std::string input = input_under(out_); !input.empty()) keep_and_refuse(holds_input_text(input), "it is kept");
    old = out_.parent_path() / (out_.filename().string() + fmt::format(".replaced-{}", ::getpid()));
    fs::remove_all(old);
    fs::rename(out_, old);
  }
  // RENAME_NOREPLACE: a DIR made by hand after the check above is not
  // replaced either (rename(2) would replace an empty one).
  if (::renameat2(AT_FDCWD, partial_.c_str(), AT_FDCWD, out_.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    if (err == EEXIST || err == ENOTEMPTY) keep_and_refuse(out_.string() + " was created while this command ran");
    if (err != EINVAL && err != ENOSYS)
      throw fs::filesystem_error("cannot rename", partial_, out_, std::error_code(err, std::generic_category()));
    fs::rename(partial_, out_);  // a filesystem without RENAME_NOREPLACE
  }
  partial_.clear();
  partial_entry_.reset();
  if (!old.empty()) fs::remove_all(old);
}

staged_dir::~staged_dir() {
  std::error_code ignored;
  if (!partial_.empty()) fs::remove_all(partial_, ignored);
  partial_entry_.reset();
}

}  // namespace ionrail::runs
