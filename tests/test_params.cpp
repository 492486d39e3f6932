// Bad parameters are refused with a message that names the key, the value
// and the valid range.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include <ionrail/kmc/engine.hpp>

namespace {

using namespace ionrail::kmc;

void expect_rejected(const std::function<void(device_params&, sim_params&)>& spoil, const std::string& key,
                     const std::string& range) {
  device_params d;
  d.rails = 10;
  sim_params s;
  spoil(d, s);
  try {
    engine e(d, s, std::make_shared<constant_voltage>(1.0));
    FAIL() << "accepted bad " << key;
  } catch (const std::invalid_argument& ex) {
    const std::string what = ex.what();
    EXPECT_NE(what.find(key), std::string::npos) << what;
    EXPECT_NE(what.find(range), std::string::npos) << what;
  }
}

TEST(Params, BadValuesNameKeyValueAndRange) {
  expect_rejected([](auto& d, auto&) { d.sites = 0; }, "device.sites = 0", "[2, 65533]");
  expect_rejected([](auto& d, auto&) { d.sites = 70000; }, "device.sites = 70000", "[2, 65533]");
  expect_rejected([](auto& d, auto&) { d.rails = -3; }, "device.rails = -3", ">= 1");
  expect_rejected([](auto& d, auto&) { d.thickness_nm = std::nan(""); }, "device.thickness_nm", "finite and > 0");
  expect_rejected([](auto& d, auto&) { d.temperature_k = -1; }, "device.temperature_k = -1", "> 0");
  expect_rejected([](auto& d, auto&) { d.ion_density_m3 = -1; }, "device.ion_density_m3", "[0, 1e30]");
  expect_rejected([](auto& d, auto&) { d.species[0].fill = 1.5; }, "species[0].fill = 1.5", "[0, 1]");
  expect_rejected([](auto& d, auto&) { d.species[0].charge = 0; }, "species[0].charge = 0", "non-zero");
  expect_rejected([](auto& d, auto&) { d.species.push_back(d.species[0]); d.species[1].fill = 0.9; },
                  "species fill (ions per rail)", "must not exceed device.sites");
  expect_rejected([](auto& d, auto&) { d.species[0].ions = -2; }, "species[0].ions = -2", ">= 1 ions per rail");
  expect_rejected([](auto& d, auto&) { d.species[0].ions = 101; }, "species[0].ions = 101", "must not exceed device.sites = 100");
  expect_rejected([](auto& d, auto&) { d.species.push_back(d.species[0]); d.species[1].ions = 80; },
                  "species fill and ions (ions per rail) = 113", "must not exceed device.sites");
  expect_rejected([](auto& d, auto&) { d.classes[0].fraction = 0.5; }, "rail_class fractions (sum) = 0.5", "sum to 1");
  expect_rejected([](auto& d, auto&) { d.site_energy_ev.assign(3, 0.0); }, "device.site_energy_ev (entries) = 3",
                  "one value per site (100)");
  expect_rejected([](auto& d, auto&) { d.zones = 0; }, "device.zones = 0", "[1, sites]");
  // The current scales with the area: 1e300 µm² once wrote inf currents.
  expect_rejected([](auto& d, auto&) { d.area_um2 = 1e300; }, "device.area_um2 = 1e+300", "(0, 1e12]");
  expect_rejected([](auto& d, auto&) { d.initial_profile.assign(100, 0.0); d.initial_profile[3] = 1; },
                  "device.initial_profile (sites with weight > 0) = 1", "at least the ions per rail (33)");
  expect_rejected([](auto&, auto& s) { s.p_max = 1.0; }, "sim.p_max = 1", "(0, 1)");
  expect_rejected([](auto&, auto& s) { s.dt_s = -1; }, "sim.dt_s = -1", ">= 0");
  expect_rejected([](auto&, auto& s) { s.field_every = 0; }, "sim.field_every = 0", ">= 1");
}

TEST(Params, StepTooLargeForTheRatesIsRefusedWhenMet) {
  device_params d;
  d.rails = 10;
  d.species[0].activation_energy_ev = 0;
  d.species[0].attempt_frequency_hz = 1;
  sim_params s;
  s.dt_s = 2.0;  // Γ+ + Γ− ≈ 2 Hz: probability ≈ 4
  engine e(d, s, std::make_shared<constant_voltage>(0.0));
  try {
    e.advance_to(10.0);
    FAIL() << "a step with hop probability > 1 ran";
  } catch (const std::domain_error& ex) {
    EXPECT_NE(std::string(ex.what()).find("sim.dt_s = 2"), std::string::npos) << ex.what();
  }
}

TEST(Params, WaveformTimesMustIncrease) {
  EXPECT_THROW(piecewise_linear_voltage({0.0, 1.0, 1.0}, {0, 1, 2}, "w.csv"), std::invalid_argument);
  EXPECT_THROW(piecewise_linear_voltage({0.0, std::nan("")}, {0, 1}, "w.csv"), std::invalid_argument);
  EXPECT_THROW(piecewise_linear_voltage({}, {}, "w.csv"), std::invalid_argument);
  const piecewise_linear_voltage w({0.0, 1.0, 3.0}, {0.0, 2.0, -2.0});
  EXPECT_DOUBLE_EQ(w.voltage(-1.0), 0.0);
  EXPECT_DOUBLE_EQ(w.voltage(0.5), 1.0);
  EXPECT_DOUBLE_EQ(w.voltage(2.0), 0.0);
  EXPECT_DOUBLE_EQ(w.voltage(5.0), -2.0);
  EXPECT_DOUBLE_EQ(w.max_abs_voltage(), 2.0);
}

// species.ions gives n_s exactly, in place of round(fill · sites), species by species.
TEST(Params, IonsPerRailFromIonsOrFill) {
  device_params d;  // 100 sites, fill 1/3: 33
  EXPECT_EQ(d.ions_per_rail(), 33);
  d.species.push_back(d.species[0]);
  d.species[1].name = "b";
  d.species[1].ions = 7;
  EXPECT_EQ(d.species_counts(), (std::vector<int>{33, 7}));
  EXPECT_EQ(d.ions_per_rail(), 40);
  d.species[0].ions = 1;
  EXPECT_EQ(d.species_counts(), (std::vector<int>{1, 7}));
  EXPECT_NO_THROW(validate(d));
}

}  // namespace
