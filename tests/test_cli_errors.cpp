// Bad input at the command line, for every command that writes: exit code 2,
// one message naming the file, the key or line, the value and the range, and
// no output directory (nor DIR.partial-PID) left behind; an existing output
// directory is kept unless --force.
#include <gtest/gtest.h>

#include "cli_run.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace fs = std::filesystem;

namespace {

using result = ionrail_test::cli_result;

result run(const std::string& args) { return ionrail_test::run_command(std::string(IONRAIL_CLI) + " " + args); }

fs::path scratch(const std::string& name) { return ionrail_test::scratch_dir("ionrail_cli_errors_" + name); }

std::string write(const fs::path& p, const std::string& text) { return ionrail_test::write_file(p, text); }

const std::string source = IONRAIL_SOURCE_DIR;

// Runs `args` (which writes to DIR/out) and expects exit 2, every fragment in
// the message, and nothing written next to the inputs.
void expect_refused(const fs::path& dir, const std::string& args, std::initializer_list<std::string> fragments) {
  const auto r = run(args + " --quiet");
  EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
  for (const auto& f : fragments) EXPECT_NE(r.output.find(f), std::string::npos) << "lacks '" << f << "':\n" << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "not one line:\n" << r.output;
  EXPECT_FALSE(fs::exists(dir / "out")) << "left an output directory: " << args;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".partial-"), std::string::npos) << name;
    EXPECT_EQ(name.find(".checkpoint"), std::string::npos) << name;
  }
}

const std::string small_run = R"([device]
thickness_nm = 20
sites = 20
rails = 50
zones = 4
[[species]]
activation_energy_ev = 0
attempt_frequency_hz = 1
fill = 0.3
[field]
ion_density_m3 = 0
[protocol]
pulse_s = 2
relax_s = 3
sample_every_s = 0.5
[output]
plots = false
)";

TEST(CliErrors, Run) {
  const auto dir = scratch("run");
  const std::string out = " --out " + (dir / "out").string();
  auto file = [&](const std::string& text) { return write(dir / "run.toml", text); };
  expect_refused(dir, "run " + file(small_run + "[sim]\ndt_s = 1\n") + out,
                 {"run.toml:19: sim.dt_s = 1: the hop probability", "must be < 1"});
  expect_refused(dir, "run " + file(small_run) + out + " --set sim.dt_s=1", {"--set: sim.dt_s = 1: the hop probability"});
  expect_refused(dir, "run " + file("[device]\nsites = 10\n[[species]]\nfill = 1.5\n") + out,
                 {"run.toml", "species[0].fill = 1.5: must be in [0, 1]"});
  expect_refused(dir, "run " + file("[device]\nsites = 10\n[[species]]\nname = \"a\"\nfill = 0.6\n[[species]]\nname = \"b\"\nfill = 0.6\n") + out,
                 {"run.toml", "species fill (ions per rail) = 12: must not exceed device.sites = 10"});
  expect_refused(dir, "run " + file("[device]\nsites = 10\n[[species]]\nfill = 0.3\nions = 3\n") + out,
                 {"run.toml:5: species[0].fill and species[0].ions are mutually exclusive"});
  expect_refused(dir, "run " + file("[protocol]\npulse_s = 2\nrelax_s = 3\nsample_every_s = 0.5\naverage_window_s = [4.6]\n") + out,
                 {"run.toml:5: protocol.average_window_s = [4.6]: holds 1 of the sample times", "at least 2"});
  expect_refused(dir, "run " + file(small_run) + out + " --set 'protocol.average_window_s=[1,9]'",
                 {"--set: protocol.average_window_s = [1, 9]: to must be at most the protocol's duration, 5 s"});
  expect_refused(dir, "run " + file("[device]\nrails = 0\n") + out, {"run.toml:2: device.rails = 0: must be >= 1"});
  expect_refused(dir, "run " + file("[device]\nthickness_nm = nan\n") + out, {"run.toml:2: device.thickness_nm = nan: must be finite"});
  expect_refused(dir, "run " + file("[device]\nzone = 4\n") + out, {"run.toml:2: device.zone = 4: unknown key, did you mean 'zones'?"});
  expect_refused(dir, "run " + file("[sim]\nseed = \"x\"\n") + out, {"run.toml:2: sim.seed = \"x\": expected an integer >= 0"});
  write(dir / "w.csv", "0,0\n2,1\n1,0\n");
  expect_refused(dir, "run " + file("[protocol]\nkind = \"waveform\"\nwaveform_csv = \"w.csv\"\n") + out,
                 {"run.toml:3: protocol.waveform_csv = \"w.csv\": ", "w.csv:3: time_s = 1 does not increase (previous 2)"});
  expect_refused(dir, "run " + file("[device]\nsites = 60000\nrails = 2000000000\n") + out,
                 {"run.toml: device.rails = 2000000000 x 20000 ions per rail", "GiB, more than the "});
  expect_refused(dir, "run " + file(small_run) + out + " --checkpoint-every nan", {"--checkpoint-every"});
  expect_refused(dir, "run " + file(small_run) + " --out " + dir.string() + "/", {"output directory exists; use --force"});
  expect_refused(dir, "run " + file(small_run) + " --out .", {"the output must be a named directory"});
}

