// Concurrent writers and bad output paths of the `ionrail` executable: every
// command that writes DIR holds DIR.lock for its whole life, so a second
// command on DIR (run, run --resume, calibrate, sweep) is refused with exit 2
// naming the first's pid while the first finishes untouched; a finished DIR
// is replaced only with --force; a lock left by a killed command blocks
// nothing; an --out that cannot be made exits 2 with one line, leaving nothing.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "calibration_fixture.hpp"
#include "cli_run.hpp"
#include "sanitizer.hpp"
#include "spawn.hpp"

namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) { return ionrail_test::scratch_dir("ionrail_lock_" + name); }

using ionrail_test::slurp;

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

using ionrail_test::spawn;
using ionrail_test::wait_for;

struct outcome {
  int code;
  std::string log;
};
outcome run(const std::vector<std::string>& args, const fs::path& log) {
  const int code = wait_for(spawn(args, log));
  return {code, slurp(log)};
}

// Waits until `out`.lock names `pid` (it holds the lock: the pid is written
// just after the flock) or the process ended.
bool wait_for_lock(const fs::path& out, pid_t pid, double seconds = 60) {
  fs::path lock = out;
  lock += ".lock";
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (slurp(lock) == std::to_string(pid) + "\n") return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ADD_FAILURE() << "the process ended before it held " << lock;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// Names in `dir` that a command left beside its output: partials, locks.
std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".partial-") != std::string::npos || name.find(".lock") != std::string::npos ||
        name.find(".replaced-") != std::string::npos)
      found.push_back(name);
  }
  return found;
}

// One line, naming `fragment`.
void expect_one_line(const outcome& r, const std::string& fragment) {
  EXPECT_EQ(r.code, 2) << r.log;
  EXPECT_EQ(std::count(r.log.begin(), r.log.end(), '\n'), 1) << r.log;
  EXPECT_NE(r.log.find(fragment), std::string::npos) << r.log;
}

// About 2 s on one core (an eighth of the rails under ASan, about as long):
// long enough for a second command to start while it runs. With a [sweep]
// section, so `ionrail sweep` can use the same file.
const std::string slow_run = R"(
[device]
thickness_nm = 20
sites = 20
rails = )" + std::to_string(ionrail_test::sanitizer_sized(2400, 300)) + R"(
zones = 4
[[species]]
name = "ion"
activation_energy_ev = 0
attempt_frequency_hz = 3000
fill = 0.3
[field]
ion_density_m3 = 1e24
[sim]
threads = 1
[protocol]
kind = "relax"
voltage_v = 0.5
pulse_s = 2
relax_s = 3
sample_every_s = 0.05
[output]
plots = false
[sweep]
[[sweep.axis]]
key = "protocol.voltage_v"
values = [0.4, 0.5]
)";
// The same in a few milliseconds.
const std::vector<std::string> quick{"--set", "device.rails=50", "--set", "protocol.relax_s=0.2", "--quiet"};

const std::string calibration_file = ionrail_test::small_calibration_toml(50, 2, 10);

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(OutputLock, SecondWriterIsRefusedWhileTheFirstRuns) {
  const fs::path dir = scratch("concurrent");
  write(dir / "run.toml", slow_run);
  const std::string file = (dir / "run.toml").string(), out = (dir / "out").string();
  const pid_t first = spawn({"run", file, "--out", out, "--quiet"}, dir / "first.log");
  ASSERT_TRUE(wait_for_lock(dir / "out", first));
  const std::string holder = "(pid " + std::to_string(first) + ")";
  // A run, a --resume, a run with --force, a sweep and a calibration on the same DIR.
  for (const auto& args : {with({"run", file, "--out", out}, quick), with({"run", file, "--resume", out}, quick),
                           with({"run", file, "--out", out, "--force"}, quick), with({"sweep", file, "--out", out}, quick)}) {
    SCOPED_TRACE(args[0] + " " + args.back());
    const outcome second = run(args, dir / "second.log");
    expect_one_line(second, holder);
    EXPECT_NE(second.log.find("--out " + out + ":"), std::string::npos) << second.log;
  }
  EXPECT_EQ(wait_for(first), 0) << slurp(dir / "first.log");
  EXPECT_TRUE(fs::exists(dir / "out" / "summary.json"));
  EXPECT_TRUE(fs::exists(dir / "out" / "trace.csv"));
  EXPECT_FALSE(fs::exists(dir / "out.checkpoint"));
  EXPECT_EQ(leftovers(dir), std::vector<std::string>{});

  // Finished: kept without --force, replaced with it.
  const std::string before = slurp(dir / "out" / "summary.json");
  const outcome again = run(with({"run", file, "--out", out, "--seed", "7"}, quick), dir / "again.log");
  expect_one_line(again, "use --force");
  EXPECT_EQ(slurp(dir / "out" / "summary.json"), before);
  const outcome forced = run(with({"run", file, "--out", out, "--seed", "7", "--force"}, quick), dir / "forced.log");
  EXPECT_EQ(forced.code, 0) << forced.log;
  EXPECT_NE(slurp(dir / "out" / "summary.json").find("\"seed\": 7"), std::string::npos);
  EXPECT_EQ(leftovers(dir), std::vector<std::string>{});
}

