#pragma once
// Running the `ionrail` executable from a test: its exit code and everything
// it printed, scratch directories and input files (test_cli, test_cli_errors).
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace ionrail_test {

struct cli_result {
  int code;            // exit status, -1 if killed by a signal
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell with stderr merged into stdout.
inline cli_result run_command(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  cli_result r{0, ""};
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed: " + cmd};
  char buffer[4096];
  while (fgets(buffer, sizeof buffer, pipe)) r.output += buffer;
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

#ifdef IONRAIL_CLI
// `ionrail ARGS`: IONRAIL_CLI is the executable, defined per test target.
inline cli_result run_cli(const std::string& args) { return run_command(std::string(IONRAIL_CLI) + " " + args); }
#endif

// An empty directory NAME under the test's temporary directory (ctest sets
// it inside the build tree: tests/CMakeLists.txt).
inline std::filesystem::path scratch_dir(const std::string& name) {
  const std::filesystem::path p = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

// Writes `text` to `p` (parent directories made); returns the path.
inline std::string write_file(const std::filesystem::path& p, const std::string& text) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace ionrail_test