TEST(CliErrors, Calibrate) {
  const auto dir = scratch("calibrate");
  const std::string out = " --out " + (dir / "out").string();
  expect_refused(dir, "calibrate " + write(dir / "c.toml", "[calibration]\ndevice = 4\n") + out,
                 {"c.toml:2: calibration.device = 4: unknown key, did you mean 'device_rails'?"});
  expect_refused(dir, "calibrate " + write(dir / "c.toml", "[calibration]\nv_step_v = 0.3\n") + out,
                 {"c.toml:2: calibration.v_step_v = 0.3: must be a power of two volts in [2^-11, 8]"});
  expect_refused(dir, "calibrate " + write(dir / "c.toml", "[calibration]\nruns = 0\n") + out,
                 {"c.toml:2: calibration.runs = 0: must be in [1, 10000]"});
  expect_refused(dir, "calibrate " + write(dir / "c.toml", "[device]\nsites = 1000\n[calibration]\ndevices = 255\ndevice_rails = 1000000\n") + out,
                 {"c.toml: ", "calibration.devices x calibration.device_rails", "GiB, more than the "});
  expect_refused(dir, "calibrate " + write(dir / "c.toml", "") + out + " --resume", {"--resume: no checkpoint here"});
}

// A copy of a shipped table, then broken.
fs::path table_copy(const fs::path& dir) {
  const fs::path t = dir / "table";
  fs::create_directories(t);
  for (const auto& e : fs::directory_iterator(fs::path(source) / "tables" / "polymer")) fs::copy_file(e.path(), t / e.path().filename());
  return t;
}

TEST(CliErrors, Replay) {
  const auto dir = scratch("replay");
  const fs::path t = table_copy(dir);
  const std::string protocol = source + "/tests/data/heldout/pulses_3v.toml";
  const std::string out = " --out " + (dir / "out").string();
  {  // corrupted: one raw value changed
    std::ifstream in(t / "table.csv");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string csv = ss.str();
    const auto row = csv.find('\n') + 1;
    csv.insert(row, "1");  // i_s 0 -> 10: the row's s is no longer that state's
    std::ofstream(t / "table.csv") << csv;
  }
  expect_refused(dir, "replay " + t.string() + " --protocol " + protocol + out,
                 {"table.csv:2: s = '0': expected 0.15625 (the state of i_s = 10, to 9 significant digits)"});
  fs::remove_all(t);
  table_copy(dir);
  {
    std::ifstream in(t / "table.json");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string json = ss.str();
    json.replace(json.find("\"format_version\": 2"), 19, "\"format_version\": 9");
    std::ofstream(t / "table.json") << json;
  }
  expect_refused(dir, "replay " + t.string() + " --protocol " + protocol + out, {"table.json: format_version = 9: this build reads version 2"});
  expect_refused(dir, "replay " + (dir / "none").string() + " --protocol " + protocol + out, {"none/table.json: cannot open"});
  fs::remove_all(t);
  table_copy(dir);
  expect_refused(dir, "replay " + t.string() + " --protocol " + write(dir / "p.toml", "[protocol]\nkind = \"pulse\"\n") + out,
                 {"p.toml:2: protocol.kind = \"pulse\": expected one of", "did you mean \"pulses\"?"});
}

