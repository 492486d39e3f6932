// The time-averaged site profile (protocol.average_window_s, kmc::site_average)
// and the ions per rail given directly (species.ions):
// - through `ionrail run` (the library), a closed rail at zero field relaxes to
//   the exact Boltzmann occupancy, which profile_average.csv reproduces
//   within 4 of its own standard errors at every site;
// - the standard error it reports is the spread of the mean over seeds;
// - windows that do not fit the protocol are refused before anything runs,
//   naming the file, the key and the range; the memory estimate counts the
//   rails × sites sums;
// - species.ions = 7 puts 7 ions on every rail.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ionrail/runs/runner.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/physics.hpp>
#include <ionrail/kmc/site_average.hpp>
#include <ionrail/kmc/state_io.hpp>

#include "exact_reference.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;

namespace {

using namespace ionrail;

struct scratch : ionrail_test::scratch {
  scratch() : ionrail_test::scratch("ionrail_average_") {}
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct csv_profile {
  std::vector<double> x_nm, occupancy, se;
};

csv_profile read_profile_average(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "site,x_nm,occupancy,occupancy_se");
  csv_profile out;
  int expected_site = 0;
  while (std::getline(in, line)) {
    int site = 0;
    double x = 0, o = 0, se = 0;
    EXPECT_EQ(std::sscanf(line.c_str(), "%d,%lf,%lf,%lf", &site, &x, &o, &se), 4) << line;
    EXPECT_EQ(site, expected_site++);
    out.x_nm.push_back(x), out.occupancy.push_back(o), out.se.push_back(se);
  }
  return out;
}

constexpr double temperature_k = 300.0;
double kt_ev() { return kmc::boltzmann_ev_per_k * temperature_k; }

// 8 sites, 3 ions per rail (given as species.ions), Γ0 = 1 Hz, no space
// charge, a trap (−1.5 kT) at site 2 and a barrier (+1 kT) at site 5, V = 0:
// a closed rail whose equilibrium is Boltzmann over its configurations.
std::string closed_rail_run(int rails, double duration_s, const std::string& window, std::uint64_t seed) {
  return "[device]\nthickness_nm = 8\nsites = 8\nrails = " + std::to_string(rails) +
         "\nzones = 2\ntemperature_k = 300\n"
         "[[device.site_energy]]\nfirst_site = 2\nlast_site = 2\nenergy_ev = " + number(-1.5 * kt_ev()) +
         "\n[[device.site_energy]]\nfirst_site = 5\nlast_site = 5\nenergy_ev = " + number(1.0 * kt_ev()) +
         "\n[[species]]\nactivation_energy_ev = 0\nattempt_frequency_hz = 1\nions = 3\n"
         "[field]\nion_density_m3 = 0\n[sim]\nseed = " + std::to_string(seed) +
         "\n[protocol]\nkind = \"relax\"\nvoltage_v = 0\npulse_s = " + number(duration_s) +
         "\nrelax_s = 0\nsample_every_s = 1.5\naverage_window_s = " + window + "\n[output]\nplots = false\n";
}

std::vector<double> exact_occupancy() {
  std::vector<double> beta_eps(8, 0.0);
  beta_eps[2] = -1.5;
  beta_eps[5] = 1.0;
  return ionrail::test::closed_rail_occupancy(8, 3, 0.0, beta_eps);
}

TEST(RunnerAverage, ClosedRailAtZeroFieldGivesTheExactBoltzmannOccupancy) {
  // 2000 rails; the window [30 s, 330 s] after a 30 s burn-in (tens of hops
  // per ion) holds the 201 sample times 30, 31.5, ..., 330 s. The ions start
  // uniformly, away from equilibrium (the trap fills, the barrier empties).
  // Each of the 8 sites must be within 4 standard errors of the exact value
  // (~6e-5 false-failure chance per site; fixed seed).
  scratch s;
  const std::string file = s.write("closed.toml", closed_rail_run(2000, 330, "[30]", 11));
  runs::run_options o;
  o.out_dir = s.path("out");
  o.quiet = true;
  const auto r = runs::run_experiment(file, o);
  ASSERT_EQ(r.variants.size(), 1u);
  EXPECT_EQ(r.variants[0].average_samples, 201u);

  const csv_profile p = read_profile_average(fs::path(o.out_dir) / "profile_average.csv");
  const auto exact = exact_occupancy();
  ASSERT_EQ(p.occupancy.size(), exact.size());
  double total = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    EXPECT_NEAR(p.x_nm[i], static_cast<double>(i) + 0.5, 1e-9);
    EXPECT_GT(p.se[i], 0.0);
    EXPECT_LT(p.se[i], 0.01) << "site " << i;
    EXPECT_NEAR(p.occupancy[i], exact[i], 4 * p.se[i]) << "site " << i;
    total += p.occupancy[i];
  }
  EXPECT_NEAR(total, 3.0, 1e-6);  // every rail holds 3 ions at every sample
  // The test's power: the trap and the barrier are far from uniform filling.
  EXPECT_GT(exact[2] - 3.0 / 8, 20 * p.se[2]);
  EXPECT_GT(3.0 / 8 - exact[5], 20 * p.se[5]);

