// Interruption and resume of the `ionrail` executable: a run or calibration
// killed with SIGKILL (resumed from its last periodic checkpoint) or stopped
// with SIGINT/SIGTERM (which write a final checkpoint) and then continued
// with --resume writes outputs identical, byte for byte, to an uninterrupted
// run (summary.json up to its wall-clock timings).
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
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

fs::path scratch(const std::string& name) { return ionrail_test::scratch_dir("ionrail_interrupt_" + name); }

using ionrail_test::slurp;

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

using ionrail_test::spawn;
using ionrail_test::wait_for;

int run(const std::vector<std::string>& args, const fs::path& log) { return wait_for(spawn(args, log)); }

// Waits until `file` exists (a checkpoint was written) or the process ended.
bool wait_for_file(const fs::path& file, pid_t pid, double seconds = 60) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (fs::exists(file)) return true;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ADD_FAILURE() << "the process ended before " << file << " appeared";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

// summary.json without what depends on the wall clock.
std::string without_timings(std::string json) {
  return std::regex_replace(json, std::regex("\"(wall_s|attempts_per_s|events_per_s)\": [^,}\\n]*"), "\"$1\": T");
}

// Every file of two output directories: the same names, the same bytes.
void expect_same_outputs(const fs::path& a, const fs::path& b) {
  std::vector<std::string> names_a, names_b;
  for (const auto& e : fs::recursive_directory_iterator(a)) names_a.push_back(fs::relative(e.path(), a).string());
  for (const auto& e : fs::recursive_directory_iterator(b)) names_b.push_back(fs::relative(e.path(), b).string());
  std::sort(names_a.begin(), names_a.end());
  std::sort(names_b.begin(), names_b.end());
  EXPECT_EQ(names_a, names_b);
  int compared = 0;
  for (const auto& n : names_a) {
    if (fs::is_directory(a / n)) continue;
    std::string x = slurp(a / n), y = slurp(b / n);
    if (n.size() >= 12 && n.substr(n.size() - 12) == "summary.json") x = without_timings(x), y = without_timings(y);
    EXPECT_TRUE(x == y) << n << " differs";
    ++compared;
  }
  EXPECT_GE(compared, 2);
}

void expect_no_leftovers(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".partial-"), std::string::npos) << name;
    EXPECT_EQ(name.find(".checkpoint"), std::string::npos) << name;
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
  }
}

// About 1 s uninterrupted on one core (1200 rails, a relax protocol); an
// eighth of the rails under ASan, which is 10-15 times slower, so the kill
// still lands mid-run.
const std::string run_file = R"(
[device]
thickness_nm = 20
sites = 20
rails = )" + std::to_string(ionrail_test::sanitizer_sized(1200, 150)) + R"(
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
)";

struct run_case {
  const char* name;
  std::vector<std::string> extra;  // --set ...
};

class Interrupt : public ::testing::TestWithParam<run_case> {};

// SIGKILL: nothing is saved at the kill; the last periodic checkpoint is
// what resume starts from, and the killed process's DIR.partial-PID is
// cleaned up by the next command on DIR.
TEST_P(Interrupt, KilledRunResumesFromItsLastPeriodicCheckpoint) {
  const fs::path dir = scratch(std::string("kill_") + GetParam().name);
  write(dir / "run.toml", run_file);
  std::vector<std::string> base{"run", (dir / "run.toml").string(), "--quiet"};
  base.insert(base.end(), GetParam().extra.begin(), GetParam().extra.end());

  auto ref = base;
  ref.insert(ref.end(), {"--out", (dir / "ref").string()});
  ASSERT_EQ(run(ref, dir / "ref.log"), 0) << slurp(dir / "ref.log");

  auto args = base;
  args.insert(args.end(), {"--out", (dir / "out").string(), "--checkpoint-every", "0.05"});
  const pid_t pid = spawn(args, dir / "out.log");
  ASSERT_TRUE(wait_for_file(dir / "out.checkpoint" / "run.ckpt", pid));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // a later checkpoint, mid-run
  kill(pid, SIGKILL);
  ASSERT_EQ(wait_for(pid), 128 + SIGKILL) << "the run finished before it was killed: make it longer";
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_TRUE(fs::exists(dir / "out.checkpoint" / "run.ckpt"));

  // Without --resume (or --force) the checkpoint is not thrown away.
  auto again = base;
  again.insert(again.end(), {"--out", (dir / "out").string()});
  EXPECT_EQ(run(again, dir / "again.log"), 2);
  EXPECT_NE(slurp(dir / "again.log").find("--resume"), std::string::npos) << slurp(dir / "again.log");

  auto resume = base;
  resume.insert(resume.end(), {"--resume", (dir / "out").string()});
  ASSERT_EQ(run(resume, dir / "resume.log"), 0) << slurp(dir / "resume.log");
  expect_same_outputs(dir / "ref", dir / "out");
  if (std::string(GetParam().name) == "series") {
    for (const char* v : {"voltage_v_0.3", "voltage_v_0.5", "voltage_v_0.7"})
      EXPECT_TRUE(fs::exists(dir / "out" / v / "profile_average.csv")) << v;
  }
  expect_no_leftovers(dir);
}