TEST(CliErrors, CrossbarAndSnn) {
  const auto dir = scratch("circuits");
  const std::string out = " --out " + (dir / "out").string();
  expect_refused(dir, "crossbar " + write(dir / "x.toml", "[crossbar]\ntable = \"nowhere\"\n") + out,
                 {"x.toml:2: crossbar.table = \"nowhere\": no such directory"});
  expect_refused(dir, "crossbar " + write(dir / "x.toml", "[crossbar]\nepochs = 0\n") + out, {"x.toml:2: crossbar.epochs = 0: must be in [1, 1000]"});
  // The hardware file of the cost model: checked before anything runs or is written.
  const std::string circuit = "[crossbar]\ntable = \"" + source + "/tables/polymer_thin\"\ndata = \"" + source +
                              "/data/digits.csv.gz\"\n";
  expect_refused(dir, "crossbar " + write(dir / "x.toml", circuit + "hardware = \"none.toml\"\n") + out,
                 {"x.toml:4: crossbar.hardware = \"none.toml\": no such file"});
  write(dir / "hw.toml", "[adc]\nfom_walden_j = { value = -1e-14, source = \"a paper\" }\n");
  expect_refused(dir, "crossbar " + write(dir / "x.toml", circuit + "hardware = \"hw.toml\"\n") + out,
                 {"hw.toml:2: adc.fom_walden_j = -1e-14: must be in [1e-18, 1e-09] J/conversion-step"});
  write(dir / "hw.toml", "[adc]\nfom_walden_j = 1e-14\n");
  expect_refused(dir, "crossbar " + write(dir / "x.toml", circuit + "hardware = \"hw.toml\"\n") + out, {"hw.toml:2"});
  // The multi-layer network's keys (circuits/crossbar_mlp.hpp).
  expect_refused(dir, "crossbar " + write(dir / "x.toml", "[crossbar]\nrule = \"adam\"\n") + out,
                 {"x.toml:2: crossbar.rule = \"adam\": expected one of"});
  expect_refused(dir, "crossbar " + write(dir / "x.toml", "[crossbar]\nhidden = [100, 0]\n") + out,
                 {"x.toml:2: crossbar.hidden", "[1, 4096]"});
  expect_refused(dir, "crossbar " + write(dir / "x.toml", "[crossbar]\nhidden = [10.5]\n") + out,
                 {"x.toml:2: crossbar.hidden", "not a whole number"});
  // The network's keys (with `hidden`: the network is what is trained).
  for (const auto& [line, says] : {std::pair<std::string, std::string>{"max_pulses = 200", "must be in [1, 127]"},
                                   {"tile_rows = 0", "must be in [1, 4096]"},
                                   {"learning_rate = -1", "must be in (0, 1e6]"}})
    expect_refused(dir, "crossbar " + write(dir / "x.toml", "[crossbar]\nhidden = [10]\n" + line + "\n") + out,
                   {"x.toml:3: crossbar." + line + ": " + says});
  // A key the learner trained here does not read is refused, not ignored.
  expect_refused(dir, "crossbar " + write(dir / "x.toml", circuit + "learning_rate = 0.1\n") + out,
                 {"x.toml:4: crossbar.learning_rate = 0.1: read by the multi-layer network only",
                  "trains the single-layer digits learner", "remove it"});
  expect_refused(dir, "crossbar " + write(dir / "x.toml", circuit + "pool = true\n") + out,
                 {"x.toml:4: crossbar.pool = true: read with an MNIST `data` directory only"});
  const std::string mnist = source + "/experiments/crossbar_mnist.toml";
  expect_refused(dir, "crossbar " + mnist + " --set crossbar.softmax_beta=3" + out,
                 {"--set: crossbar.softmax_beta = 3: read by the single-layer digits learner only",
                  "trains the multi-layer network"});
  expect_refused(dir, "crossbar " + mnist + " --set crossbar.test_count=30" + out,
                 {"crossbar.test_count = 30: read with a digits `data` file only", "crossbar.test_images"});
  expect_refused(dir, "crossbar " + mnist + " --set crossbar.pulse_train_length=3" + out,
                 {"crossbar.pulse_train_length = 3: the multi-layer network reads it with rule = \"pulse_train\" only"});
  expect_refused(dir, "snn " + write(dir / "s.toml", "[snn]\nneuron = 4\n") + out, {"s.toml:2: snn.neuron = 4: unknown key, did you mean 'neurons'?"});
  expect_refused(dir, "snn " + write(dir / "s.toml", "[snn]\nmax_rate = 2\n") + out, {"s.toml:2: snn.max_rate = 2: must be in (0, 1]"});
  expect_refused(dir, "snn " + write(dir / "s.toml", "[snn]\nanneal = 0.0\n") + out, {"s.toml:2: snn.anneal = 0: must be in (0, 1]"});
  expect_refused(dir, "snn " + write(dir / "s.toml", "[snn]\ninput_spikes = 80\n") + out, {"s.toml:2: snn.input_spikes = 80: must be in [0, 64]"});
  expect_refused(dir, "snn " + write(dir / "s.toml", "[snn]\ntest_count = 2001\n") + out, {"s.toml:2: snn.test_count = 2001: must be in [10, 2000]"});
  // A data directory is read as MNIST: one without the IDX files is named.
  fs::create_directories(dir / "no_idx");
  const std::string snn_circuit = "[snn]\ntable = \"" + source + "/tables/polymer_thin\"\ndata = \"" + (dir / "no_idx").string() + "\"\n";
  expect_refused(dir, "snn " + write(dir / "s.toml", snn_circuit) + out,
                 {"no_idx/images-idx3-ubyte.gz: cannot open the file (expected a gzip'd IDX file"});
}

