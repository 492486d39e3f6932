// ionrail sweep: points and their seeds, skipping finished points on a
// re-launch, the Arrhenius fit over a temperature sweep, outputs that are the
// points' own results, and bad [sweep] sections. (1/2/3 MPI ranks and SIGKILL + re-launch: tests/sweep/*.sh.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include <ionrail/runs/metrics.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/app/sweep.hpp>

namespace {

namespace fs = std::filesystem;
using namespace ionrail;

const std::string arrhenius = std::string(IONRAIL_SOURCE_DIR) + "/experiments/arrhenius_sweep.toml";

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ls(line);
  for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// A figure of a run in its summary.json: a member of the run or of one of
// its sections (relaxation, transport, ...); null if it has none.
nlohmann::json figure_of(const nlohmann::json& run, const std::string& name) {
  if (run.contains(name)) return run[name];
  for (const auto& section : run)
    if (section.is_object() && section.contains(name)) return section[name];
  return nullptr;
}

TEST(Sweep, PointsAndSeedsArePureFunctionsOfTheFile) {
  const auto a = app::load_sweep(arrhenius), b = app::load_sweep(arrhenius);
  ASSERT_EQ(a.points.size(), 6u);
  ASSERT_EQ(a.keys, std::vector<std::string>{"device.temperature_k"});
  EXPECT_DOUBLE_EQ(a.points.front().values[0], 260.0);
  EXPECT_DOUBLE_EQ(a.points.back().values[0], 360.0);
  for (std::size_t i = 0; i < a.points.size(); ++i) {
    EXPECT_EQ(a.points[i].seed, b.points[i].seed);
    EXPECT_LT(a.points[i].seed, std::uint64_t{1} << 63);  // a TOML integer
    if (i) {
      EXPECT_NE(a.points[i].seed, a.points[i - 1].seed);
    }
  }
  const auto other = app::load_sweep(arrhenius, {"sim.seed=8"});
  EXPECT_NE(other.points[0].seed, a.points[0].seed);
}

// The sweep recovers the configured activation energy (0.30 eV) from ln τ
// against 1/T within 3 standard errors of the fit (6 temperatures, 2000
// rails each; fixed seed).
TEST(Sweep, ArrheniusFitRecoversTheActivationEnergy) {
  app::sweep_options o;
  o.out_dir = (fs::path(::testing::TempDir()) / "ionrail_sweep_arrhenius").string();
  o.force = true;
  o.quiet = true;
  o.jobs = 2;
  app::run_sweep(arrhenius, o);
  const auto summary = nlohmann::json::parse(slurp(fs::path(o.out_dir) / "summary.json"));
  const double ea = summary.at("arrhenius").at("activation_energy_ev");
  const double se = summary.at("arrhenius").at("standard_error_ev");
  EXPECT_NEAR(ea, 0.30, 3 * se) << "Ea " << ea << " ± " << se;
  EXPECT_LT(se, 0.03);

  // The outputs are the points' own results: every points.csv row holds the
  // figures of its point's summary.json, and the sweep's summary is the fit
  // of those rows.
  std::stringstream csv(slurp(fs::path(o.out_dir) / "points.csv"));
  std::string line;
  std::getline(csv, line);
  const auto header = cells_of(line);
  ASSERT_EQ(header.size(), 3 + app::sweep_figures().size());
  std::vector<double> t, tau;
  int rows = 0;
  for (; std::getline(csv, line); ++rows) {
    const auto cells = cells_of(line);
    ASSERT_EQ(cells.size(), header.size()) << line;
    EXPECT_EQ(std::stoi(cells[0]), rows);
    char name[16];
    std::snprintf(name, sizeof name, "p%05d", rows);
    const auto point = nlohmann::json::parse(slurp(fs::path(o.out_dir) / "points" / name / "summary.json"));
    const auto& run = point.at("runs").at(0);
    EXPECT_EQ(std::stoull(cells[1]), run.at("seed").get<std::uint64_t>());
    EXPECT_DOUBLE_EQ(std::stod(cells[2]), run.at("temperature_k").get<double>());
    for (std::size_t c = 3; c < header.size(); ++c) {
      const auto value = figure_of(run, header[c]);
      if (cells[c].empty()) {
        EXPECT_TRUE(value.is_null()) << header[c] << " of point " << rows;
      } else {
        EXPECT_DOUBLE_EQ(std::stod(cells[c]), value.get<double>()) << header[c] << " of point " << rows;
      }
    }
    t.push_back(std::stod(cells[2]));
    tau.push_back(cells[3].empty() ? 0.0 : std::stod(cells[3]));
  }
  EXPECT_EQ(rows, 6);
  EXPECT_EQ(summary.at("points"), rows);
  EXPECT_EQ(summary.at("keys"), nlohmann::json::array({"device.temperature_k"}));
  EXPECT_EQ(summary.at("arrhenius").at("figure"), "tau_s");
  const auto fit = runs::fit_arrhenius(t, tau, true);
  EXPECT_EQ(summary.at("arrhenius").at("points"), fit.inv_t_per_k.size());
  EXPECT_NEAR(ea, fit.activation_energy_ev, 1e-5 * std::fabs(ea));  // summary.json keeps 6 digits
  EXPECT_NEAR(se, fit.standard_error_ev, 1e-2 * se);                  // and 3 of the error
}

// A re-launch runs only the points without a finished directory and gives
// the same points.csv; a leftover unfinished directory is redone.
TEST(Sweep, RelaunchCompletesOnlyTheMissingPoints) {
  app::sweep_options o;
  o.out_dir = (fs::path(::testing::TempDir()) / "ionrail_sweep_relaunch").string();
  o.force = true;
  o.quiet = true;
  app::run_sweep(arrhenius, o);
  const std::string first = slurp(fs::path(o.out_dir) / "points.csv");
  const fs::path points = fs::path(o.out_dir) / "points";
  fs::remove_all(points / "p00002");
  fs::remove(points / "p00004" / "summary.json");  // as if killed before it finished
  const auto kept = fs::last_write_time(points / "p00000" / "summary.json");
  o.force = false;
  app::run_sweep(arrhenius, o);
  EXPECT_EQ(slurp(fs::path(o.out_dir) / "points.csv"), first);
  EXPECT_EQ(fs::last_write_time(points / "p00000" / "summary.json"), kept);  // not rerun
  EXPECT_TRUE(fs::exists(points / "p00002" / "summary.json"));
  EXPECT_TRUE(fs::exists(points / "p00004" / "summary.json"));
}

TEST(Sweep, BadSweepSectionsAreRefusedWithFileAndKey) {
  const fs::path dir = fs::path(::testing::TempDir()) / "ionrail_sweep_bad";
  fs::create_directories(dir);
  auto refused = [&](const std::string& sweep, const std::string& fragment) {
    const fs::path f = dir / "bad.toml";
    std::ofstream(f) << "[device]\nsites = 20\nthickness_nm = 20\nrails = 10\n" << sweep;
    try {
      app::load_sweep(f.string());
      ADD_FAILURE() << "accepted: " << sweep;
    } catch (const ionrail::input_error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  refused("", "no [sweep] section");
  refused("[sweep]\nfigur = \"tau_s\"\n", "sweep.figur: unknown key");
  refused("[sweep]\n[[sweep.axis]]\nkey = \"device.temperature_k\"\n", "give exactly one of values, range");
  refused("[sweep]\n[[sweep.axis]]\nkey = \"device.temperature_k\"\nrange = [260, 360]\n", "expected [lo, hi, n]");
  refused("[sweep]\n[[sweep.axis]]\nkey = \"device.temperature_k\"\nlog_range = [0, 360, 3]\n", "lo, hi > 0");
  refused("[sweep]\nfigure = \"speed\"\n[[sweep.axis]]\nkey = \"device.temperature_k\"\nvalues = [300]\n",
          "not a points.csv figure");
  refused("[sweep]\n[[sweep.axis]]\nkey = \"device.temperatur_k\"\nvalues = [300]\n", "did you mean");
  refused("[sweep]\n[[sweep.axis]]\nkey = \"device.temperature_k\"\nvalues = [-5]\n", "device.temperature_k");
}

}  // namespace
