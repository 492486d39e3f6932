// Issue 16, second pass: input that used to crash or be silently changed is
// refused with exit 2 and one message (docs/reliability.md, classes 4, 5, 7
// and 10). Every case runs `ionrail` as a child process, so that a crash shows
// as a signal (code -1) here instead of bringing the test runner down.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "cli_run.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <tuple>

namespace fs = std::filesystem;

namespace {

using result = ionrail_test::cli_result;

const std::string source = IONRAIL_SOURCE_DIR;

result run(const std::string& args) { return ionrail_test::run_command(std::string(IONRAIL_CLI) + " " + args); }

fs::path scratch(const std::string& name) { return ionrail_test::scratch_dir("ionrail_input_bounds_" + name); }

std::string write(const fs::path& p, const std::string& text) { return ionrail_test::write_file(p, text); }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Exit 2 (not a signal, not 1), every fragment in the output, quickly.
void expect_refused(const std::string& args, std::initializer_list<std::string> fragments) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run(args);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string shown = args.size() > 200 ? args.substr(0, 200) + "..." : args;
  EXPECT_EQ(r.code, 2) << shown << "\n" << r.output;
  for (const auto& f : fragments) EXPECT_NE(r.output.find(f), std::string::npos) << "lacks '" << f << "':\n" << r.output;
  EXPECT_LT(seconds, 10) << shown;
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

std::string repeat(const std::string& part, std::size_t n, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? sep : "") + part;
  return out;
}

// Class 4: what would overflow toml++'s stack is refused before parsing.
TEST(InputBounds, DeepTomlIsRefusedBeforeParsing) {
  const auto dir = scratch("deep");
  const std::string out = " --quiet --out " + (dir / "out").string();
  const auto file = [&](const std::string& text) { return write(dir / "deep.toml", text); };
  expect_refused("run " + file(repeat("a", 40000, ".") + " = 1\n") + out,
                 {"deep.toml:1: a dotted key or table header of more than 64 parts: at most 64"});
  expect_refused("run " + file("# header\n[" + repeat("a", 40000, ".") + "]\n") + out,
                 {"deep.toml:2: a dotted key or table header of more than 64 parts: at most 64"});
  expect_refused("run " + file("x = " + std::string(40000, '[') + std::string(40000, ']') + "\n") + out,
                 {"deep.toml:1: arrays, inline tables and table headers nested more than 64 deep: at most 64"});
  expect_refused("run " + file("x = " + repeat("{a = ", 40000, "") + "1" + std::string(40000, '}') + "\n") + out,
                 {"deep.toml:1: arrays, inline tables and table headers nested", "at most 64"});
  expect_refused("run " + file("x = 1\ny = \"" + std::string((4u << 20) + 1, 'a') + "\"\n") + out,
                 {"deep.toml:2: a line of more than 4194304 bytes"});
  // The same through --set: the key and the value.
  const std::string run_file = write(dir / "run.toml", small_run);
  expect_refused("run " + run_file + out + " --set " + repeat("a", 40000, ".") + "=1",
                 {"--set a.a.a", "a dotted key of more than 64 parts: at most 64"});
  expect_refused("run " + run_file + out + " --set 'device.sites=" + std::string(40000, '[') + "'",
                 {"--set device.sites=[[[", "nested more than 64 deep: at most 64"});
}

