// The output layer of the commands: JSON that stays valid whatever the paths
// hold, a failed write that ends the command with no output left behind, and
// the one Arrhenius fit that `ionrail run` and `ionrail sweep` share.
#include <gtest/gtest.h>

#include "calibration_fixture.hpp"
#include "cli_run.hpp"
#include "sanitizer.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/runs/metrics.hpp>
#include <ionrail/runs/staged_dir.hpp>
#include <ionrail/kmc/physics.hpp>

namespace fs = std::filesystem;

namespace {

using json = nlohmann::json;

const std::string source = IONRAIL_SOURCE_DIR;

// Arguments for the shell: the paths below hold no single quote.
std::string shell_arg(const fs::path& p) { return "'" + p.string() + "'"; }

ionrail_test::cli_result run(const std::string& args, const std::string& prefix = "") {
  return ionrail_test::run_command(prefix + std::string(IONRAIL_CLI) + " " + args + " --quiet");
}

json parse_file(const fs::path& p) {
  std::ifstream in(p);
  EXPECT_TRUE(in) << p;
  return json::parse(in);  // throws (and fails the test) on invalid JSON
}

void expect_no_partials(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".partial-"), std::string::npos) << e.path();
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << e.path();
  }
}

const std::string small_device = ionrail_test::small_device_toml(50) + "[field]\nion_density_m3 = 0\n";

const std::string small_run = small_device + R"([protocol]
kind = "relax"
voltage_v = 0.5
pulse_s = 2
relax_s = 3
sample_every_s = 0.5
[output]
plots = false
)";

// A calibration of seconds (as tests/test_interrupt.cpp's) and a short
// pulse train to replay its table on, against KMC.
const std::string small_calibration =
    small_device + ionrail_test::calibration_sections(50, 2, ionrail_test::sanitizer_sized(120, 30));

const std::string small_pulses = small_device + R"([calibration]
devices = 4
[protocol]
kind = "pulses"
n_pot = 2
n_dep = 2
v_pot_v = 1.0
v_dep_v = -1.0
width_s = 0.3
gap_s = 0.4
read_v = 0.1
)";

std::string crossbar_file() {
  return "[crossbar]\ntable = '" + source + "/tables/polymer_thin'\ndata = '" + source +
         "/data/digits.csv.gz'\nepochs = 1\ntrain_limit = 20\ntest_count = 10\nretention_s = 1\n";
}

std::string snn_file() {
  return "[snn]\ntable = '" + source + "/tables/polymer_thin'\ndata = '" + source +
         "/data/digits.csv.gz'\nneurons = 4\nepochs = 1\ntrain_limit = 5\nlabel_limit = 5\ntest_count = 10\n"
         "present_steps = 4\nwindow_steps = 2\n";
}

