// Reliability, second pass, for `ionrail calibrate` and `ionrail replay`
// (docs/reliability.md, classes 5, 6 and 9): a calibration that would never
// end, would not fit in memory or whose keys cannot work together is refused
// with exit 2 and one message naming the keys before anything is simulated,
// and a refusal leaves nothing of the command behind (no DIR, no
// DIR.checkpoint, no DIR.partial-PID, no DIR.lock). Every case runs `ionrail`
// as a child process.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "calibration_fixture.hpp"
#include "cli_run.hpp"
#include "scratch.hpp"
#include "spawn.hpp"

namespace fs = std::filesystem;

namespace {

using ionrail_test::scratch;

ionrail_test::cli_result run(const std::string& args, const std::string& env = "") {
  return ionrail_test::run_command(env + (env.empty() ? "" : " ") + IONRAIL_CLI + " " + args);
}

// Exit 2 (not a signal, not 1) and every fragment in the output.
void expect_refused(const ionrail_test::cli_result& r, std::initializer_list<std::string> fragments) {
  EXPECT_EQ(r.code, 2) << r.output;
  for (const auto& f : fragments) EXPECT_NE(r.output.find(f), std::string::npos) << "lacks '" << f << "':\n" << r.output;
}

// The names in the scratch directory that start with `out` (DIR, DIR.checkpoint,
// DIR.partial-PID, DIR.lock, ...).
std::vector<std::string> left_behind(const scratch& s, const std::string& out = "out") {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(s.dir()))
    if (e.path().filename().string().rfind(out, 0) == 0) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A thin, fast material: 4 devices of 20 rails of 6 ions.
const std::string small_calibration = ionrail_test::small_calibration_toml(20, 1, 4);

std::string calibrate(const scratch& s, const std::string& extra = "", const std::string& out = "out") {
  return "calibrate " + s.write("c.toml", small_calibration) + " --quiet --out " + s.path(out) + " " + extra;
}

// Class 5: the work of every ensemble the calibration simulates, summed,
// against --max-work, before DIR.checkpoint is made.
TEST(CalibrationLimits, WorkBeyondMaxWorkIsRefused) {
  scratch s;
  expect_refused(run(calibrate(s, "--max-work 1000")),
                 {"c.toml", "hop attempts, beyond the limit of 1e+03", "--max-work"});
  EXPECT_TRUE(left_behind(s).empty());
  // Too many protocol seconds to build every run's drive first: each run is
  // bounded by ±v_max held throughout, and the message says so.
  expect_refused(run(calibrate(s, "--max-work 1e11 --set calibration.runs=1000 --set calibration.duration_s=1000")),
                 {"c.toml: calibration.runs = 1000 runs", "(each run bounded by calibration.v_max_v = 2 V held for "
                  "calibration.duration_s = 1000 s", "beyond the limit of 1e+11"});
  EXPECT_TRUE(left_behind(s).empty());
}

TEST(CalibrationLimits, AbsurdStepIsRefusedForItsWork) {
  scratch s;
  expect_refused(run(calibrate(s, "--set sim.dt_s=1e-300")),
                 {"c.toml (calibration run 0): this run would take about", "sim.dt_s = 1e-300"});
  EXPECT_TRUE(left_behind(s).empty());
}

// The estimate is not absurdly high: the same calibration runs to its table
// under a limit of 10^11 attempts, and is refused under 10^5.
TEST(CalibrationLimits, RaisingMaxWorkLetsItRun) {
  scratch s;
  expect_refused(run(calibrate(s, "--max-work 1e5")), {"beyond the limit of 1e+05"});
  const auto r = run(calibrate(s, "--max-work 1e11"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(s.path("out") + "/table.csv"));
  EXPECT_FALSE(fs::exists(s.path("out.checkpoint")));
  // The fidelity on unseen protocols is judged, in table.json and, when the
  // bar is missed (as for a calibration this small), aloud even with --quiet.
  std::string json = ionrail_test::slurp(s.path("out") + "/table.json");
  json.erase(std::remove(json.begin(), json.end(), ' '), json.end());
  const bool meets = json.find("\"meets_bar\":true") != std::string::npos;
  EXPECT_TRUE(meets || json.find("\"meets_bar\":false") != std::string::npos) << json.substr(0, 3000);
  EXPECT_NE(json.find("\"nrmse_max\":0.05"), std::string::npos);
  EXPECT_EQ(r.output.find("misses the fidelity bar") != std::string::npos, !meets) << r.output;
}

// Class 5: keys that cannot work together, refused at load with both named.
TEST(CalibrationLimits, NoiseLagLongerThanARunIsRefused) {
  scratch s;
  expect_refused(run(calibrate(s, "--set calibration.noise_lag_s=10")),
                 {"c.toml: calibration.noise_lag_s = 10 s is longer than calibration.duration_s = 4 s"});
  EXPECT_TRUE(left_behind(s).empty());
}

TEST(CalibrationLimits, OtherInconsistentKeysAreRefused) {
  scratch s;
  expect_refused(run(calibrate(s, "--set calibration.noise_lag_s=0.01")),
                 {"calibration.noise_lag_s = 0.01 s is shorter than calibration.dt_m_s = 0.05 s"});
  expect_refused(run(calibrate(s, "--set calibration.noise_lag_s=0.12")),
                 {"calibration.noise_lag_s = 0.12 s is not a whole number of calibration.dt_m_s = 0.05 s steps"});
  expect_refused(run(calibrate(s, "--set calibration.dt_m_s=5")),
                 {"calibration.dt_m_s = 5 s is longer than calibration.duration_s = 4 s"});
  // 2^32 + 100 steps per run once wrapped to 100 in an int and ran on.
  expect_refused(run(calibrate(s, "--set calibration.duration_s=20 --set calibration.dt_m_s=4.656612766e-09 --set calibration.noise_lag_s=4.656612766e-09")),
                 {"model steps per run: expected at most 2147483647"});
  expect_refused(run(calibrate(s, "--set calibration.v_step_v=4")),
                 {"calibration.v_step_v = 4 V is wider than calibration.v_max_v = 2 V"});
  expect_refused(run(calibrate(s, "--set calibration.duration_s=0.05 --set calibration.noise_lag_s=0.05 --set "
                                  "calibration.devices=2")),
                 {"calibration.runs x calibration.duration_s / calibration.dt_m_s x calibration.devices = 1 x 1 x 2"});
  EXPECT_TRUE(left_behind(s).empty());
}

// Class 6: the calibration grid (2^state_bits x voltage bins, per run) is in
// the memory estimate; IONRAIL_MEMORY_LIMIT_MB makes the test deterministic.
TEST(CalibrationLimits, GridBeyondMemoryIsRefused) {
  scratch s;
  const std::string fine = "--set calibration.state_bits=12 --set calibration.v_step_v=0.00048828125";
  expect_refused(run(calibrate(s, fine), "IONRAIL_MEMORY_LIMIT_MB=512"),
                 {"c.toml: ", "2^calibration.state_bits = 2^12 states x 8193 voltages", "calibration.v_step_v = 0.00048828125",
                  "more than the 0.5 GiB this machine has available (IONRAIL_MEMORY_LIMIT_MB)"});
  EXPECT_TRUE(left_behind(s).empty());
  // The default grid fits: the same calibration passes the memory check and
  // is refused by the work limit, checked after it.
  const auto r = run(calibrate(s, "--max-work 1"), "IONRAIL_MEMORY_LIMIT_MB=512");
  expect_refused(r, {"beyond the limit of 1"});
  EXPECT_EQ(r.output.find("GiB"), std::string::npos) << r.output;
}

// Class 9: a calibration whose runs gave no usable bin (found only after
// simulating) is refused and leaves neither DIR nor DIR.checkpoint.
TEST(CalibrationLimits, NoUsableBinLeavesNothingBehind) {
  scratch s;
  // One step of 5 devices on a grid of 4097 states: 5 transitions, each in
  // its device's own bin.
  expect_refused(run(calibrate(s, "--set calibration.duration_s=0.05 --set calibration.noise_lag_s=0.05 --set "
                                  "calibration.devices=5 --set calibration.state_bits=12")),
                 {"c.toml: calibration: no (state, V) bin received the 5 transitions a table entry needs",
                  "calibration.runs"});
  EXPECT_TRUE(left_behind(s).empty()) << left_behind(s).front();
}

// A checkpoint of three runs, taken by SIGKILL while run 1 is part-way: run_0.bins
// and run_1.state (the calibration runs its runs in order on one thread).
void interrupted_checkpoint(const scratch& s, const std::string& out) {
  std::string text = small_calibration;
  text.replace(text.find("runs = 1"), 8, "runs = 3");
  text.replace(text.find("duration_s = 4"), 14, "duration_s = 60");
  const std::string file = s.write(out + ".toml", text);
  const fs::path checkpoint = s.path(out + ".checkpoint");
  ::setenv("OMP_NUM_THREADS", "1", 1);  // runs in order (as under ctest), whoever runs the test
  const pid_t pid = ionrail_test::spawn({"calibrate", file, "--quiet", "--out", s.path(out), "--checkpoint-every", "0.02"},
                                        s.path(out + ".log"));
  for (int k = 0; k < 60000 && !fs::exists(checkpoint / "run_1.state"); ++k) ::usleep(1000);
  ::kill(pid, SIGKILL);
  ASSERT_EQ(ionrail_test::wait_for(pid), 128 + SIGKILL) << ionrail_test::slurp(s.path(out + ".log"));
  ASSERT_TRUE(fs::exists(checkpoint / "run_0.bins"));
  ASSERT_TRUE(fs::exists(checkpoint / "run_1.state"));
}

void flip_a_byte(const fs::path& file) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  const auto middle = static_cast<std::streamoff>(fs::file_size(file) / 2);
  f.seekg(middle);
  char c = 0;
  f.get(c);
  f.seekp(middle);
  f.put(static_cast<char>(c ^ 0x01));
}

std::map<std::string, fs::file_time_type> files_in(const fs::path& dir) {
  std::map<std::string, fs::file_time_type> files;
  for (const auto& e : fs::directory_iterator(dir)) files[e.path().filename().string()] = e.last_write_time();
  return files;
}

// Class 9: a damaged checkpoint file is refused on --resume before any run
// is simulated: here run 0 has to be simulated again (its bins deleted) and
// the damaged file is a later run's, so a refusal that came when its run came
// up would have left run_0.state or run_0.bins behind.
TEST(CalibrationLimits, DamagedRunStateIsRefusedBeforeSimulating) {
  scratch s;
  interrupted_checkpoint(s, "out");
  const fs::path checkpoint = s.path("out.checkpoint");
  fs::remove(checkpoint / "run_0.bins");
  flip_a_byte(checkpoint / "run_1.state");
  const auto before = files_in(checkpoint);
  expect_refused(run("calibrate " + s.path("out.toml") + " --quiet --out " + s.path("out") + " --resume"),
                 {(checkpoint / "run_1.state").string() + ": checksum", "the checkpoint is corrupted",
                  "delete it to simulate calibration run 1 again"});
  EXPECT_EQ(files_in(checkpoint), before);  // nothing simulated, nothing written
  // The checkpoint the user asked to resume is kept; nothing else is left.
  EXPECT_EQ(left_behind(s, "out."), (std::vector<std::string>{"out.checkpoint", "out.log", "out.toml"}));
  EXPECT_FALSE(fs::exists(s.path("out")));
}

TEST(CalibrationLimits, DamagedRunBinsAreRefusedBeforeSimulating) {
  scratch s;
  interrupted_checkpoint(s, "out");
  const fs::path checkpoint = s.path("out.checkpoint");
  // Runs 0 and 1 to simulate, run 2's bins (run 0's, renamed: the same grid) damaged.
  fs::remove(checkpoint / "run_1.state");
  fs::rename(checkpoint / "run_0.bins", checkpoint / "run_2.bins");
  flip_a_byte(checkpoint / "run_2.bins");
  const auto before = files_in(checkpoint);
  expect_refused(run("calibrate " + s.path("out.toml") + " --quiet --out " + s.path("out") + " --resume"),
                 {(checkpoint / "run_2.bins").string() + ": checksum", "the checkpoint is corrupted"});
  EXPECT_EQ(files_in(checkpoint), before);
  EXPECT_FALSE(fs::exists(s.path("out")));
}

// replay --compare-kmc: its KMC ensemble over the protocol against --max-work.
TEST(CalibrationLimits, ReplayCompareKmcWorkIsRefused) {
  scratch s;
  const std::string source = IONRAIL_SOURCE_DIR;
  const std::string protocol = s.write("p.toml", small_calibration + "[protocol]\npulse_s = 2\nrelax_s = 3\n");
  expect_refused(run("replay " + source + "/tables/polymer --protocol " + protocol + " --compare-kmc --quiet --max-work 1000 --out " +
                     s.path("out")),
                 {"p.toml: --compare-kmc on calibration.devices x device_rails", "beyond the limit of 1e+03"});
  EXPECT_TRUE(left_behind(s).empty());
}

// Without --compare-kmc, replay runs only the compact model, but its steps
// and its trace still grow with the protocol: both are checked first.
TEST(CalibrationLimits, ReplayModelWorkAndTraceAreChecked) {
  scratch s;
  const std::string source = IONRAIL_SOURCE_DIR;
  const std::string table = source + "/tables/polymer";
  const std::string shortp = s.write("short.toml", small_calibration + "[protocol]\npulse_s = 2\nrelax_s = 3\n");
  expect_refused(run("replay " + table + " --protocol " + shortp + " --quiet --max-work 10 --out " + s.path("out")),
                 {"short.toml: replaying calibration.devices =", "device steps, beyond the limit of 10"});
  const std::string longp = s.write("long.toml", small_calibration + "[protocol]\npulse_s = 2\nrelax_s = 1e11\nsample_every_s = 1e4\n");
  expect_refused(run("replay " + table + " --protocol " + longp + " --quiet --out " + s.path("out")),
                 {"long.toml: a replay trace of", "model steps", "needs about"});
  EXPECT_TRUE(left_behind(s).empty());
  // Within both, it runs.
  const auto ok = run("replay " + table + " --protocol " + shortp + " --quiet --out " + s.path("out"));
  EXPECT_EQ(ok.code, 0) << ok.output;
}

}  // namespace