// Brackets, dots and '#' inside strings and comments are not counted, and
// a key of 64 parts or nesting 64 deep is still read (by toml++).
TEST(InputBounds, StringsAndCommentsAreNotCounted) {
  const auto dir = scratch("strings");
  const std::string out = " --quiet --out " + (dir / "out").string();
  const std::string deep_text = std::string(100, '[') + repeat("a", 100, ".") + std::string(100, '{');
  const std::string text = small_run + "# " + deep_text + "\n[notes]\n" + "a = \"" + deep_text + "\\\"" + deep_text +
                           "\"\nb = '" + deep_text + "'\nc = \"\"\"\n" + deep_text + "\n\"\"\"\"\nd = '''" + deep_text +
                           "''''\n";
  // Read past the bounds to the schema: [notes] is an unknown section.
  const auto r = run("run " + write(dir / "s.toml", text) + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("notes"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("at most 64"), std::string::npos) << r.output;
  const auto at_limit = run("run " + write(dir / "k.toml", small_run + "[x]\n" + repeat("a", 63, ".") + " = [" +
                                                             std::string(62, '[') + std::string(62, ']') + "]\n") + out);
  EXPECT_EQ(at_limit.code, 2) << at_limit.output;
  EXPECT_EQ(at_limit.output.find("at most 64"), std::string::npos) << at_limit.output;
}

// Class 4 and 7: every numeric option is checked on its text.
TEST(InputBounds, CountOptionsHaveRanges) {
  const auto dir = scratch("options");
  const std::string run_file = write(dir / "run.toml", small_run);
  const std::string out = " --quiet --out " + (dir / "out").string();
  const std::string sweep = "sweep " + run_file + out + " --jobs ";
  for (const std::string v : {"0", "-1", "-3", "1025", "100000", "99999999999999999999", "1.5", "1e3", "x"})
    expect_refused(sweep + v, {"--jobs", v + " is not an integer in [1, 1024]"});
  for (const std::string v : {"-1", "4097", "99999999999999999999", "2.0"})
    for (const std::string cmd : {"run", "crossbar", "snn"})
      expect_refused(cmd + " " + run_file + out + " --threads " + v, {"--threads", v + " is not an integer in [0, 4096]"});
  for (const std::string v : {"-1", "1025", "99999999999999999999"})
    expect_refused(sweep + "1 --gpus-per-node " + v, {"--gpus-per-node", v + " is not an integer in [0, 1024]"});
  for (const std::string v : {"-1", "nan", "inf", "1e10"}) {
    expect_refused("run " + run_file + out + " --checkpoint-every " + v, {"--checkpoint-every", v + " is not a number of seconds"});
    expect_refused("calibrate " + run_file + out + " --checkpoint-every " + v, {"--checkpoint-every", v + " is not a number of seconds"});
  }
}

// Class 7: the seed is 0 .. 2^64 - 1, nothing else, nothing clamped.
TEST(InputBounds, SeedIsAnUnsigned64BitInteger) {
  const auto dir = scratch("seed");
  const std::string run_file = write(dir / "run.toml", small_run);
  const std::string out = " --quiet --out " + (dir / "out").string();
  for (const std::string v : {"-1", "18446744073709551616", "1e3", "+5", "0x10", "1.0"})
    expect_refused("run " + run_file + out + " --seed " + v, {"--seed", v + " is not an integer in [0, 18446744073709551615]"});
  expect_refused("run " + run_file + out + " --set sim.seed=-1", {"sim.seed = -1: expected an integer >= 0"});
  expect_refused("run " + run_file + out + " --set sim.seed=18446744073709551616",
                 {"sim.seed = \"18446744073709551616\": must be in [0, 18446744073709551615]"});
  for (const std::string v : {"18446744073709551615", "9223372036854775808"}) {
    const auto r = run("run " + run_file + out + " --force --seed " + v);
    ASSERT_EQ(r.code, 0) << v << "\n" << r.output;
    std::ifstream in(dir / "out" / "summary.json");
    const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(json.find(v), std::string::npos) << "the seed is not kept exactly: " << v;
  }
}

// Class 10a: a truncated gzip digits file is bad input (exit 2) naming it.
TEST(InputBounds, TruncatedDigitsFileIsRefused) {
  const auto dir = scratch("digits");
  std::ifstream in(source + "/data/digits.csv.gz", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  const fs::path half = dir / "half.csv.gz";
  std::ofstream(half, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const std::string out = " --quiet --out " + (dir / "out").string() + " --set crossbar.data=" + half.string();
  expect_refused("crossbar " + source + "/experiments/crossbar_digits.toml" + out,
                 {half.string() + ": gzip data truncated or corrupted"});
  const std::string snn_out = " --quiet --out " + (dir / "out").string() + " --set snn.data=" + half.string();
  expect_refused("snn " + source + "/experiments/snn_digits.toml" + snn_out,
                 {half.string() + ": gzip data truncated or corrupted"});
  EXPECT_FALSE(fs::exists(dir / "out"));
}

// Class 5 for the data sets: a device named as the digits file or as an IDX
// file is refused by type (it used to be read until memory ran out), and a
// small file that inflates past the bound (64 MiB for a CSV) is refused
// while it inflates, with bytes after the gzip data.
TEST(InputBounds, DataFileThatIsADeviceOrInflatesWithoutEndIsRefused) {
  const auto dir = scratch("data_files");
  const std::string xb = "crossbar " + source + "/experiments/crossbar_digits.toml --quiet --out " + (dir / "out").string();
  expect_refused(xb + " --set crossbar.data=/dev/zero", {"/dev/zero", "a character device, not a regular file"});
  const fs::path idx = dir / "idx";
  fs::create_directories(idx);
  fs::create_symlink("/dev/zero", idx / "images-idx3-ubyte.gz");
  fs::copy_file(source + "/data/mnist10k/labels-idx1-ubyte.gz", idx / "labels-idx1-ubyte.gz");
  expect_refused("crossbar " + source + "/experiments/crossbar_mnist.toml --quiet --out " + (dir / "out").string() +
                     " --set crossbar.data=" + idx.string(),
                 {(idx / "images-idx3-ubyte.gz").string() + ": cannot open the file (expected a gzip'd IDX file",
                  "a character device"});
  const fs::path bomb = dir / "bomb.csv.gz";
  ASSERT_EQ(ionrail_test::run_command("head -c 67108865 /dev/zero | gzip -1 > " + bomb.string()).code, 0);
  ASSERT_LT(fs::file_size(bomb), 1u << 20);
  expect_refused(xb + " --set crossbar.data=" + bomb.string(), {bomb.string() + ": inflates to more than 64 MiB"});
  const fs::path tail = dir / "tail.csv.gz";
  ASSERT_EQ(ionrail_test::run_command("cp " + source + "/data/digits.csv.gz " + tail.string() + " && printf junk >> " +
                                      tail.string())
                .code,
            0);
  expect_refused(xb + " --set crossbar.data=" + tail.string(), {tail.string() + ": 4 bytes after the end of the gzip data"});
  EXPECT_FALSE(fs::exists(dir / "out"));
}

// Class 10b: --quiet prints nothing, gnuplot's warnings included.
TEST(InputBounds, QuietRunWithPlotsPrintsNothing) {
  if (ionrail_test::run_command("command -v gnuplot").code != 0) GTEST_SKIP() << "gnuplot not installed";
  const auto dir = scratch("quiet");
  std::string text = small_run;
  text.replace(text.find("plots = false"), 13, "plots = true");
  const auto r = run("run " + write(dir / "run.toml", text) + " --quiet --out " + (dir / "out").string());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "");
  EXPECT_TRUE(fs::exists(dir / "out" / "plots.gp"));
}

// Class 10c: a temperature at which every hop rate underflows names the key
// the user set and the lowest temperature the material allows.
TEST(InputBounds, TooColdIsRefusedNamingTheTemperature) {
  const auto dir = scratch("cold");
  std::string text = small_run;
  text.replace(text.find("activation_energy_ev = 0"), 24, "activation_energy_ev = 0.5");
  text.replace(text.find("attempt_frequency_hz = 1\n"), 25, "attempt_frequency_hz = 1e12\n");
  const std::string out = " --quiet --out " + (dir / "out").string();
  expect_refused("run " + write(dir / "cold.toml", text + "[sim]\nseed = 1\n") + out + " --set device.temperature_k=5",
                 {"device.temperature_k = 5: hop rates underflow", "the lowest temperature this material allows is 8.2 K"});
  expect_refused("run " + write(dir / "cold2.toml", text) + out + " --set protocol.temperatures_k=[300,5]",
                 {"protocol.temperatures_k[1] = 5: hop rates underflow", "lowest temperature this material allows is"});
  // At the bound itself the run goes.
  const auto r = run("run " + write(dir / "warm.toml", text) + out + " --set device.temperature_k=8.2");
  EXPECT_EQ(r.code, 0) << r.output;
}

// Class 5: the work is estimated before anything runs; a run that would not
// end is refused naming the estimate and the key, and leaves nothing.
TEST(InputBounds, WorkIsEstimatedBeforeStarting) {
  const auto dir = scratch("work");
  const std::string run_file = write(dir / "run.toml", small_run);
  const fs::path out = dir / "out";
  const std::string opts = " --quiet --out " + out.string();
  auto nothing_left = [&] {
    for (const auto& e : fs::directory_iterator(dir))
      EXPECT_EQ(e.path().filename(), "run.toml") << "left behind: " << e.path();
  };
  expect_refused("run " + run_file + opts + " --set sim.dt_s=1e-300",
                 {run_file + ": this run would take about", "steps of sim.dt_s = 1e-300 s", "--max-work"});
  nothing_left();
  expect_refused("run " + run_file + opts + " --set protocol.voltage_v=1000", {"the hop rate overflows at |V| = 1e+03 V"});
  expect_refused("run " + run_file + opts + " --set protocol.voltage_v=100", {"automatic steps", "|V| = 100 V"});
  nothing_left();
  for (const std::string v : {"0", "-1", "nan", "inf", "x"})
    expect_refused("run " + run_file + opts + " --max-work " + v, {"--max-work", v + " is not a number of hop attempts"});

  // The limit is on all variants together: each of two alone fits in 1.5 of
  // one variant's work, both do not.
  const auto one = run("run " + run_file + opts + " --max-work 1");
  ASSERT_EQ(one.code, 2) << one.output;
  const std::size_t at = one.output.find("would take about ");
  ASSERT_NE(at, std::string::npos) << one.output;
  const double attempts = std::stod(one.output.substr(at + 17));
  ASSERT_GT(attempts, 1e4);
  const std::string limit = std::to_string(1.5 * attempts);
  expect_refused("run " + run_file + opts + " --set protocol.temperatures_k=[300,300.5] --max-work " + limit,
                 {"its 2 variants would take about", "--max-work"});
  nothing_left();
  const auto ran = run("run " + run_file + opts + " --max-work " + limit);
  EXPECT_EQ(ran.code, 0) << ran.output;
  EXPECT_TRUE(fs::exists(out / "summary.json"));
}

// `ionrail plot DIR` reads DIR/plots.gp as any input: a FIFO there once
// blocked it (and the gnuplot it started) for ever.
TEST(InputBounds, PlotRefusesAPlotsGpThatIsNotAFile) {
  const auto dir = scratch("plot_fifo");
  ASSERT_EQ(::mkfifo((dir / "plots.gp").c_str(), 0600), 0);
  expect_refused("plot " + dir.string(), {"plots.gp: cannot read it (a FIFO, not a regular file)"});
}

// --force replaces DIR: never when DIR holds an input of the command
// (replay and export of a table into its own directory deleted the table).
TEST(InputBounds, ForceNeverDeletesAnInput) {
  const auto dir = scratch("force_input");
  const fs::path table = dir / "table";
  fs::copy(source + "/tables/polymer_thin", table, fs::copy_options::recursive);
  const std::string protocol = write(dir / "p.toml", "[protocol]\nkind = \"pulses\"\nn_pot = 2\nn_dep = 2\nv_pot_v = 4\n"
                                                      "v_dep_v = -4\nwidth_s = 0.2\ngap_s = 0.3\n");
  expect_refused("replay " + table.string() + " --protocol " + protocol + " --quiet --force --out " + table.string(),
                 {"--out " + table.string() + ": holds ", "an input of this command: --force would delete it"});
  expect_refused("export spice " + table.string() + " --quiet --force --out " + table.string(),
                 {"an input of this command: --force would delete it"});
  expect_refused("replay " + table.string() + " --protocol " + protocol + " --quiet --force --out " + dir.string(),
                 {"an input of this command: --force would delete it"});
  EXPECT_TRUE(fs::exists(table / "table.json"));
  EXPECT_TRUE(fs::exists(table / "table.hex"));
  // Another DIR is replaced as before.
  EXPECT_EQ(run("replay " + table.string() + " --protocol " + protocol + " --quiet --out " + (dir / "r").string()).code, 0);
  EXPECT_EQ(run("replay " + table.string() + " --protocol " + protocol + " --quiet --force --out " + (dir / "r").string()).code, 0);
}

// replay read table.csv and export the hex files: each missed an edit the
// other caught. Both now read a directory only when every format holds
// the same table. And replay refuses a pulse no model step would apply.
TEST(InputBounds, ReplayAndExportRefuseAnEditedTableAndAnUnseenPulse) {
  const auto dir = scratch("tampered");
  const fs::path table = dir / "table";
  auto fresh = [&] {
    fs::remove_all(table);
    fs::copy(source + "/tables/polymer_thin", table, fs::copy_options::recursive);
  };
  const std::string protocol = write(dir / "p.toml", "[protocol]\nkind = \"pulses\"\nn_pot = 2\nn_dep = 2\nv_pot_v = 4\n"
                                                      "v_dep_v = -4\nwidth_s = 0.2\ngap_s = 0.3\n");
  const std::string replay = "replay " + table.string() + " --protocol " + protocol + " --quiet --out " + (dir / "r").string();
  const std::string exp = "export spice " + table.string() + " --quiet --out " + (dir / "e").string();
  fresh();
  {
    std::string hex = slurp(table / "table.hex");
    write(table / "table.hex", hex.substr(0, hex.size() / 2));
  }
  expect_refused(replay, {(table / "table.hex").string()});
  fresh();
  {
    std::string csv = slurp(table / "table.csv");
    const auto line = csv.find('\n', csv.find('\n') + 1) + 1;  // the second data row
    const auto comma = csv.find(',', csv.find(',', csv.find(',', line) + 1) + 1);
    csv.replace(comma + 1, csv.find(',', comma + 1) - comma - 1, "0.5");  // its drift
    write(table / "table.csv", csv);
  }
  expect_refused(exp, {(table / "table.csv").string()});
  fresh();
  {
    std::string json = slurp(table / "table.json");
    json.replace(json.find("\"s_eq\":"), 11, "\"s_eq\":7.00");
    write(table / "table.json", json);
  }
  expect_refused(replay, {"s_eq = 7", "expected a state in [0, 1]"});
  // The other numbers the commands read from table.json (not under the
  // table's checksum): a rail count cast to int, variances under a root.
  for (const auto& [key, edit, says] :
       {std::tuple<std::string, std::string, std::string>{"\"device_rails\":", "\"device_rails\":-5,", "device_rails = -5: expected a whole number"},
        {"\"device_rails\":", "\"device_rails\":1e300,", "device_rails = 1e+300"},
        {"\"initial_variance\":", "\"initial_variance\":-1,", "initial_variance = -1: expected a variance"},
        {"\"initial_slow_variance\":", "\"initial_slow_variance\":0.5,", "initial_slow_variance = 0.5"},
        // A step this short made the exported netlist's coefficients infinite.
        {"\"dt_m_s\":", "\"dt_m_s\":1e-300,", "dt_m_s = 1e-300: expected a model step in [1e-9, 1000] s"}}) {
    SCOPED_TRACE(edit);
    fresh();
    std::string json = slurp(table / "table.json");
    const auto at = json.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    json.replace(at, json.find(',', at) + 1 - at, edit);
    write(table / "table.json", json);
    expect_refused(replay, {(table / "table.json").string(), says});
    expect_refused(exp, {says});
  }
  fresh();
  expect_refused(replay + " --set protocol.width_s=0.001", {"a pulse or gap shorter than a model step"});
  // Wherever it falls: a 30 ms pulse whose middle met a step's middle was
  // replayed as a whole 50 ms step at its voltage.
  expect_refused(replay + " --set protocol.width_s=0.03 --set protocol.gap_s=0.47",
                 {"holds 4 V for 0.03 s", "a pulse or gap shorter than a model step"});
  // A protocol shorter than one step replayed nothing and exited 0.
  expect_refused(replay + " --set protocol.n_pot=1 --set protocol.n_dep=0 --set protocol.width_s=0.01 --set protocol.gap_s=0.01",
                 {"less than one model step of dt_m_s = 0.05 s", "nothing would be replayed"});
  expect_refused(replay + " --set protocol.v_pot_v=100", {"the compact model's voltage holds at most"});
  EXPECT_FALSE(fs::exists(dir / "r"));
  EXPECT_FALSE(fs::exists(dir / "e"));
  EXPECT_EQ(run(replay).code, 0);
}

// And while it runs: space charge in a thick film shortens the automatic
// step far below what the estimate assumes (the run once went on without
// end, whatever --max-work). The engine stops at the limit: exit 2, nothing
// written.
TEST(InputBounds, WorkIsBoundedWhileItRuns) {
  const auto dir = scratch("work_running");
  const fs::path out = dir / "out";
  // The estimate for this film is about 2.1e6 attempts; a limit a little
  // above it passes the check before the start and is reached while running
  // (kept small: under the sanitizers each attempt costs ~25 times more).
  expect_refused("run " + source + "/experiments/relax_time.toml --quiet --out " + out.string() +
                     " --set device.thickness_nm=10000 --set device.rails=20 --max-work 5e6",
                 {"passed its work limit of 5e+06 hop attempts (--max-work)", "space charge"});
  EXPECT_FALSE(fs::exists(out));
}

// Class 5 for the circuits: crossbar and snn training estimate their device
// updates before the output directory exists.
TEST(InputBounds, CircuitTrainingWorkIsEstimatedBeforeStarting) {
  const auto dir = scratch("circuits");
  const fs::path out = dir / "out";
  const std::string opts = " --quiet --out " + out.string();
  const std::string xb = "crossbar " + source + "/experiments/crossbar_digits.toml" + opts;
  expect_refused(xb + " --set crossbar.epochs=1000 --set crossbar.rest_steps=1000000",
                 {"crossbar_digits.toml: this training would take about", "crossbar.rest_steps = 1000000", "--max-work"});
  expect_refused(xb + " --max-work 1000", {"device updates", "beyond the limit of 1e+03"});
  const std::string snn = "snn " + source + "/experiments/snn_digits.toml" + opts;
  expect_refused(snn + " --set snn.neurons=10000 --set snn.epochs=100 --set snn.present_steps=10000",
                 {"snn_digits.toml: this training would take about", "snn.neurons = 10000", "--max-work"});
  expect_refused(snn + " --max-work 1000", {"device updates", "beyond the limit of 1e+03"});
  // Memory too: each tile holds its own table, so 1 x 1 tiles of a wide
  // layer need gigabytes (the network once started and was killed).
  const auto mem = ionrail_test::run_command(
      "IONRAIL_MEMORY_LIMIT_MB=100 " + std::string(IONRAIL_CLI) + " crossbar " + source + "/experiments/crossbar_mnist.toml" +
      opts + " --set crossbar.hidden=[512] --set crossbar.tile_rows=1 --set crossbar.tile_cols=1");
  EXPECT_EQ(mem.code, 2) << mem.output;
  EXPECT_NE(mem.output.find("tiles of crossbar.tile_rows x tile_cols = 1 x 1 cells"), std::string::npos) << mem.output;
  EXPECT_FALSE(fs::exists(out));
  for (const auto& e : fs::directory_iterator(dir)) ADD_FAILURE() << "left behind: " << e.path();
}

// The memory limit of the environment is used or refused, never replaced by
// the machine's memory without a word.
TEST(InputBounds, MemoryLimitOfTheEnvironmentThatIsNotANumberIsRefused) {
  const auto dir = scratch("memory_env");
  const std::string args = " run " + source + "/experiments/relax_time.toml --quiet --out " + (dir / "out").string();
  for (const std::string value : {"abc", "-5", "0", "nan", "1e400", "12MB"}) {
    const auto r = ionrail_test::run_command("IONRAIL_MEMORY_LIMIT_MB='" + value + "' " + std::string(IONRAIL_CLI) + args);
    EXPECT_EQ(r.code, 2) << value << "\n" << r.output;
    EXPECT_NE(r.output.find("IONRAIL_MEMORY_LIMIT_MB = '" + value + "': expected a number of MiB in (0, 1e12]"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(fs::exists(dir / "out"));
  }
}

// OMP_NUM_THREADS is what "all cores" (threads 0) takes: 100000 crashed
// libgomp creating the team (SIGSEGV, DIR.partial and DIR.lock left).
TEST(InputBounds, ThreadCountOfTheEnvironmentIsBounded) {
  const auto dir = scratch("omp_env");
  const auto r = ionrail_test::run_command("OMP_NUM_THREADS=100000 " + std::string(IONRAIL_CLI) + " run " + source +
                                           "/experiments/relax_time.toml --quiet --out " + (dir / "out").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("OMP_NUM_THREADS = '100000': at most 4096 threads"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