// A quote, a backslash and a non-ASCII character in every path: the input
// files, the output directories and the table's.
TEST(Outputs, JsonStaysValidWithAnyCharactersInPaths) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_outputs_we\"ird\\dir_\xc3\xa4");

  const auto run_toml = ionrail_test::write_file(dir / "r\"un\\\xc3\xa4.toml", small_run);
  auto r = run("run " + shell_arg(run_toml) + " --out " + shell_arg(dir / "run\"out"));
  ASSERT_EQ(r.code, 0) << r.output;
  const json summary = parse_file(dir / "run\"out" / "summary.json");
  EXPECT_EQ(summary.at("input"), run_toml);
  EXPECT_EQ(summary.at("parameters").at("path"), run_toml);
  EXPECT_TRUE(summary.at("runs").at(0).at("seed").is_number_unsigned());
  EXPECT_TRUE(summary.at("runs").at(0).at("relaxation").at("tau_s").is_number());

  const auto cal_toml = ionrail_test::write_file(dir / "c\"al\\\xc3\xa4.toml", small_calibration);
  const fs::path table = dir / "table\"\\\xc3\xa4";
  r = run("calibrate " + shell_arg(cal_toml) + " --out " + shell_arg(table));
  ASSERT_EQ(r.code, 0) << r.output;
  const json calibration = parse_file(table / "table.json").at("calibration");
  EXPECT_EQ(calibration.at("command"), "ionrail calibrate " + cal_toml);
  EXPECT_EQ(calibration.at("parameters").at("path"), cal_toml);
  EXPECT_EQ(calibration.at("fidelity").at("nrmse_mean_g").size(), 2u);

  const auto pulses_toml = ionrail_test::write_file(dir / "p\"\\\xc3\xa4.toml", small_pulses);
  r = run("replay " + shell_arg(table) + " --protocol " + shell_arg(pulses_toml) + " --compare-kmc --out " +
          shell_arg(dir / "replay\"out"));
  ASSERT_EQ(r.code, 0) << r.output;
  const json fidelity = parse_file(dir / "replay\"out" / "fidelity.json");
  EXPECT_EQ(fidelity.at("table"), table.string());
  EXPECT_EQ(fidelity.at("protocol"), pulses_toml);
  EXPECT_TRUE(fidelity.at("meets_bar").is_boolean());

  const auto xb_toml = ionrail_test::write_file(dir / "x\"b\\\xc3\xa4.toml", crossbar_file());
  r = run("crossbar " + shell_arg(xb_toml) + " --out " + shell_arg(dir / "xb\"out"));
  ASSERT_EQ(r.code, 0) << r.output;
  const json crossbar = parse_file(dir / "xb\"out" / "summary.json");
  EXPECT_EQ(crossbar.at("config"), xb_toml);
  EXPECT_TRUE(crossbar.at("device").at("test_accuracy").is_number());

  const auto snn_toml = ionrail_test::write_file(dir / "s\"nn\\\xc3\xa4.toml", snn_file());
  r = run("snn " + shell_arg(snn_toml) + " --out " + shell_arg(dir / "snn\"out"));
  ASSERT_EQ(r.code, 0) << r.output;
  const json snn = parse_file(dir / "snn\"out" / "summary.json");
  EXPECT_EQ(snn.at("config"), snn_toml);
  EXPECT_EQ(snn.at("epoch_test_accuracy").size(), 1u);
  expect_no_partials(dir);
}

// A write that fails part-way (the file size limit stands in for a full
// disk) ends each command with exit 1 and a message naming the file, and
// leaves neither DIR nor DIR.partial-PID nor a temporary file.
TEST(Outputs, FailedWriteLeavesNoOutput) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_outputs_full");
  const std::string inputs[][2] = {
      {"run", ionrail_test::write_file(dir / "in" / "run.toml", small_run)},
      {"crossbar", ionrail_test::write_file(dir / "in" / "xb.toml", crossbar_file())},
      {"snn", ionrail_test::write_file(dir / "in" / "snn.toml", snn_file())},
  };
  // SIGXFSZ ignored: a write past the limit fails with EFBIG instead of killing the process.
  const std::string limit = "trap '' XFSZ; ulimit -f 2; ";
  for (const auto& [command, file] : inputs) {
    SCOPED_TRACE(command);
    const fs::path out = dir / "out" / command;
    const auto r = run(command + " " + shell_arg(file) + " --out " + shell_arg(out), limit);
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("ionrail: error: " + out.string() + ".partial-"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("File too large"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out));
  }
  expect_no_partials(dir);
}

// A directory where the sweep must write points.csv: the sweep fails naming
// it, after its points are finished and kept for a re-launch.
TEST(Outputs, FailedSweepWriteNamesTheFile) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_outputs_sweep");
  const auto file = ionrail_test::write_file(
      dir / "sweep.toml", small_run + "[sweep]\n[[sweep.axis]]\nkey = \"protocol.voltage_v\"\nvalues = [0.5, 1.0]\n");
  fs::create_directories(dir / "out" / "points.csv");
  fs::create_directories(dir / "out" / "points");  // a sweep's directory, whose points.csv cannot be written
  const auto r = run("sweep " + shell_arg(file) + " --out " + shell_arg(dir / "out"));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find((dir / "out" / "points.csv").string()), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out" / "points" / "p00001" / "summary.json"));
  expect_no_partials(dir);
}

