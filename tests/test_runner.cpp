// `ionrail run` end to end through the library: the Arrhenius fit over a
// temperature list recovers the configured activation energy.
#include <gtest/gtest.h>

#include <filesystem>

#include <ionrail/runs/runner.hpp>

namespace fs = std::filesystem;

namespace {

TEST(Runner, ArrheniusFitRecoversTheActivationEnergy) {
  // Four temperatures (270-360 K), 2000 rails, c0 = 0, Ea = 0.30 eV. The fit's
  // standard error comes from the scatter of ln τ about the line; the
  // configured value must lie within 4 of them.
  ionrail::runs::run_options o;
  o.out_dir = (fs::path(::testing::TempDir()) / "ionrail_arrhenius").string();
  o.force = true;
  o.quiet = true;
  const auto r = ionrail::runs::run_experiment(std::string(IONRAIL_SOURCE_DIR) + "/tests/data/arrhenius.toml", o);
  ASSERT_TRUE(r.arrhenius);
  ASSERT_EQ(r.variants.size(), 4u);
  for (std::size_t k = 1; k < r.variants.size(); ++k)
    EXPECT_LT(r.variants[k].relax.tau_s, r.variants[k - 1].relax.tau_s) << "hotter must relax faster";
  const auto& fit = r.temperature_fit;
  EXPECT_GT(fit.standard_error_ev, 0.0);
  EXPECT_NEAR(fit.activation_energy_ev, 0.30, 4 * fit.standard_error_ev)
      << "fitted " << fit.activation_energy_ev << " ± " << fit.standard_error_ev << " eV";
  EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / "arrhenius.csv"));
  EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / "T_300K" / "trace.csv"));
}

}  // namespace