  const auto summary = nlohmann::json::parse(slurp(fs::path(o.out_dir) / "summary.json"));
  const auto& a = summary.at("runs").at(0).at("profile_average");
  EXPECT_EQ(a.at("file"), "profile_average.csv");
  EXPECT_EQ(a.at("from_s").get<double>(), 30.0);
  EXPECT_EQ(a.at("to_s").get<double>(), 330.0);
  EXPECT_EQ(a.at("samples").get<int>(), 201);
  EXPECT_EQ(a.at("rails").get<int>(), 2000);
  EXPECT_EQ(summary.at("parameters").at("species").at(0).at("ions").get<int>(), 3);
}

TEST(RunnerAverage, NoWindowNoAveragedProfile) {
  scratch s;
  std::string text = closed_rail_run(20, 6, "[]", 1);
  const std::string file = s.write("plain.toml", text);
  runs::run_options o;
  o.out_dir = s.path("out");
  o.quiet = true;
  runs::run_experiment(file, o);
  EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / "profile.csv"));
  EXPECT_FALSE(fs::exists(fs::path(o.out_dir) / "profile_average.csv"));
  const auto summary = nlohmann::json::parse(slurp(fs::path(o.out_dir) / "summary.json"));
  EXPECT_FALSE(summary.at("runs").at(0).contains("profile_average"));
}

// The standard error across rails is the spread of the profile over seeds:
// 12 seeds of 200 rails, 8 sites, samples every 0.25 s (strongly correlated
// in time: a hop takes ~1 s, so treating samples as independent would give
// errors several times too small). The pooled ratio sd over seeds / reported
// SE has ~12 x 7 = 84 degrees of freedom (the 8 sites of a rail share 3
// ions): its sd is ~0.08; [0.65, 1.45] is > 4 sd each side. A standard error
// without the 1/sqrt(rails) (ratio ~0.07) or over rails x samples (~3) fails.
TEST(RunnerAverage, StandardErrorMatchesTheSpreadOverSeeds) {
  kmc::device_params d;
  d.sites = 8;
  d.thickness_nm = 8;
  d.rails = 200;
  d.temperature_k = temperature_k;
  d.ion_density_m3 = 0;
  d.zones = 2;
  d.species[0].activation_energy_ev = 0;
  d.species[0].attempt_frequency_hz = 1;
  d.species[0].ions = 3;
  d.site_energy_ev.assign(8, 0.0);
  d.site_energy_ev[2] = -1.5 * kt_ev();
  d.site_energy_ev[5] = 1.0 * kt_ev();
  constexpr int seeds = 12;
  std::vector<std::vector<double>> means;
  std::vector<double> se2(8, 0.0);
  for (int seed = 1; seed <= seeds; ++seed) {
    kmc::sim_params sim;
    sim.seed = 500 + seed;
    kmc::engine e(d, sim, std::make_shared<kmc::constant_voltage>(0.0));
    kmc::site_average avg(d.rails, d.sites);
    e.advance_to(20);
    for (int k = 0; k <= 160; ++k) {
      e.advance_to(20 + 0.25 * k);
      avg.add(e.model());
    }
    const auto p = avg.result();
    means.push_back(p.occupancy);
    for (int i = 0; i < 8; ++i) se2[i] += p.standard_error[i] * p.standard_error[i] / seeds;
  }
  double spread2 = 0, reported2 = 0;
  for (int i = 0; i < 8; ++i) {
    double m = 0;
    for (const auto& v : means) m += v[i] / seeds;
    for (const auto& v : means) spread2 += (v[i] - m) * (v[i] - m) / (seeds - 1);
    reported2 += se2[i];
  }
  const double ratio = std::sqrt(spread2 / reported2);
  RecordProperty("sd_over_seeds_per_reported_se", std::to_string(ratio));
  EXPECT_GT(ratio, 0.65);
  EXPECT_LT(ratio, 1.45);
}

