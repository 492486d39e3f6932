// Sweeps refused before they start (docs/reliability.md, issue "Reliability,
// second pass", classes 5 and 9, and the readers of user files): every point
// is checked, and the work of all points together, before any point runs; a
// refused sweep exits with 2, names the point and leaves nothing behind; a
// re-launch clears what killed points left (points/pNNNNN.partial-PID) but
// never what a live process owns; a FIFO where a file is read (a finished
// point's summary.json or fingerprint, sweep.points_csv, a waveform named by
// protocol.waveform_csv) is refused at once, naming the key or the file,
// instead of hanging the command. Every case runs `ionrail` as a child
// process, with a time limit where a hang is what is tested.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <ionrail/runs/runner.hpp>
#include <ionrail/app/sweep.hpp>

#include "cli_run.hpp"
#include "scratch.hpp"
#include "spawn.hpp"

namespace {

namespace fs = std::filesystem;
using ionrail_test::scratch;

bool has(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

// A relaxation run small enough for a unit test (10 rails, 3 s).
const std::string tiny_run = R"([device]
thickness_nm = 20
sites = 20
rails = 10
zones = 4
[protocol]
kind = "relax"
voltage_v = 0.3
pulse_s = 1
relax_s = 2
sample_every_s = 0.5
[sim]
seed = 3
[output]
plots = false
)";

std::string axis(const std::string& key, const std::string& values) {
  return "[sweep]\n[[sweep.axis]]\nkey = \"" + key + "\"\nvalues = [" + values + "]\n";
}

struct outcome {
  int code = 0;  // exit code, 128 + signal if killed, -1 if it had to be killed for running past the limit
  std::string output;
};

// `ionrail ARGS`, killed (code -1) if it runs past `limit_s`: a command
// that waits on a FIFO fails the test instead of hanging it.
outcome cli(const scratch& s, const std::vector<std::string>& args, double limit_s = 60) {
  const fs::path log = s.dir() / "cli.log";
  const pid_t pid = ionrail_test::spawn(args, log);
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_s);
  int status = 0;
  outcome r;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.code = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.output = ionrail_test::slurp(log);
  return r;
}

// Whether this build has MPI and this machine mpirun.
bool mpi_available() {
#if IONRAIL_HAVE_MPI
  return std::system("command -v mpirun >/dev/null 2>&1") == 0;
#else
  return false;
#endif
}

// The same under `mpirun -np 2 ... --mpi`, or false if !mpi_available().
bool mpi_cli(const std::vector<std::string>& args, outcome& r) {
#if IONRAIL_HAVE_MPI
  if (!mpi_available()) return false;
  // Under the asan preset Open MPI's own allocations are suppressed by name,
  // as for the sweep_mpi_ranks test (tests/sweep/lsan_mpi.supp); ionrail's
  // are still checked. Harmless in other builds.
  std::string command = std::string("OMPI_MCA_mca_base_component_disable_dlclose=1 LSAN_OPTIONS=suppressions=") +
                        IONRAIL_SOURCE_DIR + "/tests/sweep/lsan_mpi.supp:fast_unwind_on_malloc=0:print_suppressions=0 " +
                        "timeout 120 mpirun --allow-run-as-root --oversubscribe -np 2 " + std::string(IONRAIL_CLI);
  for (const auto& a : args) command += " '" + a + "'";
  const auto c = ionrail_test::run_command(command + " --mpi");
  r.code = c.code;
  r.output = c.output;
  return true;
#else
  (void)args;
  (void)r;
  return false;
#endif
}

// Whatever a command made in the scratch directory under the name of DIR
// (DIR, DIR.lock, DIR.partial-PID, DIR.checkpoint...).
std::vector<std::string> left_behind(const scratch& s, const std::string& dir_name) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(s.dir())) {
    const std::string name = e.path().filename().string();
    if (name.compare(0, dir_name.size(), dir_name) == 0) out.push_back(name);
  }
  return out;
}

// A pid that was a process of ours and has ended (reaped): nobody's now.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

// ---------------------------------------------------------------- class 9: every point before any