// Nor the directory the user works in, under any name: `--out ../here
// --force` from inside `here` deleted it with everything in it (`--out .`
// was refused by its text only).
TEST(Outputs, ForceNeverRemovesTheWorkingDirectory) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_outputs_force_cwd");
  const auto file = ionrail_test::write_file(ionrail_test::scratch_dir("ionrail_outputs_force_cwd_input") / "run.toml", small_run);
  const auto keep = ionrail_test::write_file(dir / "here" / "keep.txt", "precious\n");
  const std::string in_here = "cd " + shell_arg(dir / "here") + " && ";
  for (const std::string& out : {std::string("../here"), (dir / "here").string(), dir.string()}) {
    SCOPED_TRACE(out);
    const auto r = run("run " + shell_arg(file) + " --force --out " + shell_arg(out), in_here);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("is the working directory"), std::string::npos) << r.output;
    EXPECT_TRUE(fs::exists(keep));
  }
  EXPECT_TRUE(fs::exists(file));
}

// --force never removes a command's input: a sweep whose file sits in its
// --out (the sweep removed DIR before it ran the points, which then found
// no file), and a directory whose input is read after it was staged (the
// demo reads its experiments then): the commit keeps DIR.
TEST(Outputs, ForceNeverRemovesAnInputOfTheCommand) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_outputs_force_input");
  const auto file = ionrail_test::write_file(
      dir / "S" / "sweep.toml", small_run + "[sweep]\n[[sweep.axis]]\nkey = \"protocol.voltage_v\"\nvalues = [0.5, 1.0]\n");
  const auto r = run("sweep " + shell_arg(file) + " --force --quiet --out " + shell_arg(dir / "S"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("an input of this command: --force would delete it"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(file));
  // A --set on the [sweep] section was accepted and ignored.
  const auto s = run("sweep " + shell_arg(file) + " --quiet --out " + shell_arg(dir / "out") +
                     " --set 'sweep.axis[0].values=[5.0]'");
  EXPECT_EQ(s.code, 2) << s.output;
  EXPECT_NE(s.output.find("the sweep's axes and figures come from the [sweep] section"), std::string::npos) << s.output;

  const fs::path kept = dir / "kept";
  const std::string input = ionrail_test::write_file(kept / "input.txt", "read after the staging\n");
  {
    ionrail::runs::staged_dir staged(kept.string(), true);
    ionrail::model_io::read_input_file(input);
    ionrail_test::write_file(staged.path() / "out.txt", "new\n");
    try {
      staged.commit();
      ADD_FAILURE() << "replaced a directory holding an input";
    } catch (const ionrail::input_error& e) {
      EXPECT_NE(std::string(e.what()).find("an input of this command"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(fs::exists(input));
  expect_no_partials(dir);
}

// The demo plans its four experiments before it touches DIR: a file of
// another kind (a relaxation as the pulse train: the claims indexed its
// missing reads, SIGSEGV) is refused at once, and so is --force on the
// experiments' own directory (once refused only after the whole demo ran).
TEST(Outputs, DemoRefusesItsExperimentsBeforeItRuns) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_outputs_demo_kinds");
  for (const char* name : {"relax_voltage", "relax_time", "iv_rates", "potentiation_depression"})
    ionrail_test::write_file(dir / "exp" / (std::string(name) + ".toml"), small_run);
  auto r = run("demo --experiments " + shell_arg(dir / "exp") + " --out " + shell_arg(dir / "out"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("iv_rates.toml: [protocol] kind = \"relax\": the demo's iv_rates experiment needs kind = \"sweep\""),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
  fs::create_directories(dir / "shipped");
  fs::copy(source + "/experiments", dir / "shipped" / "experiments", fs::copy_options::recursive);
  fs::copy(source + "/materials", dir / "shipped" / "materials", fs::copy_options::recursive);
  r = run("demo --experiments " + shell_arg(dir / "shipped" / "experiments") + " --force --out " +
          shell_arg(dir / "shipped" / "experiments"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("an input of this command: --force would delete it"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "shipped" / "experiments" / "relax_voltage.toml"));
  expect_no_partials(dir);
  for (const auto& e : fs::directory_iterator(dir / "shipped"))
    EXPECT_EQ(e.path().filename().string().find(".finished-"), std::string::npos) << e.path();
}

// A real full filesystem (a 1 MiB tmpfs in a private mount namespace; skipped
// where the machine allows neither): a sweep relaunched once the disk is
// full must fail (exit 1) and keep the good points.csv of its first launch,
// and a run must fail leaving nothing behind (issue 16, class 3).
TEST(Outputs, FullFilesystemKeepsThePreviousFile) {
  if (ionrail_test::run_command("unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs /mnt' 2>/dev/null").code != 0 &&
      ionrail_test::run_command("unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs /mnt' 2>/dev/null").code != 0)
    GTEST_SKIP() << "no private mount namespace with tmpfs here (unshare -rm / unshare -m refused)";
  const fs::path dir = ionrail_test::scratch_dir("ionrail_outputs_tmpfs");
  const auto sweep_file = ionrail_test::write_file(
      dir / "sweep.toml", small_run + "[sweep]\n[[sweep.axis]]\nkey = \"protocol.voltage_v\"\nvalues = [0.5, 1.0]\n");
  const auto run_file = ionrail_test::write_file(dir / "run.toml", small_run);
  fs::create_directories(dir / "mnt");
  const std::string cli = shell_arg(IONRAIL_CLI), mnt = shell_arg(dir / "mnt");
  const std::string script = "set -u\n"
                             "mount -t tmpfs -o size=1m tmpfs " + mnt + " || exit 77\n" +
                             cli + " sweep " + shell_arg(sweep_file) + " --quiet --out " + mnt + "/out; echo first=$?\n"
                             "cp " + mnt + "/out/points.csv " + shell_arg(dir / "points.before") + "\n"
                             "head -c 16777216 /dev/zero > " + mnt + "/fill 2>/dev/null; df -k " + mnt + " | tail -1\n" +
                             cli + " sweep " + shell_arg(sweep_file) + " --quiet --out " + mnt + "/out; echo relaunch=$?\n"
                             "cmp " + mnt + "/out/points.csv " + shell_arg(dir / "points.before") + " && echo kept\n" +
                             cli + " run " + shell_arg(run_file) + " --quiet --out " + mnt + "/run; echo run=$?\n"
                             "test -e " + mnt + "/run && echo run-left\n"
                             "find " + mnt + " -name '*.partial-*' -o -name '*.tmp*' | sed 's/^/leftover /'\n";
  const auto script_file = ionrail_test::write_file(dir / "full.sh", script);
  auto r = ionrail_test::run_command("unshare -rm sh " + shell_arg(script_file));
  if (r.code == 77 || r.output.find("first=") == std::string::npos)
    r = ionrail_test::run_command("unshare -m sh " + shell_arg(script_file));
  ASSERT_NE(r.code, 77) << r.output;
  EXPECT_NE(r.output.find("first=0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("relaunch=1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("kept"), std::string::npos) << "points.csv was replaced:\n" << r.output;
  EXPECT_NE(r.output.find("run=1"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("run-left"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("leftover"), std::string::npos) << r.output;
  // The first launch's file is a real table: a header and one row per point.
  std::ifstream before(dir / "points.before");
  std::string line;
  int lines = 0;
  while (std::getline(before, line)) ++lines;
  EXPECT_EQ(lines, 3);
}

// ln y against 1/T of exact Arrhenius data gives Ea to rounding, for a time
// constant (y ∝ exp(+Ea/kT)) and a rate (y ∝ exp(−Ea/kT)); points without a
// positive figure are left out.
TEST(Outputs, ArrheniusFitRecoversAKnownActivationEnergy) {
  const double ea = 0.42, kb = ionrail::kmc::boltzmann_ev_per_k;
  const std::vector<double> t{250, 275, 300, 325, 350, 400, 500};
  std::vector<double> tau, rate;
  for (double x : t) tau.push_back(3e-9 * std::exp(ea / (kb * x))), rate.push_back(7e12 * std::exp(-ea / (kb * x)));
  const auto slow = ionrail::runs::fit_arrhenius(t, tau, true);
  EXPECT_NEAR(slow.activation_energy_ev, ea, 1e-12);
  EXPECT_NEAR(slow.line.intercept, std::log(3e-9), 1e-9);
  EXPECT_LT(slow.standard_error_ev, 1e-12);
  EXPECT_EQ(slow.inv_t_per_k.size(), t.size());
  rate[2] = 0;
  rate[4] = std::numeric_limits<double>::quiet_NaN();
  const auto fast = ionrail::runs::fit_arrhenius(t, rate, false);
  EXPECT_NEAR(fast.activation_energy_ev, ea, 1e-12);
  EXPECT_EQ(fast.inv_t_per_k.size(), t.size() - 2);
  EXPECT_DOUBLE_EQ(fast.inv_t_per_k[2], 1.0 / 325);
}

}  // namespace
