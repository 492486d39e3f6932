// `ionrail export spice|verilog-a` without a simulator (docs/spice.md): the
// generated text against the table it came from, and the refusals (a table
// of another format version, a broken checksum, usage errors) with exit 2
// and nothing written. test_spice.cpp runs the output in ngspice.
#include <gtest/gtest.h>

#include "cli_run.hpp"
#include "spawn.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <ionrail/model_io/circuit_export.hpp>
#include <ionrail/model_io/table_files.hpp>


namespace fs = std::filesystem;

namespace {

const std::string source = IONRAIL_SOURCE_DIR;
const std::string table_dir = source + "/tables/polymer";

ionrail_test::cli_result cli(const std::string& args) { return ionrail_test::run_cli(args); }

std::string read_text(const fs::path& p) { return ionrail_test::slurp(p); }

// The numbers after the argument of the first `pwl(v(...)` at or after `from`.
std::vector<double> pwl_numbers(const std::string& text, std::size_t from) {
  const std::size_t open = text.find("pwl(v(", from);
  const std::size_t close = text.find(')', text.find(',', open));
  std::vector<double> out;
  std::string body = text.substr(open, close - open);
  body = body.substr(body.find(',') + 1);
  std::stringstream ss(body);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stod(item));
  return out;
}

TEST(Export, SpiceLibraryCarriesTheTable) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_export_spice");
  const auto r = cli("export spice " + table_dir + " --out " + (dir / "lib").string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote"), std::string::npos) << r.output;
  const std::string lib = read_text(dir / "lib" / "ionrail.lib");
  const auto table = ionrail::model_io::load_table(table_dir, ionrail::model_io::table_format::hex);
  const std::string sum = ionrail::model_io::checksum_hex(table);
  EXPECT_NE(lib.find("checksum " + sum), std::string::npos);
  EXPECT_NE(lib.find("table format version 2"), std::string::npos);
  const double s_eq = ionrail::model_io::table_metadata(table_dir, "s_eq");
  char head[80];
  std::snprintf(head, sizeof head, ".subckt ionrail_mem p n params: s0=%.9g gain=1\n", s_eq);
  EXPECT_NE(lib.find(head), std::string::npos) << head;
  EXPECT_NE(lib.find(".subckt ionrail_mem_noise p n"), std::string::npos);
  EXPECT_NE(lib.find(".ends ionrail_mem\n"), std::string::npos);
  EXPECT_NE(lib.find(".ends ionrail_mem_noise\n"), std::string::npos);
  // The rate: 1 / dt_m per model step.
  EXPECT_NE(lib.find("Bdr dr 0 V={gain}*20*("), std::string::npos);
  // Drift column j = 0 and j = n_v - 1 of the noise-free device: every
  // (s_i, D_ij) of the table, in order.
  const auto& g = table.grid;
  const std::size_t bdr = lib.find("Bdr dr 0");
  std::size_t at = bdr;
  for (int j = 0; j < g.n_v; ++j) {
    const auto nums = pwl_numbers(lib, at);
    ASSERT_EQ(nums.size(), static_cast<std::size_t>(2 * g.n_s)) << j;
    if (j == 0 || j == g.n_v / 2 || j == g.n_v - 1)
      for (int i = 0; i < g.n_s; ++i) {
        EXPECT_DOUBLE_EQ(nums[static_cast<std::size_t>(2 * i)], g.s_at(i));
        EXPECT_NEAR(nums[static_cast<std::size_t>(2 * i + 1)], table.drift_at(i, j).to_double(),
                    1e-8 * std::max(1e-12, std::fabs(table.drift_at(i, j).to_double())) + 1e-18)
            << i << "," << j;
      }
    at = lib.find("pwl(v(", at) + 1;
  }
  // The hats sit on the voltage grid: the first and the last.
  char hat[80];
  std::snprintf(hat, sizeof hat, "max(0,1-abs(v(vc)-(%.9g))*", g.v_at(0));
  EXPECT_NE(lib.find(hat, bdr), std::string::npos) << hat;
  std::snprintf(hat, sizeof hat, "max(0,1-abs(v(vc)-(%.9g))*", g.v_at(g.n_v - 1));
  EXPECT_NE(lib.find(hat, bdr), std::string::npos) << hat;
  // G(s) in microsiemens.
  const auto gs = pwl_numbers(lib, lib.find("Bg g 0 V="));
  ASSERT_EQ(gs.size(), static_cast<std::size_t>(2 * g.n_s));
  for (int i = 0; i < g.n_s; ++i)
    EXPECT_NEAR(gs[static_cast<std::size_t>(2 * i + 1)], table.g[static_cast<std::size_t>(i)].to_double(),
                1e-8 * table.g[static_cast<std::size_t>(i)].to_double());
}