TEST(RunnerAverage, AccumulatorCountsEveryRailAndSurvivesACheckpoint) {
  kmc::device_params d;
  d.sites = 10;
  d.rails = 37;
  d.species[0].ions = 4;
  d.ion_density_m3 = 0;
  d.species[0].activation_energy_ev = 0;
  d.species[0].attempt_frequency_hz = 1;
  kmc::engine e(d, kmc::sim_params{}, std::make_shared<kmc::constant_voltage>(0.0));
  kmc::site_average a(d.rails, d.sites);
  EXPECT_TRUE(std::isnan(a.result().occupancy[0]));
  a.add(e.model());
  e.advance_to(3);
  a.add(e.model());
  // Rail by rail from the positions: the mean of two 0/1 samples.
  const auto p = a.result();
  EXPECT_EQ(a.samples(), 2u);
  double total = 0;
  for (double v : p.occupancy) total += v;
  EXPECT_NEAR(total, 4.0, 1e-12);
  kmc::state_writer w;
  a.save(w);
  kmc::site_average b;
  kmc::state_reader r(w.bytes(), "test");
  b.load(r, d.rails, d.sites);
  r.expect_end();
  const auto q = b.result();
  EXPECT_EQ(q.occupancy, p.occupancy);
  EXPECT_EQ(q.standard_error, p.standard_error);
  kmc::state_reader wrong(w.bytes(), "test");
  EXPECT_THROW(b.load(wrong, d.rails + 1, d.sites), kmc::state_error);
}

// ---------------------------------------------------------------- refusals

std::string refusal(const std::string& file, const std::vector<std::string>& sets = {}) {
  try {
    runs::run_options o;
    o.overrides = sets;
    runs::plan_experiment(file, o);
  } catch (const config::config_error& e) {
    return e.what();
  }
  return "";
}

TEST(RunnerAverage, WindowsThatDoNotFitTheProtocolAreRefused) {
  scratch s;
  // 100 s of protocol sampled every 1.5 s: sample times 0, 1.5, ..., 99 (and the end, 100).
  auto file = [&](const std::string& window) { return s.write("w.toml", closed_rail_run(20, 100, window, 1)); };
  const std::string key = "protocol.average_window_s = ";
  auto has = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos ? ::testing::AssertionSuccess()
                                                 : ::testing::AssertionFailure() << text << "\n  lacks: " << part;
  };
  // The line of the key in the file, the key, the value and the range.
  const std::string text = closed_rail_run(20, 100, "[]", 1);
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(text.find("average_window_s")), '\n');
  auto at = [&](const std::string& rest) { return "w.toml:" + std::to_string(line) + ": " + key + rest; };
  EXPECT_TRUE(has(refusal(file("[50, 40]")), at("[50, 40]: must have from < to")));
  EXPECT_TRUE(has(refusal(file("[50, 50]")), at("[50, 50]: must have from < to")));
  EXPECT_TRUE(has(refusal(file("[50, 101]")), at("[50, 101]: to must be at most the protocol's duration, 100 s")));
  EXPECT_TRUE(has(refusal(file("[100]")), at("[100]: from must be before the end of the protocol, 100 s")));
  EXPECT_TRUE(has(refusal(file("[-1]")), at("[-1]: every time must be finite and >= 0")));
  EXPECT_TRUE(has(refusal(file("[1, 2, 3]")), at("[1, 2, 3]: must be [] (none), [from] or [from, to]")));
  EXPECT_TRUE(has(refusal(file("[1.6, 2.9]")), at("[1.6, 2.9]: holds 0 of the sample times")));
  EXPECT_TRUE(has(refusal(file("[1.4, 2.9]")), at("[1.4, 2.9]: holds 1 of the sample times k x protocol.sample_every_s "
                                                  "= k x 1.5 s; it needs at least 2")));
  EXPECT_EQ(refusal(file("[1.5, 3]")), "");       // the ends count
  EXPECT_EQ(refusal(file("[97.5]")), "");         // 97.5 and 99
  EXPECT_TRUE(has(refusal(file("[99]")), at("[99]: holds 1 of the sample times")));  // 99 only: the end (100) is no grid time
  // From --set, and per variant of a series that shortens the protocol.
  EXPECT_TRUE(has(refusal(file("[]"), {"protocol.average_window_s=[10, 200]"}),
                  "--set: protocol.average_window_s = [10, 200]: to must be at most the protocol's duration, 100 s"));
  EXPECT_TRUE(has(refusal(file("[50]"), {"series.key=protocol.pulse_s", "series.values=[100, 40]"}),
                  "protocol.average_window_s = [50]: from must be before the end of the protocol, 40 s"));
  // A variant's value is named as the file's, with the variant, not as a
  // "--set" the user never typed.
  const std::string m = refusal(file("[]"), {"series.key=protocol.pulse_s", "series.values=[10, 1e300]"});
  EXPECT_TRUE(has(m, "the variant pulse_s = 1e+300 (of [series] values / protocol.temperatures_k): protocol.pulse_s = 1e+300"))
      << m;
  EXPECT_FALSE(has(m, "--set: protocol.pulse_s")) << m;
}