TEST(SweepRefusals, InvalidPointIsRefusedBeforeAnyPointRuns) {
  scratch s;
  // Point 0 is valid and would run first; point 1 is not.
  const std::string rails = s.write("rails.toml", tiny_run + axis("device.rails", "10, -5"));
  const std::string cold = s.write("cold.toml", tiny_run + axis("device.temperature_k", "300, 1e9"));
  for (const std::string jobs : {"1", "2"}) {
    auto r = cli(s, {"sweep", rails, "--quiet", "--jobs", jobs, "--out", s.path("out")});
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(has(r.output, "rails.toml: point 1 of 2 (device.rails = -5): ")) << r.output;
    EXPECT_TRUE(has(r.output, "device.rails = -5: must be >= 1")) << r.output;
    EXPECT_FALSE(has(r.output, "--set")) << "the axis value is not the user's --set:\n" << r.output;
    EXPECT_EQ(left_behind(s, "out"), std::vector<std::string>{}) << "point 0 ran before point 1 was refused";
    r = cli(s, {"sweep", cold, "--quiet", "--jobs", jobs, "--out", s.path("out")});
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(has(r.output, "cold.toml: point 1 of 2 (device.temperature_k = 1000000000): ")) << r.output;
    EXPECT_TRUE(has(r.output, "device.temperature_k")) << r.output;
    EXPECT_EQ(left_behind(s, "out"), std::vector<std::string>{});
  }
  outcome r;
  if (mpi_cli({"sweep", rails, "--quiet", "--out", s.path("out")}, r)) {
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(has(r.output, "rails.toml: point 1 of 2 (device.rails = -5): ")) << r.output;
    EXPECT_EQ(left_behind(s, "out"), std::vector<std::string>{}) << "a rank ran point 0 before point 1 was refused";
  }
}

TEST(SweepRefusals, RefusedRelaunchWithForceKeepsTheOldSweep) {
  // --force removes DIR only once every point has passed: a refused sweep
  // destroys nothing either.
  scratch s;
  const std::string good = s.write("good.toml", tiny_run + axis("device.temperature_k", "280, 300"));
  auto r = cli(s, {"sweep", good, "--quiet", "--out", s.path("out")});
  ASSERT_EQ(r.code, 0) << r.output;
  s.write("good.toml", tiny_run + axis("device.temperature_k", "280, -3"));
  r = cli(s, {"sweep", good, "--quiet", "--force", "--out", s.path("out")});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "point 1 of 2 (device.temperature_k = -3)")) << r.output;
  EXPECT_TRUE(fs::exists(s.dir() / "out" / "points" / "p00001" / "summary.json"));
  EXPECT_TRUE(fs::exists(s.dir() / "out" / "points.csv"));
}

// A sweep goes on in its own DIR only: a directory of the user's (their
// summary.json, notes) was written into and its files replaced, where run,
// replay and export refuse an existing DIR. An earlier sweep's DIR and an
// empty one go on.
TEST(SweepRefusals, ExistingDirectoryThatIsNotASweepsIsRefused) {
  scratch s;
  const std::string file = s.write("sweep.toml", tiny_run + axis("device.temperature_k", "280, 300"));
  fs::create_directories(s.dir() / "mine");
  const std::string notes = s.write("mine/summary.json", "my notes\n");
  s.write("mine/plots.gp", "my script\n");
  auto r = cli(s, {"sweep", file, "--quiet", "--out", s.path("mine")});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "is not a sweep's output directory (no points/ directory)")) << r.output;
  EXPECT_EQ(ionrail_test::slurp(notes), "my notes\n");
  EXPECT_FALSE(fs::exists(s.dir() / "mine" / "points"));
  s.write("mine/points/p00000.fingerprint", "x\n");
  s.write("mine/notes.txt", "mine\n");
  r = cli(s, {"sweep", file, "--quiet", "--out", s.path("mine")});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "is not a sweep's output directory (it holds notes.txt)")) << r.output;
  EXPECT_EQ(ionrail_test::slurp(notes), "my notes\n");
  fs::create_directories(s.dir() / "empty");
  r = cli(s, {"sweep", file, "--quiet", "--out", s.path("empty")});
  ASSERT_EQ(r.code, 0) << r.output;
  // What a signal or a kill leaves while files are written (NAME.tmp-PID)
  // is cleared by the relaunch, not taken for a file of the user's.
  s.write("empty/points.csv.tmp-4242", "half");
  s.write("empty/points/p00000.fingerprint.tmp-999999999", "half");
  r = cli(s, {"sweep", file, "--quiet", "--out", s.path("empty")});  // the relaunch of a finished sweep
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(s.dir() / "empty" / "points.csv.tmp-4242"));
  EXPECT_FALSE(fs::exists(s.dir() / "empty" / "points" / "p00000.fingerprint.tmp-999999999"));
}

