// Results that match their inputs (docs/reliability.md, issue 16 class 2):
// a re-launched sweep reuses a finished point only if its stored fingerprint
// is what the sweep file gives it now; axes on one key, values given twice
// and variants that would share a subdirectory are refused at load; an
// Arrhenius fit without two distinct temperatures is reported as
// undetermined (null), never as 0 ± 0.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <ionrail/runs/metrics.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/app/sweep.hpp>
#include <ionrail/config/run_config.hpp>

#include "cli_run.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ionrail;
using ionrail_test::run_command;
using ionrail_test::scratch_dir;
using ionrail_test::write_file;

// A relaxation run small enough for a unit test (10 rails, 3 s).
std::string tiny_run(const std::string& voltage = "0.3") {
  return "[device]\nthickness_nm = 20\nsites = 20\nrails = 10\nzones = 4\n"
         "[protocol]\nkind = \"relax\"\nvoltage_v = " + voltage + "\npulse_s = 1\nrelax_s = 2\nsample_every_s = 0.5\n"
         "[sim]\nseed = 3\n[output]\nplots = false\n";
}

std::string tiny_sweep(const std::string& voltage) {
  return tiny_run(voltage) + "[sweep]\n[[sweep.axis]]\nkey = \"device.temperature_k\"\nvalues = [280, 300, 320]\n";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string message_of_load(const std::string& file) {
  try {
    app::load_sweep(file);
  } catch (const ionrail::input_error& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string message_of_config(const std::string& file) {
  try {
    config::load_run_config(file, {});
  } catch (const ionrail::input_error& e) {
    return e.what();
  }
  return "(accepted)";
}

bool has(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

// An edited sweep file: the finished points ran other parameters, so the
// re-launch is refused (exit 2, naming the first point and --force); with
// --force every point is run again from the edited file.
TEST(ResultsMatchInputs, EditedSweepRelaunchIsRefusedUntilForce) {
  const fs::path dir = scratch_dir("ionrail_fingerprint_edit");
  const std::string file = write_file(dir / "sweep.toml", tiny_sweep("0.3"));
  const std::string out = (dir / "out").string();
  const std::string cli = std::string(IONRAIL_CLI) + " sweep " + file + " --quiet --out " + out;
  auto r = run_command(cli);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "points" / "p00000.fingerprint"));
  // Unchanged: the re-launch reuses every point.
  const auto kept = fs::last_write_time(dir / "out" / "points" / "p00000" / "summary.json");
  r = run_command(cli);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(fs::last_write_time(dir / "out" / "points" / "p00000" / "summary.json"), kept);

  // As if stopped after two points, then the file edited.
  fs::remove_all(dir / "out" / "points" / "p00002");
  write_file(dir / "sweep.toml", tiny_sweep("0.4"));
  r = run_command(cli);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "point 0 (device.temperature_k = 280)")) << r.output;
  EXPECT_TRUE(has(r.output, "voltage_v")) << r.output;
  EXPECT_TRUE(has(r.output, "--force")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out" / "points" / "p00002")) << "nothing runs before the refusal";
  // The same through --set: what a point ran includes the command's overrides.
  r = run_command(cli + " --set protocol.voltage_v=0.3");
  EXPECT_EQ(r.code, 0) << r.output;

  r = run_command(cli + " --force");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto point = nlohmann::json::parse(slurp(dir / "out" / "points" / "p00000" / "summary.json"));
  EXPECT_DOUBLE_EQ(point.at("parameters").at("protocol").at("voltage_v").get<double>(), 0.4);
  r = run_command(cli);
  EXPECT_EQ(r.code, 0) << r.output;
}

// A finished point without a fingerprint (an older sweep's) is not reused.
TEST(ResultsMatchInputs, PointWithoutFingerprintIsNotReused) {
  const fs::path dir = scratch_dir("ionrail_fingerprint_missing");
  const std::string file = write_file(dir / "sweep.toml", tiny_sweep("0.3"));
  app::sweep_options o;
  o.out_dir = (dir / "out").string();
  o.quiet = true;
  app::run_sweep(file, o);
  fs::remove(dir / "out" / "points" / "p00001.fingerprint");
  try {
    app::run_sweep(file, o);
    ADD_FAILURE() << "a point without a fingerprint was reused";
  } catch (const ionrail::input_error& e) {
    EXPECT_TRUE(has(e.what(), "point 1 ")) << e.what();
    EXPECT_TRUE(has(e.what(), "no fingerprint")) << e.what();
  }
}

TEST(ResultsMatchInputs, SweepAxesOnOneKeyOrWithRepeatedValuesAreRefused) {
  const fs::path dir = scratch_dir("ionrail_fingerprint_axes");
  const std::string axis_300 = "[[sweep.axis]]\nkey = \"device.temperature_k\"\nvalues = [300]\n";
  std::string m = message_of_load(write_file(dir / "same_key.toml", tiny_run() + "[sweep]\n" + axis_300 +
                                                                          "[[sweep.axis]]\nkey = \"device.temperature_k\"\nvalues = [320]\n"));
  EXPECT_TRUE(has(m, "same_key.toml:")) << m;
  EXPECT_TRUE(has(m, "sweep.axis[1].key = \"device.temperature_k\": the same key as sweep.axis[0]")) << m;

  m = message_of_load(write_file(dir / "twice.toml", tiny_run() + "[sweep]\n[[sweep.axis]]\nkey = \"device.temperature_k\"\n"
                                                                  "values = [280, 300, 300.0]\n"));
  EXPECT_TRUE(has(m, "twice.toml:")) << m;
  EXPECT_TRUE(has(m, "sweep.axis[0] (device.temperature_k): the value 300 is given twice (entries 1 and 2)")) << m;
  // The pair an entry-by-entry scan meets first (the checks sort the values).
  m = message_of_load(write_file(dir / "pairs.toml", tiny_run() + "[sweep]\n[[sweep.axis]]\nkey = \"device.temperature_k\"\n"
                                                                  "values = [320, 300, 310, 300, 320, 300]\n"));
  EXPECT_TRUE(has(m, "the value 300 is given twice (entries 1 and 3)")) << m;

  m = message_of_load(write_file(dir / "range.toml", tiny_run() + "[sweep]\n[[sweep.axis]]\nkey = \"device.temperature_k\"\n"
                                                                  "range = [300, 300, 2]\n"));
  EXPECT_TRUE(has(m, "the value 300 is given twice")) << m;

  write_file(dir / "points.csv", "device.temperature_k,device.temperature_k\n300,320\n");
  m = message_of_load(write_file(dir / "csv.toml", tiny_run() + "[sweep]\npoints_csv = \"points.csv\"\n"));
  EXPECT_TRUE(has(m, "heads two columns")) << m;

  // Values that differ past the 10th digit are two points, each run with its own value.
  const auto plan = app::load_sweep(write_file(dir / "close.toml", tiny_run() + "[sweep]\n[[sweep.axis]]\n"
                                                                                "key = \"device.temperature_k\"\n"
                                                                                "values = [300, 300.0000000001]\n"));
  ASSERT_EQ(plan.points.size(), 2u);
  EXPECT_NE(plan.points[0].values[0], plan.points[1].values[0]);
}

TEST(ResultsMatchInputs, SeriesAndTemperaturesGivenTwiceAreRefused) {
  const fs::path dir = scratch_dir("ionrail_fingerprint_series");
  std::string m = message_of_config(write_file(dir / "series.toml", tiny_run() + "[series]\nkey = \"protocol.voltage_v\"\n"
                                                                                 "values = [2, 2.0]\n"));
  EXPECT_TRUE(has(m, "series.toml")) << m;
  EXPECT_TRUE(has(m, "series.values: series.values[0] = 2 and series.values[1] = 2 are the same value")) << m;

  const std::string run = tiny_run();
  const std::string with_t = run.substr(0, run.find("[sim]")) + "temperatures_k = [300, 320, 300]\n" + run.substr(run.find("[sim]"));
  m = message_of_config(write_file(dir / "temps.toml", with_t));
  EXPECT_TRUE(has(m, "temps.toml")) << m;
  EXPECT_TRUE(has(m, "protocol.temperatures_k[0] = 300 and protocol.temperatures_k[2] = 300 are the same value")) << m;

  // The same through --set.
  const std::string plain = write_file(dir / "plain.toml", run);
  try {
    config::load_run_config(plain, {"protocol.temperatures_k=[300, 300]"});
    ADD_FAILURE() << "--set protocol.temperatures_k=[300, 300] accepted";
  } catch (const ionrail::input_error& e) {
    EXPECT_TRUE(has(e.what(), "are the same value")) << e.what();
  }
}

// 300 and 300.0000001 K are two variants: two labels, two subdirectories,
// each run at its own temperature.
TEST(ResultsMatchInputs, CloseTemperaturesAreTwoVariantsInTwoDirectories) {
  const fs::path dir = scratch_dir("ionrail_fingerprint_close");
  const std::string run = tiny_run();
  const std::string file = write_file(
      dir / "close.toml",
      run.substr(0, run.find("[sim]")) + "temperatures_k = [300, 300.0000001]\n" + run.substr(run.find("[sim]")));
  runs::run_options o;
  o.out_dir = (dir / "out").string();
  o.quiet = true;
  const auto r = runs::run_experiment(file, o);
  ASSERT_EQ(r.variants.size(), 2u);
  EXPECT_EQ(r.variants[0].subdir, "T_300K");
  EXPECT_EQ(r.variants[1].subdir, "T_300.0000001K");
  EXPECT_EQ(r.variants[1].label, "T = 300.0000001 K");
  EXPECT_EQ(r.variants[1].config.device.temperature_k, 300.0000001);
  EXPECT_TRUE(fs::exists(dir / "out" / "T_300K" / "trace.csv"));
  EXPECT_TRUE(fs::exists(dir / "out" / "T_300.0000001K" / "trace.csv"));
}

TEST(ResultsMatchInputs, FitWithoutTwoDistinctTemperaturesIsUndetermined) {
  // One distinct temperature: the slope is not determined, whatever the y.
  auto f = runs::fit_arrhenius({300, 300, 300}, {1.0, 2.0, 3.0}, true);
  EXPECT_FALSE(f.determined);
  EXPECT_FALSE(f.error_determined);
  // Two temperatures but only one with a figure > 0 to fit.
  f = runs::fit_arrhenius({300, 320}, {2.0, 0.0}, true);
  EXPECT_FALSE(f.determined);
  EXPECT_EQ(f.inv_t_per_k.size(), 1u);
  // Two points: Ea determined, its standard error not (no scatter to estimate it).
  f = runs::fit_arrhenius({300, 320}, {2.0, 1.0}, true);
  EXPECT_TRUE(f.determined);
  EXPECT_FALSE(f.error_determined);
  EXPECT_GT(f.activation_energy_ev, 0.0);
  f = runs::fit_arrhenius({300, 320, 340}, {2.0, 1.0, 0.6}, true);
  EXPECT_TRUE(f.determined);
  EXPECT_TRUE(f.error_determined);
}

// A sweep over temperature whose figure is nowhere > 0 writes an
// undetermined fit: null, never 0 ± 0.
TEST(ResultsMatchInputs, SweepFitWithoutDataIsNullNotZero) {
  const fs::path dir = scratch_dir("ionrail_fingerprint_undetermined");
  // tau_s of an I-V sweep is NaN at every point: nothing to fit.
  const std::string file = write_file(
      dir / "iv.toml",
      "[device]\nthickness_nm = 20\nsites = 20\nrails = 10\nzones = 4\n"
      "[protocol]\nkind = \"sweep\"\nsample_every_s = 0.5\n[sim]\nseed = 3\n"
      "[sweep]\nfigure = \"tau_s\"\n[[sweep.axis]]\nkey = \"device.temperature_k\"\nvalues = [280, 300, 320]\n");
  app::sweep_options o;
  o.out_dir = (dir / "out").string();
  o.quiet = true;
  app::run_sweep(file, o);
  const auto summary = nlohmann::json::parse(slurp(dir / "out" / "summary.json"));
  const auto& fit = summary.at("arrhenius");
  EXPECT_TRUE(fit.at("activation_energy_ev").is_null()) << fit;
  EXPECT_TRUE(fit.at("standard_error_ev").is_null()) << fit;
  EXPECT_EQ(fit.at("undetermined"), true) << fit;
  EXPECT_FALSE(fs::exists(dir / "out" / "arrhenius.png"));
}

}  // namespace
