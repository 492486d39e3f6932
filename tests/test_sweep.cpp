// ionrail sweep: points and their seeds, skipping finished points on a
// re-launch, the Arrhenius fit over a temperature sweep, and bad [sweep]
// sections. (1/2/3 MPI ranks and SIGKILL + re-launch: tests/sweep/*.sh.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

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
  const std::string js = slurp(fs::path(o.out_dir) / "summary.json");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(js, m, std::regex("\"activation_energy_ev\": ([0-9.eE+-]+), \"standard_error_ev\": ([0-9.eE+-]+)")))
      << js;
  const double ea = std::stod(m[1].str()), se = std::stod(m[2].str());
  EXPECT_NEAR(ea, 0.30, 3 * se) << "Ea " << ea << " ± " << se;
  EXPECT_LT(se, 0.03);
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