TEST(OutputLock, SecondCalibrationIsRefused) {
  const fs::path dir = scratch("calibrate");
  write(dir / "cal.toml", calibration_file);
  write(dir / "run.toml", slow_run);
  const std::string file = (dir / "cal.toml").string(), out = (dir / "out").string();
  // Checkpoints every 50 ms: the --resume below must be refused by the lock, not for want of a checkpoint.
  const pid_t first = spawn({"calibrate", file, "--out", out, "--quiet", "--checkpoint-every", "0.05"}, dir / "first.log");
  ASSERT_TRUE(wait_for_lock(dir / "out", first));
  const std::string holder = "(pid " + std::to_string(first) + ")";
  for (const auto& args : {std::vector<std::string>{"calibrate", file, "--out", out, "--quiet"},
                           std::vector<std::string>{"calibrate", file, "--resume", out, "--quiet"},
                           with({"run", (dir / "run.toml").string(), "--out", out}, quick)}) {
    SCOPED_TRACE(args[0] + " " + args[2]);
    expect_one_line(run(args, dir / "second.log"), holder);
  }
  const int code = wait_for(first);
  if (code == 0) {
    EXPECT_TRUE(fs::exists(dir / "out"));
    EXPECT_FALSE(fs::exists(dir / "out.checkpoint"));
    EXPECT_EQ(leftovers(dir), std::vector<std::string>{});
  } else {
    ADD_FAILURE() << "the first calibration failed: " << slurp(dir / "first.log");
  }
}

// SIGKILL: the kernel drops the flock; the lock file left behind (with the
// dead pid) blocks nothing, and the next command removes it.
TEST(OutputLock, LockOfAKilledCommandBlocksNothing) {
  const fs::path dir = scratch("killed");
  write(dir / "run.toml", slow_run);
  const std::string file = (dir / "run.toml").string(), out = (dir / "out").string();
  const pid_t first = spawn({"run", file, "--out", out, "--quiet"}, dir / "first.log");
  ASSERT_TRUE(wait_for_lock(dir / "out", first));
  kill(first, SIGKILL);
  ASSERT_EQ(wait_for(first), 128 + SIGKILL) << "the run finished before it was killed: make it longer";
  EXPECT_TRUE(fs::exists(dir / "out.lock"));
  EXPECT_FALSE(fs::exists(dir / "out"));
  const outcome next = run(with({"run", file, "--out", out}, quick), dir / "next.log");
  EXPECT_EQ(next.code, 0) << next.log;
  EXPECT_TRUE(fs::exists(dir / "out" / "summary.json"));
  EXPECT_EQ(leftovers(dir), std::vector<std::string>{});
}

// DIR made by hand while a command runs: the commit does not replace it; the
// finished output is kept beside it, under the name the message gives.
TEST(OutputLock, CommitNeverReplacesADirectoryThatAppeared) {
  const fs::path dir = scratch("appeared");
  write(dir / "run.toml", slow_run);
  const std::string file = (dir / "run.toml").string(), out = (dir / "out").string();
  const pid_t first = spawn({"run", file, "--out", out, "--quiet"}, dir / "first.log");
  ASSERT_TRUE(wait_for_lock(dir / "out", first));
  // Past its start-up checks (which refuse an existing DIR) once its staging
  // directory exists: only then does DIR appear "while it runs".
  const fs::path partial = dir / ("out.partial-" + std::to_string(first));
  for (int k = 0; k < 2000 && !fs::exists(partial); ++k) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(fs::exists(partial)) << slurp(dir / "first.log");
  fs::create_directories(dir / "out");
  write(dir / "out" / "mine.txt", "the user's");
  EXPECT_EQ(wait_for(first), 2);
  const std::string log = slurp(dir / "first.log");
  const fs::path kept = dir / ("out.finished-" + std::to_string(first));
  EXPECT_NE(log.find("was created while this command ran"), std::string::npos) << log;
  EXPECT_NE(log.find(kept.string()), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(kept / "summary.json"));
  EXPECT_EQ(slurp(dir / "out" / "mine.txt"), "the user's");
  EXPECT_FALSE(fs::exists(dir / "out" / "summary.json"));
  // The kept output survives the next command's clean-up of stale partials.
  EXPECT_EQ(run(with({"run", file, "--out", out, "--force"}, quick), dir / "next.log").code, 0);
  EXPECT_TRUE(fs::exists(kept / "summary.json"));
}

// An --out that cannot be a directory: exit 2 before anything runs, one line
// naming the path and why, nothing left behind.
TEST(OutputLock, BadOutIsRefusedWithOneLine) {
  const fs::path dir = scratch("bad_out");
  write(dir / "run.toml", slow_run);
  write(dir / "file", "a regular file");
  const std::string file = (dir / "run.toml").string();
  std::string deep = dir.string();
  while (deep.size() < 4200) deep += "/" + std::string(200, 'd');
  const struct {
    std::string out, why;
  } cases[] = {
      {(dir / "file" / "x").string(), (dir / "file").string() + " is not a directory"},
      {(dir / "file" / "x" / "y").string(), (dir / "file").string() + " is not a directory"},
      {(dir / "file").string(), "is not a directory"},
      {"/proc/ionrail_test/out", "cannot create"},
      {"/proc/ionrail_test_out", "cannot create"},
      {(dir / std::string(300, 'n')).string(), "is 300 bytes long"},
      {(dir / "a" / std::string(250, 'n')).string(), "the directory name is 250 bytes long"},
      {deep + "/out", "bytes long; at most"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.out.substr(0, 120));
    for (const char* command : {"run", "sweep"}) {
      const outcome r = run(with({command, file, "--out", c.out}, quick), dir.parent_path() / "bad_out.log");
      expect_one_line(r, c.why);
      EXPECT_NE(r.log.find("--out " + c.out + ": "), std::string::npos) << r.log;
    }
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 2);  // run.toml and file
  }
  EXPECT_EQ(slurp(dir / "file"), "a regular file");
  EXPECT_FALSE(fs::exists("/proc/ionrail_test_out.lock"));
}

}  // namespace