TEST(RunnerAverage, MemoryEstimateCountsTheSums) {
  scratch s;
  const std::string with = s.write("with.toml", closed_rail_run(3000, 10, "[1]", 1));
  const std::string without = s.write("without.toml", closed_rail_run(3000, 10, "[]", 1));
  const auto a = runs::plan_experiment(with, {});
  const auto b = runs::plan_experiment(without, {});
  // rails x sites doubles, and their copy in a checkpoint.
  EXPECT_DOUBLE_EQ(a.memory_bytes - b.memory_bytes, 2.0 * 3000 * 8 * 8);
  // Every variant's sums are held until the outputs are written: three
  // variants of 3000 rails count three times.
  runs::run_options three;
  three.overrides = {"series.key=protocol.voltage_v", "series.values=[0, 0.1, 0.2]"};
  const auto c = runs::plan_experiment(with, three);
  const auto d = runs::plan_experiment(without, three);
  EXPECT_DOUBLE_EQ(c.memory_bytes - d.memory_bytes, 3 * 2.0 * 3000 * 8 * 8);
}

// ---------------------------------------------------------------- species.ions

TEST(RunnerAverage, IonsPerRailGivenDirectly) {
  scratch s;
  const std::string file =
      s.write("ions.toml", "[device]\nsites = 40\nrails = 30\n[[species]]\nions = 7\n[protocol]\npulse_s = 1\nrelax_s = 0\n"
                           "sample_every_s = 0.5\n[output]\nplots = false\n");
  const auto c = config::load_run_config(file);
  EXPECT_EQ(c.device.species[0].ions, 7);
  EXPECT_EQ(c.device.ions_per_rail(), 7);
  kmc::engine e(c.device, c.sim, std::make_shared<kmc::constant_voltage>(1.0));
  e.advance_to(0.5);
  EXPECT_EQ(e.model().ions_per_rail(), 7);
  long long ions = 0;
  for (long long n : e.model().counts()) ions += n;
  EXPECT_EQ(ions, 7LL * 30);
  // The resolved parameters carry it (and so the checkpoint fingerprint).
  const auto j = nlohmann::json::parse(config::resolved_parameters_json(c));
  EXPECT_EQ(j.at("species").at(0).at("ions").get<int>(), 7);
  EXPECT_EQ(j.at("device").at("ions_per_rail").get<int>(), 7);
  EXPECT_EQ(config::load_run_config(file, {"species[0].ions=3"}).device.ions_per_rail(), 3);
  // Not given: 0 in the parameters, and fill gives the count.
  const auto f = config::load_run_config(s.write("fill.toml", "[device]\nsites = 40\n[[species]]\nfill = 0.2\n"));
  EXPECT_EQ(f.device.ions_per_rail(), 8);
  EXPECT_EQ(nlohmann::json::parse(config::resolved_parameters_json(f)).at("species").at(0).at("ions").get<int>(), 0);

  // Both for one species: refused naming the file and both keys.
  const std::string both = s.write("both.toml", "[device]\nsites = 40\n[[species]]\nfill = 0.2\nions = 7\n");
  EXPECT_EQ(refusal(both), both + ":5: species[0].fill and species[0].ions are mutually exclusive: give the ions of a "
                                  "species one way, per site (fill) or per rail (ions)");
  EXPECT_NE(refusal(file, {"species[0].fill=0.5"}).find("species[0].fill and species[0].ions are mutually exclusive"),
            std::string::npos);
  // Out of range: below 1 by the loader, above the sites by the engine's check.
  EXPECT_EQ(refusal(file, {"species[0].ions=0"}), "--set: species[0].ions = 0: must be in [1, sites] and not given with `fill`");
  EXPECT_EQ(refusal(file, {"species[0].ions=41"}), "--set: species[0].ions = 41: must not exceed device.sites = 40");
  const std::string two = s.write("two.toml", "[device]\nsites = 10\n[[species]]\nname = \"a\"\nions = 6\n"
                                              "[[species]]\nname = \"b\"\ncharge = -1\nions = 6\n");
  EXPECT_NE(refusal(two).find("species ions (ions per rail) = 12: must not exceed device.sites = 10"), std::string::npos)
      << refusal(two);
}

}  // namespace