TEST(CliErrors, Demo) {
  const auto dir = scratch("demo");
  expect_refused(dir, "demo --out " + (dir / "out").string() + " --experiments " + (dir / "none").string(),
                 {"--experiments " + (dir / "none").string() + ": no relax_voltage.toml there"});
}

// Every command keeps an existing output directory unless --force.
// A file given to the wrong command (every command reads the same schema) is
// refused naming the command it is for, instead of running the default
// protocol and ignoring the section that mattered.
TEST(CliErrors, FileForAnotherCommandIsRefused) {
  const auto dir = scratch("wrong_command");
  const std::string out = " --out " + (dir / "out").string();
  const std::string xb = source + "/experiments/crossbar_digits.toml", snn = source + "/experiments/snn_digits.toml";
  const std::string cal = source + "/experiments/calibrate_polymer.toml", run_file = source + "/experiments/relax_time.toml";
  expect_refused(dir, "run " + xb + out,
                 {xb + ": a file for `ionrail crossbar` (it has [crossbar]) with nothing for `ionrail run` (no [protocol] "
                       "or [series]): run `ionrail crossbar " + xb + "`"});
  expect_refused(dir, "run " + cal + out, {"a file for `ionrail calibrate` (it has [calibration])"});
  expect_refused(dir, "replay " + source + "/tables/polymer --protocol " + xb + out,
                 {"with nothing for a protocol for `ionrail replay --protocol` (no [protocol] or [series])"});
  expect_refused(dir, "crossbar " + run_file + out, {"a file for `ionrail run` (it has [protocol])", "(no [crossbar])"});
  expect_refused(dir, "snn " + xb + out, {"a file for `ionrail crossbar`", "(no [snn])"});
  expect_refused(dir, "calibrate " + snn + out, {"a file for `ionrail snn`", "(no [calibration] or [measured_table])"});
  // A material file has no command's own section: every command takes it
  // (here `run` goes on to its work check, which --max-work 1 refuses).
  expect_refused(dir, "run " + source + "/materials/polymer.toml --max-work 1" + out, {"this run would take about"});
}

// Commands that used to print nothing on success say what they wrote.
TEST(CliErrors, PlotAndReplaySayWhatTheyWrote) {
  const auto dir = scratch("said");
  const std::string protocol = write(dir / "p.toml", "[protocol]\nkind = \"relax\"\npulse_s = 2\nrelax_s = 3\n");
  auto r = run("replay " + source + "/tables/polymer --protocol " + protocol + " --out " + (dir / "replay").string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ionrail replay: wrote " + (dir / "replay").string()), std::string::npos) << r.output;
  if (ionrail_test::run_command("command -v gnuplot").code != 0) return;
  r = run("plot " + (dir / "replay").string());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ionrail plot: redrew the plots of " + (dir / "replay").string()), std::string::npos) << r.output;
}

TEST(CliErrors, ExistingOutputIsKeptWithoutForce) {
  const auto dir = scratch("existing");
  const fs::path out = dir / "out";
  const std::string o = " --out " + out.string() + " --quiet";
  const fs::path t = table_copy(dir);
  const std::string commands[] = {
      "run " + write(dir / "run.toml", small_run) + o,
      "calibrate " + source + "/experiments/calibrate_polymer.toml" + o,
      "replay " + t.string() + " --protocol " + source + "/tests/data/heldout/pulses_3v.toml" + o,
      "crossbar " + source + "/experiments/crossbar_digits.toml" + o,
      "snn " + source + "/experiments/snn_digits.toml" + o,
      "demo --experiments " + source + "/experiments" + o,
  };
  for (const auto& c : commands) {
    SCOPED_TRACE(c);
    fs::create_directories(out);
    write(out / "mine.txt", "keep me");
    const auto r = run(c);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find(out.string() + ": output directory exists; use --force to replace it"), std::string::npos) << r.output;
    EXPECT_TRUE(fs::exists(out / "mine.txt"));
    for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().string().find(".partial-"), std::string::npos);
  }
  // --force replaces it (a short run).
  const auto r = run("run " + (dir / "run.toml").string() + o + " --force");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(out / "mine.txt"));
  EXPECT_TRUE(fs::exists(out / "trace.csv"));
}

// A killed command's DIR.partial-PID is removed by the next one on DIR.
TEST(CliErrors, StalePartialDirectoriesAreRemoved) {
  const auto dir = scratch("stale");
  fs::create_directories(dir / "out.partial-999999999");
  write(dir / "out.partial-999999999" / "trace.csv", "half");
  fs::create_directories(dir / "other.partial-999999999");
  const auto r = run("run " + write(dir / "run.toml", small_run) + " --out " + (dir / "out").string() + " --quiet");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out.partial-999999999"));
  EXPECT_TRUE(fs::exists(dir / "other.partial-999999999"));  // another output's: not ours to judge
}

}  // namespace
