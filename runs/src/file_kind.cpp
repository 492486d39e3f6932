#include <ionrail/runs/file_kind.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include <ionrail/model_io/input_error.hpp>

namespace ionrail::runs {
namespace {

// The sections only one command reads, and that command.
const std::vector<std::pair<std::string, std::string>>& own_sections() {
  static const std::vector<std::pair<std::string, std::string>> table{
      {"protocol", "run"}, {"series", "run"}, {"calibration", "calibrate"},
      {"crossbar", "crossbar"}, {"snn", "snn"}, {"sweep", "sweep"}, {"fit", "fit"},
      {"measured_table", "calibrate"}};
  return table;
}

}  // namespace

void check_file_is_for(const config::run_config& config, const std::string& command) {
  // replay's --protocol file needs what `run` needs: a protocol.
  const std::string reads = command == "replay" ? "run" : command;
  const auto has = [&](const std::string& section) {
    return std::find(config.sections.begin(), config.sections.end(), section) != config.sections.end();
  };
  std::vector<std::string> mine, theirs;
  std::string other;
  for (const auto& [section, owner] : own_sections()) {
    if (owner == reads) {
      mine.push_back("[" + section + "]");
      if (has(section)) return;
    } else if (has(section) && other.empty()) {
      other = owner;
      theirs.push_back("[" + section + "]");
    }
  }
  if (other.empty()) return;
  const std::string as = command == "replay" ? "a protocol for `ionrail replay --protocol`" : "`ionrail " + command + "`";
  throw input_error(fmt::format("{}: a file for `ionrail {}` (it has {}) with nothing for {} (no {}): run `ionrail {} {}`",
                                config.path, other, fmt::join(theirs, ", "), as, fmt::join(mine, " or "), other,
                                config.path));
}

}  // namespace ionrail::runs
