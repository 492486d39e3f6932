#include <ionrail/app/data_dir.hpp>

#include <cstdlib>
#include <system_error>

namespace fs = std::filesystem;

namespace ionrail::app {

fs::path shipped_data_dir() {
  if (const char* env = std::getenv("IONRAIL_DATA_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path installed = (exe.parent_path() / ".." / "share" / "ionrail").lexically_normal();
  if (fs::is_directory(installed, ec)) return installed;
  // Only the binary the build tree made reads the sources it was built from.
  if (fs::equivalent(exe.parent_path(), fs::path(IONRAIL_BUILD_BIN_DIR), ec)) return IONRAIL_SOURCE_DIR;
  return {};
}

}  // namespace ionrail::app
