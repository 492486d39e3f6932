// Bad input, everywhere a user's file enters (docs/reliability.md): each case
// is refused with one line naming the file (and line or key), the value and
// the valid range. Configuration keys, ranges and types are covered in
// test_config; this file covers what depends on several keys (ions vs sites,
// dt vs the rates, memory), the files a configuration names (waveforms,
// site-energy CSVs), response tables in each format, known-answer vector
// files and the fuzzers' regression inputs.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <ionrail/runs/calibrate.hpp>
#include <ionrail/calibration/table_build.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/model_io/table_files.hpp>
#include <ionrail/kmc/protocol.hpp>

#include <ionrail/kat/kat.hpp>

#include "scratch.hpp"

namespace fs = std::filesystem;

namespace {

using namespace ionrail;

// A fresh directory per test (tests/support/scratch.hpp).
struct scratch : ionrail_test::scratch {
  scratch() : ionrail_test::scratch("ionrail_input_") {}
};

::testing::AssertionResult has(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "message: " << text << "\n  lacks: " << part;
}

std::string config_error_of(const scratch& s, const std::string& text, const std::vector<std::string>& sets = {}) {
  const std::string file = s.write("run.toml", text);
  try {
    config::load_run_config(file, sets);
  } catch (const ionrail::input_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << "not one line: " << what;
    return what;
  }
  ADD_FAILURE() << "no config_error for:\n" << text;
  return {};
}

// ---------------------------------------------------------------- configurations

TEST(InputErrors, MoreIonsThanSites) {
  scratch s;
  const std::string run = s.path("run.toml");
  EXPECT_TRUE(has(config_error_of(s, "[device]\nsites = 10\n[[species]]\nname = \"a\"\nfill = 0.7\n[[species]]\nname = \"b\"\nfill = 0.5\n"),
                  "species fill (ions per rail) = 12: must not exceed device.sites = 10"));
  EXPECT_TRUE(has(config_error_of(s, "[[species]]\nfill = 0\n"), "species fill (ions per rail) = 0: must give at least one ion per rail"));
}

TEST(InputErrors, NegativeOrZeroSizes) {
  scratch s;
  const std::string run = s.path("run.toml");
  EXPECT_EQ(config_error_of(s, "[device]\nrails = 0\n"), run + ":2: device.rails = 0: must be >= 1");
  EXPECT_EQ(config_error_of(s, "[device]\nsites = -3\n"), run + ":2: device.sites = -3: must be in [2, 65533]");
  EXPECT_EQ(config_error_of(s, "[device]\nthickness_nm = 0\n"), run + ":2: device.thickness_nm = 0: must be finite and > 0");
  EXPECT_EQ(config_error_of(s, "[device]\narea_um2 = -1\n"), run + ":2: device.area_um2 = -1: must be in (0, 1e12] um^2 (at most 1 m^2)");
  EXPECT_EQ(config_error_of(s, "[device]\nrails = 2147483600\n"), run + ":2: device.rails = 2147483600: must be <= 2147483584");
  EXPECT_TRUE(has(config_error_of(s, "[calibration]\ndevices = 0\n"), run + ":2: calibration.devices = 0: must be in [2, 255]"));
}

TEST(InputErrors, NanAndInfinity) {
  scratch s;
  const std::string run = s.path("run.toml");
  EXPECT_EQ(config_error_of(s, "[field]\nrel_permittivity = nan\n"), run + ":2: field.rel_permittivity = nan: must be finite and > 0");
  EXPECT_EQ(config_error_of(s, "[sim]\ndt_s = inf\n"), run + ":2: sim.dt_s = inf: must be >= 0 (0: automatic from p_max)");
  EXPECT_EQ(config_error_of(s, "[protocol]\nvoltage_v = -inf\n"), run + ":2: protocol.voltage_v = -inf: must be finite, |value| <= 1000");
  EXPECT_TRUE(has(config_error_of(s, "[[species]]\nattempt_frequency_hz = nan\n"),
                  run + ":2: species[0].attempt_frequency_hz = nan: must be finite and > 0"));
  // In a CSV a configuration names: the file and its line.
  s.write("e.csv", "0.1\n0.2\nnan\n");
  EXPECT_EQ(config_error_of(s, "[device]\nsites = 3\nsite_energy_csv = \"e.csv\"\n"),
            run + ":3: device.site_energy_csv = \"e.csv\": " + s.path("e.csv") + ":3: value 2 = nan: must be finite");
  s.write("p.csv", "1, 1, inf\n");
  EXPECT_TRUE(has(config_error_of(s, "[device]\nsites = 3\ninitial_profile_csv = \"p.csv\"\n"),
                  s.path("p.csv") + ":1: value 2 = inf: must be finite"));
}

TEST(InputErrors, StepTooLargeForTheRates) {
  scratch s;
  const std::string run = s.path("run.toml");
  // Ea = 0, nu0 = 1e6 Hz: rates ~1e6 /s, so dt_s = 1e-3 makes p ~ 1e3.
  const std::string device = "[[species]]\nactivation_energy_ev = 0\nattempt_frequency_hz = 1e6\n";
  const std::string e = config_error_of(s, device + "[sim]\ndt_s = 1e-3\n");
  EXPECT_TRUE(has(e, run + ":5: sim.dt_s = 0.001: the hop probability (rate right + rate left) x dt reaches ")) << e;
  EXPECT_TRUE(has(e, "must be < 1: dt_s < ")) << e;
  EXPECT_TRUE(has(e, "or dt_s = 0 for the automatic step")) << e;
  // Set on the command line: named as such.
  EXPECT_TRUE(has(config_error_of(s, device, {"sim.dt_s=1e-3"}), "--set: sim.dt_s = 0.001: the hop probability"));
  // A step that keeps p < 1 loads; BKL ignores dt_s.
  EXPECT_NO_THROW(config::load_run_config(s.write("ok.toml", device + "[sim]\ndt_s = 1e-8\n")));
  EXPECT_NO_THROW(config::load_run_config(s.write("bkl.toml", device + "[sim]\nmethod = \"bkl\"\ndt_s = 1e-3\n")));
  // The check is at the largest |V| of the protocol and the temperature of the run.
  const std::string hot = config_error_of(s, device + "[device]\ntemperature_k = 1000\n[sim]\ndt_s = 1e-6\n[protocol]\nvoltage_v = 900\n");
  EXPECT_TRUE(has(hot, "at |V| = 900 V")) << hot;
  EXPECT_TRUE(has(hot, "at T = 1000 K")) << hot;
}

TEST(InputErrors, BklIonIdsAndTraceRows) {
  scratch s;
  const std::string run = s.path("run.toml");
  EXPECT_TRUE(has(config_error_of(s, "[device]\nrails = 200000000\n[sim]\nmethod = \"bkl\"\n"),
                  run + ":4: sim.method = \"bkl\": holds at most 4294967294 ions"));
  EXPECT_TRUE(has(config_error_of(s, "[protocol]\nsample_every_s = 1e-9\n"),
                  run + ":2: protocol.sample_every_s = 1e-09: gives 4.9e+10 trace rows over the 49 s protocol; at most 1e+08"));
  EXPECT_TRUE(has(config_error_of(s, "[protocol]\nrelax_s = 1e9\n"),
                  run + ":1: protocol.sample_every_s = 0.1 (default): gives 1e+10 trace rows"));
}

TEST(InputErrors, ProtocolsThatCannotBeBuilt) {
  scratch s;
  const std::string run = s.path("run.toml");
  EXPECT_TRUE(has(config_error_of(s, "[protocol]\nkind = \"pulses\"\nn_pot = 2000000000\n"),
                  run + ":3: protocol.n_pot = 2000000000: must be <= 1000000"));
  EXPECT_TRUE(has(config_error_of(s, "[protocol]\nkind = \"pulses\"\nwidth_s = 1e-10\n"),
                  run + ":3: protocol.width_s = 1e-10: must be > 2e-09 s"));
  EXPECT_TRUE(has(config_error_of(s, "[protocol]\nkind = \"sweep\"\nrate_v_per_s = 1e-300\n"),
                  run + ":3: protocol.rate_v_per_s = 1e-300: makes the protocol last"));
  EXPECT_TRUE(has(config_error_of(s, "[protocol]\npulse_s = 1e300\n"), run + ":2: protocol.pulse_s = 1e+300: makes the protocol last"));
}

std::string waveform_error(const scratch& s, const std::string& csv) {
  s.write("w.csv", csv);
  return config_error_of(s, "[protocol]\nkind = \"waveform\"\nwaveform_csv = \"w.csv\"\n");
}

TEST(InputErrors, Waveforms) {
  scratch s;
  const std::string at = s.path("run.toml") + ":3: protocol.waveform_csv = \"w.csv\": " + s.path("w.csv");
  EXPECT_EQ(waveform_error(s, "time_s,volts\n0,0\n1,1\n1,2\n"),
            at + ":4: time_s = 1 does not increase (previous 1): times must be strictly increasing");
  EXPECT_EQ(waveform_error(s, "0,0\n2,1\n1,2\n"), at + ":3: time_s = 1 does not increase (previous 2): times must be strictly increasing");
  EXPECT_EQ(waveform_error(s, "0,0\n1,nan\n"), at + ":2: volts = nan: must be finite, |V| <= 1000");
  EXPECT_EQ(waveform_error(s, "0,0\ninf,1\n"), at + ":2: time_s = inf: must be finite and >= 0");
  EXPECT_EQ(waveform_error(s, "0,0\n1,5000\n"), at + ":2: volts = 5000: must be finite, |V| <= 1000");
  EXPECT_EQ(waveform_error(s, "0.5,0\n1,1\n"), at + ":1: time_s = 0.5: the first time_s must be 0");
  EXPECT_EQ(waveform_error(s, "0,0\n1,1,2\n"), at + ":2: expected 'time_s,volts' numbers, got '1,1,2'");
  EXPECT_EQ(waveform_error(s, "0,0\n0x10,1\n"), at + ":2: expected 'time_s,volts' numbers, got '0x10,1'");
  EXPECT_EQ(waveform_error(s, "0,0\n"), at + ": 1 (time_s, volts) rows: a waveform needs at least two");
  EXPECT_EQ(waveform_error(s, ""), at + ": 0 (time_s, volts) rows: a waveform needs at least two");
  EXPECT_EQ(waveform_error(s, "0,0\r\n1,1\r\n2,x\r\n"), at + ":3: expected 'time_s,volts' numbers, got '2,x'");
}

// ---------------------------------------------------------------- memory

TEST(InputErrors, SizesBeyondTheMachinesMemoryAreRefusedBeforeAllocating) {
  scratch s;
  // 2e9 rails x 20000 ions: petabytes. Refused with the estimate, before
  // anything is allocated or written.
  const std::string file = s.write("big.toml", "[device]\nsites = 60000\nrails = 2000000000\n[output]\nplots = false\n");
  runs::run_options o;
  o.out_dir = s.path("out");
  o.quiet = true;
  try {
    runs::run_experiment(file, o);
    FAIL() << "ran a petabyte engine";
  } catch (const ionrail::input_error& e) {
    const std::string what = e.what();
    EXPECT_TRUE(has(what, file + ": device.rails = 2000000000 x 20000 ions per rail on device.sites = 60000")) << what;
    EXPECT_TRUE(has(what, "needs about ")) << what;
    EXPECT_TRUE(has(what, "GiB, more than the ")) << what;
    EXPECT_TRUE(has(what, "this machine has available")) << what;
  }
  EXPECT_FALSE(fs::exists(s.path("out")));
  // A limit set for the process (a shared host) counts too.
  ::setenv("IONRAIL_MEMORY_LIMIT_MB", "1", 1);
  const std::string small = s.write("small.toml", "[device]\nrails = 20000\n[output]\nplots = false\n");
  try {
    runs::run_experiment(small, o);
    ADD_FAILURE() << "ran beyond IONRAIL_MEMORY_LIMIT_MB";
  } catch (const ionrail::input_error& e) {
    EXPECT_TRUE(has(e.what(), "(IONRAIL_MEMORY_LIMIT_MB)"));
  }
  ::unsetenv("IONRAIL_MEMORY_LIMIT_MB");
  EXPECT_FALSE(fs::exists(s.path("out")));
  EXPECT_GT(calibration::available_memory_bytes(), 1e6);
}

// ---------------------------------------------------------------- tables

fs::path table_dir(const scratch& s) {
  const fs::path dir = s.dir() / "table";
  calibration::transition_bins b(4, 0.5, 2.0, 1);
  for (int i = 0; i < b.n_s; ++i)
    for (int j = 0; j < b.n_v; ++j)
      for (int n = 0; n < 6; ++n) b.add(i * b.ds, b.v0 + j * b.dv, 0.01 * (0.5 - i * b.ds));
  kmc::readout_params ro;
  calibration::write_table(dir.string(), calibration::build_table(b, ro, 0.25, 1e-5), "{\"dt_m_s\": 0.05}");
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replace_in(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = slurp(file);
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  std::ofstream(file, std::ios::binary) << text;
}

std::string table_error(const fs::path& dir, model_io::table_format f) {
  try {
    model_io::load_table(dir.string(), f);
  } catch (const ionrail::input_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "loaded a bad table";
  return {};
}

TEST(InputErrors, TableMetadata) {
  scratch s;
  const fs::path dir = table_dir(s);
  const std::string json = (dir / "table.json").string();
  const std::string good = slurp(dir / "table.json");
  auto with = [&](const std::string& from, const std::string& to) {
    std::ofstream(dir / "table.json", std::ios::binary) << good;
    replace_in(dir / "table.json", from, to);
    return table_error(dir, model_io::table_format::hex);
  };
  EXPECT_EQ(with("\"format_version\": 2", "\"format_version\": 1"), json + ": format_version = 1: this build reads version 2");
  EXPECT_EQ(with("\"format_version\": 2", "\"format_version\": -"), json + ": format_version = -: expected a finite number");
  EXPECT_EQ(with("\"format_version\": 2", "\"format_version\": 1e999"), json + ": format_version = 1e999: expected a finite number");
  EXPECT_EQ(with("\"n_s\": 17", "\"n_s\": 1e12"), json + ": n_s = 1e12: expected an integer in [0, 1048576]");
  EXPECT_EQ(with("\"n_s\": 17", "\"n_s\": 2.5"), json + ": n_s = 2.5: expected an integer in [0, 1048576]");
  EXPECT_TRUE(has(with("\"n_s\": 17", "\"n_s\": 18"), json + ": grid n_s = 18, n_v = "));
  const std::string sum = with("\"checksum\": \"", "\"checksum\": \"zz");
  EXPECT_TRUE(has(sum, json + ": checksum = \"zz")) << sum;
  EXPECT_TRUE(has(sum, "\": expected 16 hex digits")) << sum;
  EXPECT_EQ(with("\"n_v\"", "\"n_w\""), json + ": missing key \"n_v\"");
  // A huge grid with small files: refused before the table is allocated.
  const std::string huge = with("\"n_s\": 17, \"n_v\": 9, \"s_log2_step\": 4, \"v_log2_step\": 10",
                                "\"n_s\": 65537, \"n_v\": 4095, \"s_log2_step\": 16, \"v_log2_step\": 0");
  EXPECT_TRUE(has(huge, "table.hex: ")) << huge;
  EXPECT_TRUE(has(huge, "bytes cannot hold the 268374015 entries of the grid in table.json")) << huge;
}

TEST(InputErrors, TableCsv) {
  scratch s;
  const fs::path dir = table_dir(s);
  const std::string csv = (dir / "table.csv").string();
  const std::string good = slurp(dir / "table.csv");
  auto with = [&](const std::string& text) {
    std::ofstream(dir / "table.csv", std::ios::binary) << text;
    return table_error(dir, model_io::table_format::csv);
  };
  const auto second = good.find('\n') + 1;  // the first data row
  const auto third = good.find('\n', second) + 1;
  const std::string row = good.substr(second, third - second - 1);
  const std::string rest = good.substr(third);
  const std::string head = good.substr(0, second);
  auto field_replaced = [&](int col, const std::string& value, int col2 = -1, const std::string& value2 = "") {
    std::vector<std::string> f;
    std::stringstream ls(row);
    for (std::string c; std::getline(ls, c, ',');) f.push_back(c);
    f[static_cast<std::size_t>(col)] = value;
    if (col2 >= 0) f[static_cast<std::size_t>(col2)] = value2;
    std::string r;
    for (const auto& x : f) r += (r.empty() ? "" : ",") + x;
    return head + r + "\n" + rest;
  };
  EXPECT_EQ(with(field_replaced(0, "99")), csv + ":2: i_s = '99': expected an integer in [0, 16]");
  EXPECT_EQ(with(field_replaced(8, "3000000000")), csv + ":2: drift_raw = '3000000000': expected an integer in [-2147483648, 2147483647]");
  EXPECT_EQ(with(field_replaced(9, "1.5")), csv + ":2: noise_raw = '1.5': expected an integer in [-2147483648, 2147483647]");
  EXPECT_EQ(with(head + row + ",7\n" + rest), csv + ":2: 15 columns, expected 14 (i_s,i_v,...,visited)");
  EXPECT_EQ(with(head + row + "\n" + row + "\n" + rest), csv + ":3: bin (i_s, i_v) = (0, 0) appears twice");
  // Truncated: a row short.
  EXPECT_TRUE(has(with(good.substr(0, good.rfind('\n', good.size() - 2) + 1)),
                  csv + ": 152 values, the grid in table.json needs 153 (n_s = 17, n_v = 9)"));
  // A raw word changed without its decoded column: refused on its row.
  EXPECT_TRUE(has(with(field_replaced(8, "12345")), csv + ":2: drift = '"));
  // Corrupted: a valid number changed with its decoded column: the checksum.
  EXPECT_TRUE(has(with(field_replaced(8, "12345", 4, "1.14971772e-05")), csv + ": checksum "));
}

TEST(InputErrors, TableHexOfTheWrongLengthForTheRtl) {
  scratch s;
  const fs::path dir = table_dir(s);
  const std::string hex = (dir / "table.hex").string();
  const std::string good = slurp(dir / "table.hex");
  auto with = [&](const std::string& text) {
    std::ofstream(dir / "table.hex", std::ios::binary) << text;
    return table_error(dir, model_io::table_format::hex);
  };
  EXPECT_EQ(with(good + "00000000\n"), hex + ": more than 153 values, the grid in table.json needs 153 (n_s = 17, n_v = 9)");
  EXPECT_EQ(with(good.substr(0, good.size() - 9)), hex + ": 152 values, the grid in table.json needs 153 (n_s = 17, n_v = 9)");
  EXPECT_EQ(with("123456789\n" + good.substr(9)), hex + ":1: '123456789': expected one 32-bit word of 1 to 8 hex digits");
  EXPECT_EQ(with("0000zz00\n" + good.substr(9)), hex + ":1: '0000zz00': expected one 32-bit word of 1 to 8 hex digits");
  EXPECT_EQ(with("0x000000\n" + good.substr(9)), hex + ":1: '0x000000': expected one 32-bit word of 1 to 8 hex digits");
  EXPECT_TRUE(has(with("0badc0de\n" + good.substr(9)), hex + ": checksum "));
  std::ofstream(dir / "table.hex", std::ios::binary) << good;
  std::ofstream(dir / "table_g.hex", std::ios::binary) << "00000000\n";
  EXPECT_EQ(table_error(dir, model_io::table_format::hex),
            (dir / "table_g.hex").string() + ": 1 values, the grid in table.json needs 17 (n_s = 17, n_v = 9)");
}

TEST(InputErrors, TableHeader) {
  scratch s;
  const fs::path dir = table_dir(s);
  const std::string h = (dir / "table.h").string();
  replace_in(dir / "table.h", "ionrail_table_noise[153] = {\n", "ionrail_table_noise[153] = {\nabc, ");
  EXPECT_EQ(table_error(dir, model_io::table_format::header),
            h + ": ionrail_table_noise[0] = 'abc': expected an integer in [-2147483648, 2147483647]");
  replace_in(dir / "table.h", "abc, ", "");
  replace_in(dir / "table.h", "#define IONRAIL_TABLE_FLUCT_RHO ", "#define IONRAIL_TABLE_FLUCT_RHO x");
  EXPECT_TRUE(has(table_error(dir, model_io::table_format::header), h + ": #define IONRAIL_TABLE_FLUCT_RHO x"));
}

// ---------------------------------------------------------------- known-answer vectors

std::string kat_error(const scratch& s, const std::string& text) {
  const std::string file = s.write("v.kat", text);
  try {
    kat::read_lines(file);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "read a bad vector file:\n" << text;
  return {};
}

TEST(InputErrors, KnownAnswerVectors) {
  scratch s;
  const std::string f = s.path("v.kat");
  const std::string table = "table kat f44057f2a80ae246\n";
  const std::string device = "device 1073741824 0 1087076608 -2587324 493890006\n";
  const std::string step = "step 100 1 5 10 0 7 3 99\n";
  EXPECT_NO_THROW(kat::read_lines(s.write("ok.kat", "# comment\n" + table + device + step)));
  EXPECT_EQ(kat_error(s, table + device + "step 100 1 5 10 0 7 3\n"), f + ":3: record 'step' has 7 fields, expected 8");
  EXPECT_EQ(kat_error(s, table + device + "step 40000 1 5 10 0 7 3 99\n"),
            f + ":3: record 'step' field 1 (v) = '40000': expected an integer in [-32768, 32767]");
  EXPECT_EQ(kat_error(s, table + device + "step 100 2 5 10 0 7 3 99\n"), f + ":3: record 'step' field 2 (noise) = '2': expected 0 or 1");
  EXPECT_EQ(kat_error(s, table + "device 1 0 1 0 -1\n"),
            f + ":2: record 'device' field 5 (rng) = '-1': expected an integer in [0, 4294967295]");
  EXPECT_EQ(kat_error(s, table + device + "step 1x 1 5 10 0 7 3 99\n"),
            f + ":3: record 'step' field 1 (v) = '1x': expected an integer in [-32768, 32767]");
  EXPECT_EQ(kat_error(s, "table kat F44057F2A80AE246\n"), f + ":1: record 'table' field 2 (checksum) = 'F44057F2A80AE246': expected 16 lower-case hex digits");
  EXPECT_EQ(kat_error(s, table + step), f + ":2: record 'step' before any 'device'");
  EXPECT_EQ(kat_error(s, table + device + "neuron 1 2 3 4 5 6\n"),
            f + ":3: record 'neuron': unknown in a cell file (records: table, device, step)");
  EXPECT_EQ(kat_error(s, "step 1 2\n"), f + ":1: record 'step': a vector file starts with 'table' or 'neuron'");
  EXPECT_EQ(kat_error(s, "# only comments\n"), f + ": no records");
  // Neuron files.
  EXPECT_EQ(kat_error(s, "neuron 1 2 3 4 70000 6\n"),
            f + ":1: record 'neuron' field 5 (refractory_steps) = '70000': expected an integer in [0, 65535]");
  EXPECT_EQ(kat_error(s, "neuron 1 2 3 4 5 63\n"), f + ":1: record 'neuron' field 6 (input_shift) = '63': expected an integer in [0, 62]");
  EXPECT_EQ(kat_error(s, "neuron 1 2 3 4 5 6\nstep 99999999999999999999 0 1 0\n"),
            f + ":2: record 'step' field 1 (i_in) = '99999999999999999999': expected an integer in "
                "[-9223372036854775808, 9223372036854775807]");
  // Crossbar files: sizes and order.
  const std::string xb = table + "crossbar 2 2\n";
  EXPECT_NO_THROW(kat::read_lines(s.write("ok2.kat", xb + "device 1 1 0 0 0 0 0 1\nwrite 0 1 2 3 4\ncells 1 2 3 4 5 6 7 8 9 10 11 12\n"
                                                           "read 1 2\ncurrents 5 6\n")));
  EXPECT_EQ(kat_error(s, xb + "device 2 0 0 0 0 0 0 1\n"), f + ":3: record 'device' field 1 (r) = '2': expected a row index in [0, rows)");
  EXPECT_EQ(kat_error(s, xb + "write 0 1 2 3\n"), f + ":3: record 'write' has 4 fields, expected 5");
  EXPECT_EQ(kat_error(s, xb + "write 0 1 2 3 4\nread 1 2\n"), f + ":4: record 'read': expected 'cells' after the previous record");
  EXPECT_EQ(kat_error(s, xb + "read 1 2\n"), f + ": ends without the 'currents' record of its last operation");
  EXPECT_EQ(kat_error(s, xb + "read 1 2\ncurrents 5 6 7\n"), f + ":4: record 'currents' has 3 fields, expected 2");
  EXPECT_EQ(kat_error(s, table + "crossbar 0 2\n"), f + ":2: record 'crossbar' field 1 (rows) = '0': expected an integer in [1, 64]");
  EXPECT_EQ(kat_error(s, xb + "crossbar 2 2\n"), f + ":3: record 'crossbar': only once, after 'table'");
}

// The committed vector files pass the reader (as test_kat replays them).
TEST(InputErrors, CommittedVectorsAreValid) {
  for (const char* name : {"cell_noise_off.kat", "cell_noise_on.kat", "lif.kat", "crossbar.kat"})
    EXPECT_NO_THROW(kat::read_lines(std::string(IONRAIL_SOURCE_DIR) + "/tests/kat/" + name)) << name;
}

// ---------------------------------------------------------------- fuzz regressions

// Inputs the fuzzers (tests/fuzz) once crashed on, or that exercise a
// refusal; each must load or be refused with config_error (or
// invalid_argument from kmc), never crash, hang or throw anything else.
TEST(InputErrors, FuzzRegressionInputsAreRefusedCleanly) {
  const fs::path root = fs::path(IONRAIL_SOURCE_DIR) / "tests" / "fuzz" / "regressions";
  ASSERT_TRUE(fs::exists(root)) << root;
  int inputs = 0;
  for (const auto& target : fs::directory_iterator(root)) {
    const std::string kind = target.path().filename().string();
    for (const auto& input : fs::directory_iterator(target.path())) {
      SCOPED_TRACE(input.path().string());
      ++inputs;
      try {
        if (kind == "config") {
          const auto c = config::load_run_config(input.path().string());
          (void)kmc::make_drive(c.protocol);
        } else if (kind == "waveform") {
          (void)kmc::read_waveform_csv(input.path().string());
        } else if (kind == "table") {
          // A table directory packed into one file: see tests/fuzz/fuzz_table.cpp.
          scratch s;
          const std::string text = slurp(input.path());
          std::size_t at = 0;
          for (const char* name : {"table.json", "table.csv", "table.hex", "table_noise.hex", "table_fluct.hex", "table_g.hex",
                                   "table_coeff.hex", "table.h"}) {
            const auto end = text.find("\n====\n", at);
            s.write(std::string("t/") + name, text.substr(at, end == std::string::npos ? std::string::npos : end - at));
            at = end == std::string::npos ? text.size() : end + 6;
          }
          for (auto f : {model_io::table_format::csv, model_io::table_format::hex, model_io::table_format::header}) try {
              (void)model_io::load_table(s.path("t"), f);
            } catch (const ionrail::input_error&) {
            }
        } else if (kind == "kat") {
          try {
            (void)kat::read_lines(input.path().string());
          } catch (const std::runtime_error&) {
          }
        } else {
          ADD_FAILURE() << "unknown fuzz target directory " << kind;
        }
      } catch (const ionrail::input_error&) {
      } catch (const std::invalid_argument&) {
      }
    }
  }
  EXPECT_GT(inputs, 0);
}

}  // namespace
