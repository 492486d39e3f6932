// The `ionrail` executable: exit codes, messages, and no output left behind
// on bad input (the path of the binary comes from CMake).
#include <gtest/gtest.h>

#include "cli_run.hpp"
#include "spawn.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using result = ionrail_test::cli_result;

result run(const std::string& args) { return ionrail_test::run_command(std::string(IONRAIL_CLI) + " " + args); }
result run_shell(const std::string& command) { return ionrail_test::run_command(command); }

fs::path scratch(const std::string& name) { return ionrail_test::scratch_dir("ionrail_cli_" + name); }

std::string write(const fs::path& p, const std::string& text) { return ionrail_test::write_file(p, text); }

const std::string small_run = R"(
[device]
thickness_nm = 20
sites = 20
rails = 50
zones = 4
[[species]]
name = "ion"
activation_energy_ev = 0
attempt_frequency_hz = 1
fill = 0.3
[field]
ion_density_m3 = 0
[protocol]
kind = "relax"
voltage_v = 0.5
pulse_s = 2
relax_s = 3
sample_every_s = 0.5
[output]
plots = false
)";

TEST(Cli, HelpAndInfoSucceed) {
  EXPECT_EQ(run("--help").code, 0);
  EXPECT_EQ(run("run --help").code, 0);
  const auto info = run("info");
  EXPECT_EQ(info.code, 0);
  EXPECT_NE(info.output.find("cpu: sync"), std::string::npos) << info.output;
}

TEST(Cli, RunWritesTraceProfileAndSummary) {
  const auto dir = scratch("ok");
  const auto file = write(dir / "run.toml", small_run);
  const auto r = run("run " + file + " --out " + (dir / "out").string() + " --seed 5 --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream trace(dir / "out" / "trace.csv");
  std::string header;
  std::getline(trace, header);
  EXPECT_EQ(header, "t_s,v,f_left,f_right,state,g_s,i_a,i_ion_a,energy_j,zone_0,zone_1,zone_2,zone_3");
  EXPECT_TRUE(fs::exists(dir / "out" / "profile.csv"));
  std::ifstream summary(dir / "out" / "summary.json");
  const std::string json((std::istreambuf_iterator<char>(summary)), {});
  EXPECT_NE(json.find("\"seed\": 5"), std::string::npos);
  EXPECT_NE(json.find("\"method\": \"sync\""), std::string::npos);
  EXPECT_NE(json.find("\"git\""), std::string::npos);
  EXPECT_NE(json.find("\"dt_s\""), std::string::npos);
  // No leftovers next to the result.
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().string().find(".partial"), std::string::npos);
  // An existing result is not overwritten without --force.
  const auto again = run("run " + file + " --out " + (dir / "out").string() + " --quiet");
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.output.find("use --force"), std::string::npos) << again.output;
}

void expect_config_error(const std::string& name, const std::string& text, const std::string& fragment) {
  const auto dir = scratch(name);
  const auto file = write(dir / "bad.toml", text);
  const auto out = dir / "out";
  const auto r = run("run " + file + " --out " + out.string() + " --quiet");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bad.toml"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "left an output directory behind";
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().string().find(".partial"), std::string::npos);
}

TEST(Cli, ConfigErrorsExitTwoAndLeaveNoOutput) {
  expect_config_error("unknown", small_run + "\n[sim]\nsed = 3\n", "did you mean 'seed'");
  expect_config_error("range", "[device]\nsites = 0\n", "device.sites = 0: must be in [2, 65533]");
  expect_config_error("unit", "[device]\nthickness = 100\n", "thickness_nm");
  expect_config_error("type", "[device]\nrails = \"many\"\n", "device.rails");
  expect_config_error("material", "material = \"nowhere.toml\"\n", "nowhere.toml");
}

TEST(Cli, MissingFileAndBadBackend) {
  const auto missing = run("run /nonexistent/experiment.toml --quiet");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("/nonexistent/experiment.toml"), std::string::npos) << missing.output;
  const auto dir = scratch("backend");
  const auto file = write(dir / "run.toml", small_run);
  const auto cuda = run("run " + file + " --out " + (dir / "out").string() + " --backend cuda --quiet");
  if (cuda.code == 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(cuda.code, 2);
  EXPECT_NE(cuda.output.find("sim.backend = \"cuda\""), std::string::npos) << cuda.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
  const auto unknown = run("frobnicate");
  EXPECT_EQ(unknown.code, 2);
}

