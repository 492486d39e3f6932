#include <ionrail/app/staged_dir.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <ionrail/calibration/run_control.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/config/run_config.hpp>

namespace fs = std::filesystem;

namespace ionrail::app {

// The libraries this command layer calls.
using namespace ionrail::calibration;
using namespace ionrail::config;
using namespace ionrail::model_io;

staged_dir::staged_dir(const std::string& dir, bool force) : out_(fs::path(dir).lexically_normal()) {
  if (!out_.has_filename() && out_.has_parent_path() && out_ != out_.root_path()) out_ = out_.parent_path();  // "out/x/"
  const std::string name = out_.filename().string();
  if (dir.empty() || name.empty() || name == "." || name == "..")
    throw config_error("'" + dir + "': the output must be a named directory (e.g. out/run)");
  if (fs::exists(out_) && !force) throw config_error(out_.string() + ": output directory exists; use --force to replace it");
  remove_stale_partials(out_);
  partial_ = out_.parent_path() / (name + fmt::format(".partial-{}", ::getpid()));
  fs::remove_all(partial_);
  fs::create_directories(partial_);
}

void staged_dir::commit() {
  if (!out_.parent_path().empty()) fs::create_directories(out_.parent_path());
  // An old DIR is moved aside first, so DIR is the old or the new one at every moment but one rename.
  fs::path old;
  if (fs::exists(out_)) {
    old = out_.parent_path() / (out_.filename().string() + fmt::format(".replaced-{}", ::getpid()));
    fs::remove_all(old);
    fs::rename(out_, old);
  }
  fs::rename(partial_, out_);
  partial_.clear();
  if (!old.empty()) fs::remove_all(old);
}

staged_dir::~staged_dir() {
  std::error_code ignored;
  if (!partial_.empty()) fs::remove_all(partial_, ignored);
}

}  // namespace ionrail::app