// SIGINT and SIGTERM: a final checkpoint, exit 130 / 143, a message that
// says how to resume.
TEST_P(Interrupt, SignalWritesAFinalCheckpointAndResumes) {
  for (int sig : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(sig);
    const fs::path dir = scratch(std::string("signal_") + GetParam().name + std::to_string(sig));
    write(dir / "run.toml", run_file);
    std::vector<std::string> base{"run", (dir / "run.toml").string(), "--quiet"};
    base.insert(base.end(), GetParam().extra.begin(), GetParam().extra.end());
    auto ref = base;
    ref.insert(ref.end(), {"--out", (dir / "ref").string()});
    ASSERT_EQ(run(ref, dir / "ref.log"), 0) << slurp(dir / "ref.log");

    auto args = base;
    args.insert(args.end(), {"--out", (dir / "out").string(), "--checkpoint-every", "0.05"});
    const pid_t pid = spawn(args, dir / "out.log");
    ASSERT_TRUE(wait_for_file(dir / "out.checkpoint" / "run.ckpt", pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    kill(pid, sig);
    ASSERT_EQ(wait_for(pid), 128 + sig) << slurp(dir / "out.log");
    const std::string log = slurp(dir / "out.log");
    EXPECT_NE(log.find(sig == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM"), std::string::npos) << log;
    EXPECT_NE(log.find("resume with: "), std::string::npos) << log;
    EXPECT_NE(log.find("--resume"), std::string::npos) << log;
    EXPECT_FALSE(fs::exists(dir / "out"));
    for (const auto& e : fs::directory_iterator(dir))
      EXPECT_EQ(e.path().filename().string().find(".partial-"), std::string::npos) << "a signal left " << e.path();

    // The message's command, as given: --out DIR ... --resume.
    auto resume = args;
    resume.push_back("--resume");
    ASSERT_EQ(run(resume, dir / "resume.log"), 0) << slurp(dir / "resume.log");
    expect_same_outputs(dir / "ref", dir / "out");
    expect_no_leftovers(dir);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Runs, Interrupt,
    ::testing::Values(run_case{"sync", {}},
                      // three variants: the kill lands in one of them, finished ones come from the checkpoint;
                      // their time-averaged profiles' sums too (profile_average.csv the same bytes)
                      run_case{"series", {"--set", "series.key=protocol.voltage_v", "--set", "series.values=[0.3,0.5,0.7]",
                                          "--set", "device.rails=" + std::to_string(ionrail_test::sanitizer_sized(500, 60)),
                                          "--set", "protocol.average_window_s=[1,4.5]"}},
                      run_case{"bkl", {"--set", "sim.method=bkl", "--set", "device.rails=20"}}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(InterruptErrors, ResumeRefusesAMissingOrForeignCheckpoint) {
  const fs::path dir = scratch("errors");
  write(dir / "run.toml", run_file);
  const std::string file = (dir / "run.toml").string(), out = (dir / "out").string();
  EXPECT_EQ(run({"run", file, "--out", out, "--resume", "--quiet"}, dir / "a.log"), 2);
  EXPECT_NE(slurp(dir / "a.log").find("no checkpoint here"), std::string::npos) << slurp(dir / "a.log");
  EXPECT_FALSE(fs::exists(out));

  const pid_t pid = spawn({"run", file, "--out", out, "--quiet", "--checkpoint-every", "0.05"}, dir / "b.log");
  ASSERT_TRUE(wait_for_file(dir / "out.checkpoint" / "run.ckpt", pid));
  kill(pid, SIGINT);
  ASSERT_EQ(wait_for(pid), 130) << slurp(dir / "b.log");
  // Another configuration: refused, naming what differs.
  EXPECT_EQ(run({"run", file, "--out", out, "--resume", "--quiet", "--seed", "9"}, dir / "c.log"), 2);
  EXPECT_NE(slurp(dir / "c.log").find("another configuration"), std::string::npos) << slurp(dir / "c.log");
  EXPECT_NE(slurp(dir / "c.log").find("seed"), std::string::npos) << slurp(dir / "c.log");
  // A corrupted checkpoint: refused by its checksum.
  {
    std::fstream f(dir / "out.checkpoint" / "run.ckpt", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-5, std::ios::end);
    f.put('\x5a');
  }
  EXPECT_EQ(run({"run", file, "--out", out, "--resume", "--quiet"}, dir / "d.log"), 2);
  EXPECT_NE(slurp(dir / "d.log").find("checksum"), std::string::npos) << slurp(dir / "d.log");
  // A truncated one.
  fs::resize_file(dir / "out.checkpoint" / "run.ckpt", 100);
  EXPECT_EQ(run({"run", file, "--out", out, "--resume", "--quiet"}, dir / "e.log"), 2);
  EXPECT_NE(slurp(dir / "e.log").find("truncated"), std::string::npos) << slurp(dir / "e.log");
  EXPECT_FALSE(fs::exists(out));
  // --force starts over.
  EXPECT_EQ(run({"run", file, "--out", out, "--quiet", "--force", "--set", "protocol.relax_s=0.2"}, dir / "f.log"), 0)
      << slurp(dir / "f.log");
  EXPECT_FALSE(fs::exists(dir / "out.checkpoint"));
  EXPECT_EQ(run({"run", file, "--out", out, "--quiet", "--checkpoint-every", "-1"}, dir / "g.log"), 2);
  // A checkpoint directory without its run.ckpt (a kill after the commit,
  // before it was removed) holds nothing to resume: the plain command and
  // --resume each refused it, pointing at the other.
  fs::create_directories(dir / "again.checkpoint");
  const std::string again = (dir / "again").string();
  EXPECT_EQ(run({"run", file, "--out", again, "--resume", "--quiet"}, dir / "h.log"), 2);
  EXPECT_NE(slurp(dir / "h.log").find("no checkpoint here"), std::string::npos) << slurp(dir / "h.log");
  fs::create_directories(dir / "again.checkpoint");
  EXPECT_EQ(run({"run", file, "--out", again, "--quiet", "--set", "protocol.relax_s=0.2"}, dir / "i.log"), 0)
      << slurp(dir / "i.log");
  EXPECT_FALSE(fs::exists(dir / "again.checkpoint"));
}

// Calibration: SIGINT while its runs are part-way saves each run's state;
// --resume finishes them and writes the same table.
const std::string calibration_file =
    ionrail_test::small_calibration_toml(50, 2, ionrail_test::sanitizer_sized(120, 30));

TEST(InterruptCalibration, StoppedMidRunThenResumeGivesTheSameTable) {
  const fs::path dir = scratch("calibrate");
  write(dir / "cal.toml", calibration_file);
  const std::string file = (dir / "cal.toml").string();
  ASSERT_EQ(run({"calibrate", file, "--out", (dir / "ref").string(), "--quiet"}, dir / "ref.log"), 0)
      << slurp(dir / "ref.log");
  // SIGINT: the runs part-way save their states; SIGKILL: the last periodic ones are used.
  for (int sig : {SIGINT, SIGKILL}) {
    SCOPED_TRACE(sig);
    const fs::path out = dir / ("t" + std::to_string(sig));
    fs::path checkpoint = out;
    checkpoint += ".checkpoint";
    const std::vector<std::string> args{"calibrate", file, "--out", out.string(), "--quiet", "--checkpoint-every", "0.05"};
    const pid_t pid = spawn(args, dir / "t.log");
    ASSERT_TRUE(wait_for_file(checkpoint / "run_0.state", pid));
    kill(pid, sig);
    ASSERT_EQ(wait_for(pid), 128 + sig) << slurp(dir / "t.log");
    if (sig == SIGINT) {
      EXPECT_NE(slurp(dir / "t.log").find("resume with: "), std::string::npos) << slurp(dir / "t.log");
    }
    EXPECT_FALSE(fs::exists(out));
    auto resume = args;
    resume.push_back("--resume");
    ASSERT_EQ(run(resume, dir / "resume.log"), 0) << slurp(dir / "resume.log");
    expect_same_outputs(dir / "ref", out);
  }
  expect_no_leftovers(dir);
}

}  // namespace

namespace {

// Commands without a checkpoint: a signal ends them with 128 + signal and
// removes their staged output and lock. crossbar (both learners) and snn
// stop their training at the next sample; the others (replay, demo) are
// cleaned by the CLI's signal clean-up (runs/signal_cleanup.hpp). Each case
// runs for tens of seconds uninterrupted (more under ASan), so the signal
// lands mid-way.
struct unstaged_case {
  const char* name;
  std::vector<std::string> args;
};

TEST(InterruptWithoutCheckpoint, SignalLeavesNothingBehind) {
  const std::string source = IONRAIL_SOURCE_DIR;
  const std::vector<unstaged_case> cases{
      {"crossbar", {"crossbar", source + "/experiments/crossbar_digits.toml", "--set", "crossbar.epochs=200"}},
      {"network",
       {"crossbar", source + "/experiments/crossbar_mnist.toml", "--set", "crossbar.hidden=[16]", "--set",
        "crossbar.epochs=50"}},
      {"snn", {"snn", source + "/experiments/snn_digits.toml", "--set", "snn.epochs=20"}},
      {"replay",
       {"replay", source + "/tables/polymer_thin", "--protocol", source + "/experiments/potentiation_depression.toml",
        "--compare-kmc", "--set", "protocol.n_pot=400", "--set", "protocol.n_dep=400"}},
      {"demo", {"demo"}}};
  for (const auto& c : cases)
    for (int sig : {SIGINT, SIGTERM}) {
      SCOPED_TRACE(std::string(c.name) + " " + std::to_string(sig));
      const fs::path dir = scratch(std::string("training_") + c.name + std::to_string(sig));
      const fs::path out = dir / "out";
      auto args = c.args;
      args.insert(args.end(), {"--out", out.string(), "--threads", "1"});
      const pid_t pid = spawn(args, dir / "t.log");
      // The staged directory exists: the signals are caught from before it.
      bool staged = false;
      for (int i = 0; i < 6000 && !staged; ++i) {
        for (const auto& e : fs::directory_iterator(dir))
          if (e.path().filename().string().rfind("out.partial-", 0) == 0) staged = true;
        if (!staged) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ASSERT_TRUE(staged) << slurp(dir / "t.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      kill(pid, sig);
      ASSERT_EQ(wait_for(pid), 128 + sig) << "finished before the signal: make it longer\n" << slurp(dir / "t.log");
      const std::string log = slurp(dir / "t.log");
      const std::string says = std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM");
      EXPECT_TRUE(log.find(says + "; nothing was written") != std::string::npos ||
                  log.find(says + "; its unfinished output is removed (" + dir.string()) != std::string::npos)
          << log;
      EXPECT_EQ(log.find("error"), std::string::npos) << log;
      EXPECT_EQ(log.find("resume with"), std::string::npos) << log;
      for (const auto& e : fs::directory_iterator(dir))
        EXPECT_EQ(e.path().filename().string(), "t.log") << "left behind: " << e.path();
    }
}

}  // namespace

namespace {

// A signal after the engines, while the outputs are written and drawn, ends
// the command (exit 130, no DIR): it was swallowed (the command wrote DIR
// and exited 0), by the checkpoints' handler, which no engine looked at any
// more, and by std::system, which ignores SIGINT while gnuplot draws.
TEST(InterruptWithoutCheckpoint, SignalWhileTheOutputIsWrittenIsNotSwallowed) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const fs::path dir = scratch("late_signal");
  std::string text = run_file;
  text.replace(text.find("plots = false"), 13, "plots = true");
  write(dir / "run.toml", text);
  const pid_t pid = spawn({"run", (dir / "run.toml").string(), "--out", (dir / "out").string(), "--quiet"}, dir / "r.log");
  // plots.gp is written just before gnuplot starts drawing.
  bool drawing = false;
  for (int i = 0; i < 30000 && !drawing; ++i) {
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind("out.partial-", 0) == 0 && fs::exists(e.path() / "plots.gp")) drawing = true;
    if (!drawing) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(drawing) << slurp(dir / "r.log");
  kill(pid, SIGINT);
  EXPECT_EQ(wait_for(pid), 128 + SIGINT) << slurp(dir / "r.log");
  EXPECT_FALSE(fs::exists(dir / "out"));
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".partial-"), std::string::npos) << "left behind: " << e.path();
    EXPECT_EQ(name.find(".lock"), std::string::npos) << "left behind: " << e.path();
  }
}

// A sweep stopped by a signal keeps its finished points and nothing
// unfinished (no pNNNNN.partial-PID, no lock), and a relaunch goes on.
TEST(InterruptWithoutCheckpoint, SweepKeepsFinishedPointsOnly) {
  const std::string source = IONRAIL_SOURCE_DIR;
  const fs::path dir = scratch("sweep");
  const fs::path out = dir / "out";
  const std::vector<std::string> args{"sweep", source + "/experiments/arrhenius_sweep.toml", "--out", out.string(),
                                      "--jobs", "2", "--quiet", "--set", "device.rails=20000"};
  const pid_t pid = spawn(args, dir / "s.log");
  ASSERT_TRUE(wait_for_file(out / "points" / "p00000.fingerprint", pid, 120)) << slurp(dir / "s.log");
  kill(pid, SIGINT);
  ASSERT_EQ(wait_for(pid), 128 + SIGINT) << "finished before the signal: make it longer\n" << slurp(dir / "s.log");
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".partial-"), std::string::npos) << "left behind: " << e.path();
    EXPECT_EQ(name.find(".lock"), std::string::npos) << "left behind: " << e.path();
  }
  ASSERT_EQ(wait_for(spawn(args, dir / "relaunch.log")), 0) << slurp(dir / "relaunch.log");
  EXPECT_TRUE(fs::exists(out / "points.csv"));
}

}  // namespace