TEST(Export, VerilogAModuleCarriesTheTable) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_export_va");
  const auto r = cli("export verilog-a " + table_dir + " --out " + (dir / "va").string() + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "");
  const std::string va = read_text(dir / "va" / "ionrail_mem.va");
  const auto table = ionrail::model_io::load_table(table_dir, ionrail::model_io::table_format::hex);
  EXPECT_NE(va.find("checksum " + ionrail::model_io::checksum_hex(table)), std::string::npos);
  EXPECT_NE(va.find("module ionrail_mem(p, n);"), std::string::npos);
  EXPECT_NE(va.find("V(x) <+ idt(rate, s0);"), std::string::npos);
  // Every table entry once, at its index.
  const auto& g = table.grid;
  for (int i = 0; i < g.n_s; i += 16)
    for (int j = 0; j < g.n_v; j += 10) {
      char item[80];
      std::snprintf(item, sizeof item, "        %d: drift_tab = %.9g;\n", i * g.n_v + j,
                    table.drift_at(i, j).to_double() == 0 ? 0.0 : table.drift_at(i, j).to_double());
      EXPECT_NE(va.find(item), std::string::npos) << item;
    }
  char last[80];
  std::snprintf(last, sizeof last, "        %d: g_tab = %.9g;\n", g.n_s - 1, table.g.back().to_double());
  EXPECT_NE(va.find(last), std::string::npos) << last;
}

// The library API on a table built in code: one without the fast
// fluctuation gets a noisy device without δ; bad metadata is refused.
TEST(Export, TableWithoutFastFluctuationAndBadMetadata) {
  namespace m = ionrail::model;
  const m::table_grid grid = m::table_grid::make(2, 10, 2);  // 5 s points x 5 V points (±1 V)
  std::vector<double> drift(grid.cells()), noise(grid.cells(), 1e-4), fluct(grid.cells(), 0.0), g(5);
  for (int i = 0; i < grid.n_s; ++i) {
    g[static_cast<std::size_t>(i)] = 1e-6 * (1 + i);
    for (int j = 0; j < grid.n_v; ++j) drift[static_cast<std::size_t>(i * grid.n_v + j)] = 1e-3 * grid.v_at(j) * (1 - grid.s_at(i));
  }
  const m::table t = ionrail::model_io::table_from_arrays(grid, drift, noise, fluct, g, 0.0);
  ionrail::model_io::circuit_export_info info{"code", 0.1, 0.5};
  const std::string lib = ionrail::model_io::spice_library(t, info);
  EXPECT_NE(lib.find("this table has no fast fluctuation"), std::string::npos);
  EXPECT_EQ(lib.find("Bdd 0 d"), std::string::npos);
  EXPECT_NE(lib.find("Bdr dr 0 V={gain}*10*("), std::string::npos);  // 1 / 0.1 s
  EXPECT_NE(lib.find("params: s0=0.5 gain=1"), std::string::npos);
  EXPECT_NE(lib.find("Bvc vc 0 V=min(max(v(p,n),-1),1)"), std::string::npos);
  const std::string va = ionrail::model_io::verilog_a_module(t, info);
  EXPECT_NE(va.find("u = (vc - (-1)) / 0.5;"), std::string::npos) << va.substr(0, 400);
  EXPECT_NE(va.find("        24: drift_tab = 0;\n"), std::string::npos);  // s = 1: no drift
  for (double bad_dt : {0.0, -1.0, std::nan("")}) {
    info.dt_m_s = bad_dt;
    EXPECT_THROW(ionrail::model_io::spice_library(t, info), std::invalid_argument);
    EXPECT_THROW(ionrail::model_io::verilog_a_module(t, info), std::invalid_argument);
  }
  info.dt_m_s = 0.1, info.s_eq = 1.5;
  EXPECT_THROW(ionrail::model_io::spice_library(t, info), std::invalid_argument);
}

TEST(Export, FastFluctuationForEveryRhoAndKappaTheTableAllows) {
  // The model's step is d' = rho d + kappa F z2. The export derived d from
  // rho alone, as if kappa were sqrt(1 - rho^2): rho = 0 (white d of spread
  // kappa F) wrote no fluctuation at all, and rho = 1 (a random walk) a
  // frozen d. Held for a step, z2 moves d by c F z2 (1 - rho)/lambda, so
  // c = kappa lambda/(1 - rho) is the model's step (kappa/dt_m at rho = 1).
  namespace m = ionrail::model;
  const m::table_grid grid = m::table_grid::make(2, 10, 2);
  std::vector<double> drift(grid.cells(), 0.0), noise(grid.cells(), 1e-4), fluct(grid.cells(), 1e-3), g(5, 1e-6);
  ionrail::model_io::circuit_export_info info{"code", 0.05, 0.5};
  auto library = [&](double rho, double kappa) {
    m::table t = ionrail::model_io::table_from_arrays(grid, drift, noise, fluct, g, rho);
    t.fluct_kick = m::q_coeff::from_double(kappa);
    return ionrail::model_io::spice_library(t, info);
  };
  const std::string white = library(0.0, 1.0);
  EXPECT_NE(white.find("Bdd d 0 V=(time>0)*1*v(fl)*v(z2)"), std::string::npos) << white;
  const std::string walk = library(1.0, 1.0);
  EXPECT_NE(walk.find("Bdd 0 d I=(time>0)*(-0*v(d)+20*v(fl)*v(z2))"), std::string::npos) << walk;  // 1 / 0.05 s
  const std::string half = library(0.5, 0.25);  // lambda = ln 2 / 0.05 s, c = 0.25 lambda / 0.5
  const double lambda = std::log(2.0) / 0.05;
  char expected[160];
  std::snprintf(expected, sizeof expected, "Bdd 0 d I=(time>0)*(-%.9g*v(d)+%.9g*v(fl)*v(z2))", lambda, 0.5 * lambda);
  EXPECT_NE(half.find(expected), std::string::npos) << expected << "\n" << half;
  EXPECT_NE(library(0.5, 0.0).find("this table has no fast fluctuation (kappa = 0 or fluct = 0)"), std::string::npos);
}

