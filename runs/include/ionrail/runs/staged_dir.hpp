#pragma once
// An output directory written under a temporary name (DIR.partial-PID) and
// renamed to DIR only when complete, so a failed or interrupted command leaves
// no partial output behind. An existing DIR is kept unless `force`: checked
// when staging starts and again at the commit.
//
// Every staged_dir holds DIR's lock (output_lock, apps/src/output_lock.hpp)
// from its construction to its end, so two commands never write the same DIR:
// the second is refused (exit 2) naming the first's pid. A command that must
// hold the lock before it stages (to read or clear DIR.checkpoint) takes the
// lock first and stages under it.
#include <filesystem>
#include <memory>
#include <string>

namespace ionrail::runs {

class output_lock;
class signal_cleanup_entry;

// What --force removes (an old DIR, DIR.checkpoint, a sweep's DIR) must never
// hold a file this command has read (model_io::input_files_read: its
// configuration, table, data), nor be the working directory or one above it
// (`--out ../here --force` from inside `here`): ionrail::input_error
// "--out GIVEN: holds FILE, an input of this command ..." or "... is the
// working directory ..." if PATH is such. staged_dir checks it when it
// stages and again at the commit (a command may read inputs after it
// stages); the commands call it before removing anything else themselves.
void refuse_to_remove(const std::filesystem::path& path, const std::string& given);

// DIR.checkpoint without MARKER (its run.ckpt, or its config): what a
// command killed before its first save, or after its commit and before it
// removed the directory, leaves; nothing there can be resumed. Removed (the
// caller holds DIR's lock): the plain command and --resume, which each
// refused it pointing at the other, go on.
void remove_unresumable_checkpoint(const std::filesystem::path& checkpoint, const std::filesystem::path& marker,
                                   const std::string& given);

class staged_dir {
 public:
  staged_dir(const std::string& dir, bool force);   // takes DIR's lock itself
  staged_dir(const output_lock& lock, bool force);  // under a lock the caller took and holds longer
  staged_dir(const staged_dir&) = delete;
  staged_dir& operator=(const staged_dir&) = delete;
  ~staged_dir();  // removes the partial directory unless commit() ran

  const std::filesystem::path& path() const { return partial_; }  // where to write
  // Renames the partial directory to DIR. If DIR appeared meanwhile (made by
  // hand: no command can, under the lock) and not `force`, DIR is kept, the
  // finished output is renamed to DIR.finished-PID, and ionrail::input_error
  // says so.
  void commit();

 private:
  void stage(const output_lock& lock);
  [[noreturn]] void keep_and_refuse(const std::string& why,
                                    const std::string& remedy = "it is not replaced without --force");

  std::unique_ptr<output_lock> own_lock_;
  std::unique_ptr<signal_cleanup_entry> partial_entry_;  // removed by a signal (runs/signal_cleanup.hpp)
  std::string given_;
  std::filesystem::path out_, partial_;
  bool force_ = false;
};

}  // namespace ionrail::runs