// ---------------------------------------------------------------- class 5: the sweep's work

TEST(SweepRefusals, WorkOfAllPointsTogetherIsRefusedNamingTheLargest) {
  scratch s;
  const std::string file = s.write("work.toml", tiny_run + axis("device.rails", "10, 12, 100"));
  // Each point's estimate as `ionrail run` makes it; a limit above the
  // largest point but below their sum.
  const ionrail::app::sweep_plan plan = ionrail::app::load_sweep(file);
  std::vector<double> work;
  for (const auto& p : plan.points) {
    ionrail::runs::run_options ro;
    ro.overrides = {"device.rails=" + std::to_string(static_cast<int>(p.values[0]))};
    work.push_back(ionrail::runs::plan_experiment(file, ro).work);
  }
  const double largest = *std::max_element(work.begin(), work.end());
  double total = 0;
  for (double w : work) total += w;
  ASSERT_EQ(largest, work[2]);
  const double limit = largest + 0.5 * (total - largest);
  const std::string limit_text = std::to_string(static_cast<long long>(limit));
  auto r = cli(s, {"sweep", file, "--quiet", "--max-work", limit_text, "--out", s.path("out")});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "work.toml: its 3 points would take about")) << r.output;
  EXPECT_TRUE(has(r.output, "hop attempts together, beyond the limit")) << r.output;
  EXPECT_TRUE(has(r.output, "the largest is point 2 (device.rails = 100)")) << r.output;
  EXPECT_TRUE(has(r.output, "--max-work")) << r.output;
  EXPECT_EQ(left_behind(s, "out"), std::vector<std::string>{});
  // Just above the sum the same sweep runs.
  r = cli(s, {"sweep", file, "--quiet", "--max-work", std::to_string(static_cast<long long>(total * 1.01) + 1),
              "--out", s.path("out")});
  EXPECT_EQ(r.code, 0) << r.output;
  outcome m;
  if (mpi_cli({"sweep", file, "--quiet", "--max-work", limit_text, "--out", s.path("mpi")}, m)) {
    EXPECT_EQ(m.code, 2) << m.output;
    EXPECT_TRUE(has(m.output, "the largest is point 2 (device.rails = 100)")) << m.output;
    EXPECT_EQ(left_behind(s, "mpi"), std::vector<std::string>{});
  }
}

TEST(SweepRefusals, PointWithAbsurdStepIsRefusedBeforeAnyPointRuns) {
  scratch s;
  const std::string file = s.write("dt.toml", tiny_run + axis("sim.dt_s", "0.001, 1e-30"));
  const auto r = cli(s, {"sweep", file, "--quiet", "--out", s.path("out")});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "dt.toml: point 1 of 2 (sim.dt_s = 1e-30): this run would take about")) << r.output;
  EXPECT_TRUE(has(r.output, "sim.dt_s")) << r.output;
  EXPECT_EQ(left_behind(s, "out"), std::vector<std::string>{});
}

// Class 6: --jobs N points run side by side, so N of them must fit in memory
// together, not each alone. Each point here is mostly its trace (3 s sampled
// every 0.1 ms: 30,000 rows), cheap to run but several MB to hold.
TEST(SweepRefusals, PointsRunSideBySideMustFitTogether) {
  scratch s;
  std::string run = tiny_run;
  run.replace(run.find("sample_every_s = 0.5"), 20, "sample_every_s = 1e-4");
  const std::string file = s.write("mem.toml", run + axis("device.temperature_k", "300, 310"));
  ionrail::runs::run_options ro;
  ro.overrides = {"device.temperature_k=300"};
  const double point_bytes = ionrail::runs::plan_experiment(file, ro).memory_bytes;
  ASSERT_GT(point_bytes, 4e6);
  // Room for one point and a half.
  const std::string limit_mb = std::to_string(static_cast<long long>(1.5 * point_bytes / (1024.0 * 1024.0)) + 1);
  ::setenv("IONRAIL_MEMORY_LIMIT_MB", limit_mb.c_str(), 1);
  auto r = cli(s, {"sweep", file, "--quiet", "--jobs", "2", "--out", s.path("out")});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "mem.toml: --jobs 2: the 2 largest points side by side: needs about")) << r.output;
  EXPECT_EQ(left_behind(s, "out"), std::vector<std::string>{});
  // One at a time they fit.
  r = cli(s, {"sweep", file, "--quiet", "--jobs", "1", "--out", s.path("out")});
  ::unsetenv("IONRAIL_MEMORY_LIMIT_MB");
  EXPECT_EQ(r.code, 0) << r.output;
}

