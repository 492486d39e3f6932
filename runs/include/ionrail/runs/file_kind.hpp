#pragma once
// Which command a run file is for. Every command reads the same schema, so a
// crossbar file given to `ionrail run` used to load, simulate the default
// material's relaxation and exit 0, ignoring [crossbar]. A file that has
// another command's own section and none of this command's is refused
// (exit 2) naming the command it is for.
#include <string>

#include <ionrail/config/run_config.hpp>

namespace ionrail::runs {

// command: "run", "calibrate", "crossbar", "snn" or "replay" (its --protocol file).
// A file with none of any command's own sections (a material file) fits every command.
void check_file_is_for(const config::run_config& config, const std::string& command);

}  // namespace ionrail::runs
