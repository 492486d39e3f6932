#include <ionrail/app/staged_dir.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <ionrail/app/config.hpp>

namespace fs = std::filesystem;

namespace ionrail::app {

staged_dir::staged_dir(const std::string& dir, bool force) : out_(dir) {
  if (fs::exists(out_) && !force) throw config_error(out_.string() + ": output directory exists; use --force to replace it");
  partial_ = out_.parent_path() / (out_.filename().string() + fmt::format(".partial-{}", ::getpid()));
  fs::remove_all(partial_);
  fs::create_directories(partial_);
}

void staged_dir::commit() {
  if (fs::exists(out_)) fs::remove_all(out_);
  if (!out_.parent_path().empty()) fs::create_directories(out_.parent_path());
  fs::rename(partial_, out_);
  partial_.clear();
}

staged_dir::~staged_dir() {
  std::error_code ignored;
  if (!partial_.empty()) fs::remove_all(partial_, ignored);
}

}  // namespace ionrail::app