// Class 4: the sweep file is parsed by the sweep itself (its [sweep]
// section), under the same bounds as every TOML text.
TEST(SweepRefusals, DeepSweepFileIsRefusedBeforeParsing) {
  scratch s;
  std::string deep = "[sweep]\n[[sweep.axis]]\nkey = \"device.rails\"\nvalues = [10]\nx = ";
  for (int k = 0; k < 40000; ++k) deep += "[";
  const std::string file = s.write("deep.toml", tiny_run + deep + "\n");
  const auto r = cli(s, {"sweep", file, "--quiet", "--out", s.path("out")});
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "deep.toml:")) << r.output;
  EXPECT_TRUE(has(r.output, "at most 64")) << r.output;
  EXPECT_EQ(left_behind(s, "out"), std::vector<std::string>{});
}

// ---------------------------------------------------------------- class 9: leftovers of killed points

TEST(SweepRefusals, StalePartialsAreRemovedOnRelaunchLiveOnesKept) {
  scratch s;
  const std::string file = s.write("sweep.toml", tiny_run + axis("device.temperature_k", "280, 300"));
  auto relaunch_keeps_only_live = [&](const std::vector<std::string>& args, outcome (*run)(const scratch&, const std::vector<std::string>&)) {
    const fs::path points = s.dir() / "out" / "points";
    // What killed runs leave: a dead pid's staging directories (of a point
    // that was finished meanwhile, so it never runs again)...
    const pid_t dead = dead_pid();
    for (const std::string name : {"p00000.partial-", "p00001.replaced-", "p00007.partial-"}) {
      fs::create_directories(points / (name + std::to_string(dead)));
      s.write("out/points/" + name + std::to_string(dead) + "/trace.csv", "t_s\n");
    }
    // ...and what is not stale: a live process's (another command's, as far
    // as this sweep can tell), and a dead pid's under a point some command
    // holds the lock of (it may be a rank on another host).
    const fs::path locked_partial = points / ("p00003.partial-" + std::to_string(dead));
    fs::create_directories(locked_partial);
    s.write("out/points/p00003.lock", std::to_string(::getpid()) + "\n");
    const int lock_fd = ::open((points / "p00003.lock").c_str(), O_RDWR);
    ASSERT_GE(lock_fd, 0);
    ASSERT_EQ(::flock(lock_fd, LOCK_EX | LOCK_NB), 0);
    // (A live pid: a child that sleeps, killed at the end.)
    int ignored = 0;
    pid_t sleeper = 0;
    {
      std::vector<char*> argv{const_cast<char*>("sleep"), const_cast<char*>("60"), nullptr};
      sleeper = ::fork();
      if (sleeper == 0) {
        ::execvp("sleep", argv.data());
        ::_exit(127);
      }
    }
    const fs::path live_partial = points / ("p00001.partial-" + std::to_string(sleeper));
    fs::create_directories(live_partial);

    const outcome r = run(s, args);
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_FALSE(fs::exists(points / ("p00000.partial-" + std::to_string(dead)))) << r.output;
    EXPECT_FALSE(fs::exists(points / ("p00001.replaced-" + std::to_string(dead))));
    EXPECT_FALSE(fs::exists(points / ("p00007.partial-" + std::to_string(dead)))) << "a point beyond the plan";
    EXPECT_TRUE(fs::exists(live_partial)) << "a live process's directory was removed";
    EXPECT_TRUE(fs::exists(locked_partial)) << "a locked point's directory was removed";
    EXPECT_TRUE(fs::exists(points / "p00000" / "summary.json"));

    ::close(lock_fd);
    fs::remove(points / "p00003.lock");
    ::kill(sleeper, SIGKILL);
    ::waitpid(sleeper, &ignored, 0);
    fs::remove_all(live_partial);
    fs::remove_all(locked_partial);
  };
  auto r = cli(s, {"sweep", file, "--quiet", "--out", s.path("out")});
  ASSERT_EQ(r.code, 0) << r.output;
  relaunch_keeps_only_live({"sweep", file, "--quiet", "--jobs", "2", "--out", s.path("out")},
                           [](const scratch& sc, const std::vector<std::string>& a) { return cli(sc, a); });
  if (mpi_available())
    relaunch_keeps_only_live({"sweep", file, "--quiet", "--out", s.path("out")},
                             [](const scratch&, const std::vector<std::string>& a) {
                               outcome m;
                               mpi_cli(a, m);
                               return m;
                             });
}

