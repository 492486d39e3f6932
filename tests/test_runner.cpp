// `ionrail run` end to end through the library: the Arrhenius fit over a
// temperature list recovers the configured activation energy.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <ionrail/runs/output.hpp>
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

// summary.json's transport section of the one_ion_diffusion.toml run with SETS.
ionrail::runs::json_doc transport_of(const std::string& name, const std::vector<std::string>& sets) {
  ionrail::runs::run_options o;
  o.out_dir = (fs::path(::testing::TempDir()) / name).string();
  o.force = true;
  o.quiet = true;
  o.overrides = sets;
  ionrail::runs::run_experiment(std::string(IONRAIL_SOURCE_DIR) + "/tests/data/one_ion_diffusion.toml", o);
  std::ifstream in(fs::path(o.out_dir) / "summary.json");
  std::stringstream text;
  text << in.rdbuf();
  return ionrail::runs::json_doc::parse(text.str()).at("runs").at(0).at("transport");
}

TEST(Runner, TransportCoefficientsOnlyWhileTheWallsAreFar) {
  // Wall-free (rms 0.011 of the rail): D_J = D* = 1e-18 m²/s exactly. The
  // MSD of a Poisson walk of 2 hops/s over 10 s is 20 a² with variance
  // 3·20² + 20 - 20² = 820 a⁴ per rail: a standard error of 0.64 a² (3.2 %)
  // over 2000 rails; 4 of them, plus 2 % for the ions that start within
  // reach of a wall.
  const auto free = transport_of("ionrail_transport_free", {});
  ASSERT_TRUE(free.at("d_jump_m2_s").is_number()) << free.dump();
  EXPECT_LT(free.at("confinement").get<double>(), 0.02);
  EXPECT_NEAR(free.at("d_jump_m2_s").get<double>(), 1e-18, 1e-18 * (4 * 0.032 + 0.02));
  EXPECT_EQ(free.at("d_jump_m2_s").get<double>(), free.at("d_tracer_m2_s").get<double>());  // one ion per rail
  EXPECT_FALSE(free.contains("note"));
  // The same ions on a rail of 20 sites for 1000 s: the MSD saturates near
  // (L a)²/6, and MSD/2t would give 7e-20 m²/s, flat in temperature.
  // Null, with the reason.
  const auto walled = transport_of("ionrail_transport_walled", {"device.sites=20", "device.thickness_nm=20", "device.rails=200",
                                                                "protocol.relax_s=1000", "protocol.sample_every_s=100"});
  EXPECT_GT(walled.at("confinement").get<double>(), 0.3);
  for (const char* key : {"d_tracer_m2_s", "d_jump_m2_s", "haven_ratio", "conductivity_s_m", "drift_velocity_m_s"})
    EXPECT_TRUE(walled.at(key).is_null()) << key << ": " << walled.dump();
  EXPECT_NE(walled.at("note").get<std::string>().find("the closed rail's walls, not diffusion"), std::string::npos);
}

}  // namespace
