#pragma once
// An output directory written under a temporary name (DIR.partial-PID) and
// renamed to DIR only when complete, so a failed or interrupted command leaves
// no partial output behind. An existing DIR is kept unless `force`.
#include <filesystem>
#include <string>

namespace ionrail::app {

class staged_dir {
 public:
  staged_dir(const std::string& dir, bool force);
  staged_dir(const staged_dir&) = delete;
  staged_dir& operator=(const staged_dir&) = delete;
  ~staged_dir();  // removes the partial directory unless commit() ran

  const std::filesystem::path& path() const { return partial_; }  // where to write
  void commit();                                                  // rename to the final name

 private:
  std::filesystem::path out_, partial_;
};

}  // namespace ionrail::app