// ---------------------------------------------------------------- FIFOs where a file is read

TEST(SweepRefusals, FifoAsAFinishedPointsFilesIsRefusedNotWaitedOn) {
  scratch s;
  const std::string file = s.write("sweep.toml", tiny_run + axis("device.temperature_k", "280, 300"));
  auto r = cli(s, {"sweep", file, "--quiet", "--out", s.path("out")});
  ASSERT_EQ(r.code, 0) << r.output;
  const fs::path points = s.dir() / "out" / "points";
  for (const fs::path& f : {points / "p00000" / "summary.json", points / "p00001.fingerprint"}) {
    const fs::path saved = f.string() + ".saved";
    fs::rename(f, saved);
    ASSERT_EQ(::mkfifo(f.c_str(), 0600), 0) << f;
    r = cli(s, {"sweep", file, "--quiet", "--out", s.path("out")}, 20);
    EXPECT_EQ(r.code, 2) << f << " (-1: it hung)\n" << r.output;
    EXPECT_TRUE(has(r.output, f.string() + ": cannot open")) << r.output;
    EXPECT_TRUE(has(r.output, "(a FIFO, not a regular file)")) << r.output;
    fs::remove(f);
    fs::rename(saved, f);
  }
  // And the sweep's own inputs: a points_csv, the sweep file.
  s.write("points.toml", tiny_run + "[sweep]\npoints_csv = \"points_in.csv\"\n");
  ASSERT_EQ(::mkfifo(s.path("points_in.csv").c_str(), 0600), 0);
  r = cli(s, {"sweep", s.path("points.toml"), "--quiet", "--out", s.path("csv")}, 20);
  EXPECT_EQ(r.code, 2) << "(-1: it hung)\n" << r.output;
  EXPECT_TRUE(has(r.output, "sweep.points_csv: cannot open '" + s.path("points_in.csv") + "' (a FIFO, not a regular file)"))
      << r.output;
  ASSERT_EQ(::mkfifo(s.path("fifo.toml").c_str(), 0600), 0);
  r = cli(s, {"sweep", s.path("fifo.toml"), "--quiet", "--out", s.path("csv")}, 20);
  EXPECT_EQ(r.code, 2) << "(-1: it hung)\n" << r.output;
  EXPECT_TRUE(has(r.output, s.path("fifo.toml") + ": cannot open sweep file (a FIFO, not a regular file)")) << r.output;
  EXPECT_EQ(left_behind(s, "csv"), std::vector<std::string>{});
}

TEST(SweepRefusals, FifoOrDirectoryAsAWaveformNamesTheKey) {
  scratch s;
  const std::string waveform = "[device]\nthickness_nm = 20\nsites = 20\nrails = 10\nzones = 4\n"
                               "[protocol]\nkind = \"waveform\"\nwaveform_csv = \"w.csv\"\nsample_every_s = 0.5\n"
                               "[output]\nplots = false\n";
  const std::string run = s.write("run.toml", waveform);
  const std::string sweep = s.write("sweep.toml", waveform + axis("device.temperature_k", "280, 300"));
  ASSERT_EQ(::mkfifo(s.path("w.csv").c_str(), 0600), 0);
  auto r = cli(s, {"run", run, "--quiet", "--out", s.path("out")}, 20);
  EXPECT_EQ(r.code, 2) << "(-1: it hung)\n" << r.output;
  EXPECT_TRUE(has(r.output, "run.toml:8: protocol.waveform_csv = \"w.csv\": cannot open '" + s.path("w.csv") +
                                "' (a FIFO, not a regular file)"))
      << r.output;
  r = cli(s, {"sweep", sweep, "--quiet", "--out", s.path("out")}, 20);
  EXPECT_EQ(r.code, 2) << "(-1: it hung)\n" << r.output;
  EXPECT_TRUE(has(r.output, "protocol.waveform_csv = \"w.csv\": cannot open '" + s.path("w.csv") +
                                "' (a FIFO, not a regular file)"))
      << r.output;
  fs::remove(s.path("w.csv"));
  s.mkdir("w.csv");
  r = cli(s, {"run", run, "--quiet", "--out", s.path("out")}, 20);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "protocol.waveform_csv = \"w.csv\": cannot open '" + s.path("w.csv") + "' (is a directory)"))
      << r.output;
  EXPECT_EQ(left_behind(s, "out"), std::vector<std::string>{});
}

}  // namespace