// replay --no-noise (the path the exported device is tested against,
// test_spice.cpp): every device the same, spread zero; with --compare-kmc,
// whose spread ratio needs the noisy ensemble, refused.
TEST(Export, ReplayNoNoiseIsTheMeanPath) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_export_replay");
  const std::string protocol = source + "/tests/data/heldout/pulses_3v.toml";
  const auto r = cli("replay " + table_dir + " --protocol " + protocol + " --no-noise --quiet --out " + (dir / "r").string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(dir / "r" / "replay.csv");
  std::string line;
  std::getline(in, line);
  int rows = 0;
  double first = 0, last = 0;
  while (std::getline(in, line)) {
    double t = 0, v = 0, g = 0, sd = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf", &t, &v, &g, &sd), 4) << line;
    EXPECT_LT(sd, 1e-15) << line;  // identical devices (rounding of the mean only)
    if (rows++ == 0) first = g;
    last = g;
  }
  EXPECT_EQ(rows, 344);
  EXPECT_NE(first, last);
  const auto k = cli("replay " + table_dir + " --protocol " + protocol + " --no-noise --compare-kmc --out " +
                     (dir / "k").string());
  EXPECT_EQ(k.code, 2) << k.output;
  EXPECT_NE(k.output.find("--no-noise with --compare-kmc"), std::string::npos) << k.output;
  EXPECT_FALSE(fs::exists(dir / "k"));
}

TEST(Export, UsageErrorsExitWith2) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_export_usage");
  EXPECT_EQ(cli("export").code, 2);
  EXPECT_EQ(cli("export spice").code, 2);
  const auto unknown = cli("export spectre " + table_dir);
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.output.find("target 'spectre' is unknown: expected the target, spice or verilog-a"), std::string::npos)
      << unknown.output;  // was "A subcommand is required"
  const auto r = cli("export spice " + (dir / "none").string() + " --out " + (dir / "out").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("table.json"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
  // An existing output directory is kept unless --force.
  fs::create_directories(dir / "kept");
  EXPECT_EQ(cli("export spice " + table_dir + " --out " + (dir / "kept").string()).code, 2);
  EXPECT_FALSE(fs::exists(dir / "kept" / "ionrail.lib"));
  EXPECT_EQ(cli("export spice " + table_dir + " --out " + (dir / "kept").string() + " --force --quiet").code, 0);
  EXPECT_TRUE(fs::exists(dir / "kept" / "ionrail.lib"));
}

// A copy of the polymer table in which `edit` changed one file.
fs::path edited_table(const std::string& name, const std::string& file, const std::string& from, const std::string& to) {
  const fs::path dir = ionrail_test::scratch_dir("ionrail_export_bad_" + name);
  fs::copy(table_dir, dir / "table");
  std::string text = read_text(dir / "table" / file);
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  ionrail_test::write_file(dir / "table" / file, text);
  return dir;
}

TEST(Export, RefusesAnotherFormatVersionOrABrokenChecksum) {
  for (const std::string target : {"spice", "verilog-a"}) {
    {
      const fs::path dir = edited_table("version_" + target, "table.json", "\"format_version\": 2", "\"format_version\": 1");
      const auto r = cli("export " + target + " " + (dir / "table").string() + " --out " + (dir / "out").string());
      EXPECT_EQ(r.code, 2) << r.output;
      EXPECT_NE(r.output.find("table.json: format_version = 1"), std::string::npos) << r.output;
      EXPECT_FALSE(fs::exists(dir / "out"));
    }
    {
      // The first drift word of table.hex, changed by one bit.
      const fs::path dir = ionrail_test::scratch_dir("ionrail_export_bad_sum_" + target);
      fs::copy(table_dir, dir / "table");
      std::string hex = read_text(dir / "table" / "table.hex");
      const auto nl = hex.find('\n');
      ASSERT_NE(nl, std::string::npos);
      char& last = hex[nl - 1];
      last = last == '0' ? '1' : '0';
      ionrail_test::write_file(dir / "table" / "table.hex", hex);
      const auto r = cli("export " + target + " " + (dir / "table").string() + " --out " + (dir / "out").string());
      EXPECT_EQ(r.code, 2) << r.output;
      EXPECT_NE(r.output.find("checksum"), std::string::npos) << r.output;
      EXPECT_FALSE(fs::exists(dir / "out"));
    }
  }
}

}  // namespace