TEST(Cli, PlotRedrawsFromTheData) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const auto dir = scratch("plot");
  std::string text = small_run;
  text.replace(text.find("plots = false"), 13, "plots = true");
  const auto file = write(dir / "run.toml", text);
  ASSERT_EQ(run("run " + file + " --out " + (dir / "out").string() + " --quiet").code, 0);
  ASSERT_TRUE(fs::exists(dir / "out" / "relax.png"));
  fs::remove(dir / "out" / "relax.png");
  fs::remove(dir / "out" / "trace.png");
  EXPECT_EQ(run("plot " + (dir / "out").string()).code, 0);
  EXPECT_TRUE(fs::exists(dir / "out" / "relax.png"));
  EXPECT_TRUE(fs::exists(dir / "out" / "trace.png"));
  EXPECT_EQ(run("plot " + dir.string()).code, 2);  // not a run directory
  // A redraw that fails leaves the images it had: an emptied trace.csv once
  // replaced a good trace.png by a blank one.
  const std::string good = ionrail_test::slurp(dir / "out" / "trace.png");
  const std::string data = ionrail_test::slurp(dir / "out" / "trace.csv");
  write(dir / "out" / "trace.csv", "");
  EXPECT_EQ(run("plot " + (dir / "out").string()).code, 1);
  EXPECT_EQ(ionrail_test::slurp(dir / "out" / "trace.png"), good);
  // A data file that is a device: refused before gnuplot would read it for ever.
  fs::remove(dir / "out" / "trace.csv");
  fs::create_symlink("/dev/zero", dir / "out" / "trace.csv");
  const auto device = run("plot " + (dir / "out").string());
  EXPECT_EQ(device.code, 2) << device.output;
  EXPECT_NE(device.output.find("trace.csv: not a regular file"), std::string::npos) << device.output;
  EXPECT_EQ(ionrail_test::slurp(dir / "out" / "trace.png"), good);
  fs::remove(dir / "out" / "trace.csv");
  write(dir / "out" / "trace.csv", data);
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find("out.plot-"), std::string::npos) << e.path();
  // An output named like an option ("-d") is drawn too (cd read it as one).
  const auto dash = ionrail_test::run_command("cd " + dir.string() + " && " + std::string(IONRAIL_CLI) + " run " + file +
                                              " --out -dash --quiet");
  EXPECT_EQ(dash.code, 0) << dash.output;
  EXPECT_TRUE(fs::exists(dir / "-dash" / "relax.png"));
}

// The console is best effort: a run whose stderr cannot be written (a full
// disk: abort, the output lost), whose standard streams are closed (the
// wake-up pipe of the signal clean-up took descriptor 2 and the first
// progress line ended the run as if interrupted), or whose progress reader
// goes away (SIGPIPE left DIR.partial behind) writes its output all the same.
TEST(Cli, ConsoleThatCannotBeWrittenDoesNotStopTheRun) {
  const auto dir = scratch("console");
  const auto file = write(dir / "run.toml", small_run);
  const std::string cli = std::string(IONRAIL_CLI) + " run " + file + " --out " + dir.string() + "/";
  for (const auto& [name, redirect] :
       {std::pair<std::string, std::string>{"closed", "o_closed >&- 2>&- <&-"},
        {"full", "o_full 2>/dev/full"},
        {"pipe", "o_pipe 2>&1 | head -c1 >/dev/null; exit ${PIPESTATUS[0]}"}}) {
    SCOPED_TRACE(name);
    const auto r = run_shell("bash -c '" + cli + redirect + "'; echo \"rc=$?\"");
    EXPECT_NE(r.output.find("rc=0"), std::string::npos) << r.output;
    EXPECT_TRUE(fs::exists(dir / ("o_" + name) / "summary.json")) << r.output;
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_EQ(e.path().filename().string().find(".partial-"), std::string::npos) << e.path();
    EXPECT_NE(e.path().extension(), ".lock") << e.path();
  }
}

TEST(Cli, SeriesRunsEachValueInItsOwnDirectory) {
  const auto dir = scratch("series");
  const auto file = write(dir / "run.toml", small_run + "\n[series]\nkey = \"protocol.voltage_v\"\nvalues = [0.5, 1.0]\n");
  const auto r = run("run " + file + " --out " + (dir / "out").string() + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "voltage_v_0.5" / "trace.csv"));
  EXPECT_TRUE(fs::exists(dir / "out" / "voltage_v_1" / "trace.csv"));
}

}  // namespace
