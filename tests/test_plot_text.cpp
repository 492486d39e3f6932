// What plots and figures say: legends and axes in words and units from the
// schema, conductance in µS, the fitted Ea on the Arrhenius plot, and a
// retention figure that is undetermined rather than the last value held.
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <ionrail/runs/metrics.hpp>
#include <ionrail/runs/runner.hpp>

#include <ionrail/runs/plot_text.hpp>
#include "scratch.hpp"

namespace runs = ionrail::runs;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<ionrail::kmc::sample> relaxing_trace(double end_s) {
  // Excess 0.1 at release (t = 1 s) decaying with τ = 5 s, state at uniform 0.25.
  std::vector<ionrail::kmc::sample> trace;
  for (double t = 0; t <= end_s + 1e-12; t += 0.5) {
    ionrail::kmc::sample s;
    s.t_s = t;
    s.state = 0.25 + (t < 1 ? 0.1 * t : 0.1 * std::exp(-(t - 1) / 5.0));
    trace.push_back(s);
  }
  return trace;
}

}  // namespace

TEST(PlotText, KeysReadAsWordsWithTheirUnits) {
  EXPECT_EQ(runs::key_value_text("protocol.voltage_v", 2.5), "voltage 2.5 V");
  EXPECT_EQ(runs::key_value_text("protocol.rate_v_per_s", 0.25), "sweep rate 0.25 V/s");
  EXPECT_EQ(runs::key_value_text("protocol.pulse_s", 4), "pulse length 4 s");
  EXPECT_EQ(runs::key_value_text("species[0].fill", 0.3), "fill 0.3 ions per site");
  EXPECT_EQ(runs::key_axis_label("device.temperature_k"), "temperature (K)");
  EXPECT_EQ(runs::key_axis_label("device.sites"), "sites");
  // A key the schema does not declare keeps its own spelling.
  EXPECT_EQ(runs::key_words("nothing.such_v"), "such v");
  EXPECT_EQ(runs::gnuplot_quoted("it's"), "it''s");
}

TEST(PlotText, RetentionAfterTenSecondsIsTheExcessRatio) {
  const auto r = runs::relaxation(relaxing_trace(20), 1.0, 0.25);
  // Linear interpolation between rows of an exponential: within 1e-3 of e^-2.
  EXPECT_NEAR(r.retained_after_10s, std::exp(-2.0), 1e-3);
}

TEST(PlotText, RetentionIsUndeterminedWhenTheRunEndsSooner) {
  const auto r = runs::relaxation(relaxing_trace(8), 1.0, 0.25);
  EXPECT_TRUE(std::isnan(r.retained_after_10s)) << r.retained_after_10s;
  const auto flat = runs::relaxation(relaxing_trace(20), 1.0, 0.25 + 0.1);  // no excess at release
  EXPECT_TRUE(std::isnan(flat.retained_after_10s));
}

TEST(PlotText, RunPlotsNameTheSeriesAndUseMicrosiemens) {
  ionrail_test::scratch s;
  const std::string file = s.write(
      "series.toml",
      "[device]\nthickness_nm = 20\nsites = 20\nrails = 10\nzones = 4\n"
      "[protocol]\nkind = \"relax\"\npulse_s = 1\nrelax_s = 11\nsample_every_s = 0.5\ntemperatures_k = [300, 320]\n"
      "[series]\nkey = \"protocol.voltage_v\"\nvalues = [0.5, 1]\n[sim]\nseed = 3\n[output]\nplots = false\n");
  runs::run_options o;
  o.out_dir = (s.dir() / "out").string();
  o.quiet = true;
  const auto r = runs::run_experiment(file, o);
  const std::string gp = slurp(s.dir() / "out" / "plots.gp");
  EXPECT_NE(gp.find("title 'voltage 0.5 V, T = 300 K'"), std::string::npos) << gp;
  EXPECT_NE(gp.find("title 'voltage 1 V, T = 320 K'"), std::string::npos);
  EXPECT_EQ(gp.find("voltage_v ="), std::string::npos) << "a raw key in a legend";
  EXPECT_NE(gp.find("set ylabel 'G (µS)'"), std::string::npos);
  EXPECT_EQ(gp.find("G (S)"), std::string::npos);
  EXPECT_NE(gp.find("title 'uniform filling'"), std::string::npos);
  EXPECT_NE(gp.find("title 't = 0 s'"), std::string::npos) << "profile legends say the time with its unit";
  // Two temperatures: the Arrhenius plot carries the fitted Ea itself.
  ASSERT_TRUE(r.arrhenius);
  ASSERT_TRUE(r.temperature_fit.determined);
  EXPECT_NE(gp.find("set label 1 'Ea = "), std::string::npos);
  EXPECT_TRUE(std::isfinite(r.variants[0].relax.retained_after_10s));
}
