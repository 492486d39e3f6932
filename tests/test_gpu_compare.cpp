// CPU vs GPU: for the same device, protocol and seed the CUDA sync solver must
// reproduce the CPU trajectory bit for bit (positions, counts, every sample,
// step count, time, energy). Skipped without a GPU; the CUDA code is still
// compiled wherever nvcc is found.
#include <gtest/gtest.h>

#include <memory>

#include <ionrail/calibration/fit.hpp>
#include <ionrail/gpu/cuda_backend.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/protocol.hpp>

#include "same_bits.hpp"

namespace {

using namespace ionrail::kmc;
namespace gpu = ionrail::gpu;

using ionrail::test::same_bits;

struct run_result {
  std::vector<sample> samples;
  std::vector<std::uint16_t> q;
  std::vector<long long> counts;
  run_info info;
  double energy;
};

run_result run(const device_params& d, const sim_params& sim, const protocol_params& p, bool on_gpu) {
  const auto drive = make_drive(p);
  std::unique_ptr<engine> e = on_gpu ? std::make_unique<engine>(d, sim, drive.voltage, gpu::cuda_sync_backend())
                                     : std::make_unique<engine>(d, sim, drive.voltage);
  run_result r;
  const int samples = 6;
  for (int k = 1; k <= samples; ++k) {
    e->advance_to(drive.duration_s * k / samples);
    r.samples.push_back(e->take_sample());
  }
  r.q = e->model().positions().q;
  r.counts = e->model().counts();
  r.info = e->info();
  r.energy = e->energy_j();
  return r;
}

void expect_identical(const device_params& d, const sim_params& sim, const protocol_params& p) {
  const auto cpu = run(d, sim, p, false);
  const auto gpu_run = run(d, sim, p, true);
  EXPECT_EQ(cpu.info.steps, gpu_run.info.steps);
  EXPECT_TRUE(same_bits(cpu.info.dt_s, gpu_run.info.dt_s));
  EXPECT_TRUE(same_bits(cpu.energy, gpu_run.energy)) << cpu.energy << " vs " << gpu_run.energy;
  EXPECT_EQ(cpu.counts, gpu_run.counts);
  EXPECT_EQ(cpu.q, gpu_run.q);
  ionrail::test::expect_same_samples(cpu.samples, gpu_run.samples);
}

class GpuCompare : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!gpu::cuda_available()) GTEST_SKIP() << "no GPU: " << gpu::device_description();
  }
};

protocol_params relax(double volts, double pulse, double rest) {
  protocol_params p;
  p.relax = {volts, pulse, rest};
  return p;
}

TEST_F(GpuCompare, RelaxWithSpaceCharge_compare) {
  for (int rails : {1000, 1337, 257}) {  // not multiples of the 256-thread block
    SCOPED_TRACE(rails);
    device_params d;
    d.rails = rails;
    expect_identical(d, sim_params{}, relax(5.0, 1.0, 1.0));
  }
}

TEST_F(GpuCompare, RelaxWithoutSpaceCharge_compare) {
  device_params d;
  d.rails = 3001;
  d.ion_density_m3 = 0;
  expect_identical(d, sim_params{}, relax(3.0, 1.0, 1.0));
}

TEST_F(GpuCompare, SweepWithStrongSpaceCharge_compare) {
  device_params d;
  d.rails = 2000;
  d.ion_density_m3 = 2e24;
  d.zones = 4;
  protocol_params p;
  p.kind = protocol_kind::sweep;
  p.sweep = {1.0, 1.0, 1};
  expect_identical(d, sim_params{}, p);
}

TEST_F(GpuCompare, MixedSpeciesClassesFixedStepAndSlowFieldRefresh_compare) {
  device_params d;
  d.rails = 1500;
  d.species = {species_params{"a", 1, 0.70, 1e13, 0.2}, species_params{"b", -1, 0.75, 1e13, 0.1}};
  d.classes = {rail_class_params{"x", 0.4, -0.03, 1.0, {}}, rail_class_params{"y", 0.6, 0.05, 2.0, {}}};
  d.field_per_class = true;
  sim_params sim;
  sim.dt_s = 2e-3;
  sim.field_every = 3;
  expect_identical(d, sim, relax(4.0, 0.5, 0.5));
}

// Rails too long for the shared-memory paths: 2000 ions per rail do not fit a
// 32-rail tile, and 6000 sites do not fit the field's running sum in shared
// memory, so the sweep and the field run from device memory instead.
TEST_F(GpuCompare, LongRailsRunFromDeviceMemory_compare) {
  device_params d;
  d.rails = 300;
  d.sites = 6000;
  d.thickness_nm = 6000.0;
  d.zones = 6;
  expect_identical(d, sim_params{}, relax(60.0, 1.0, 1.0));
}

// More rails than one wave of 32-rail tiles: one thread per rail.
TEST_F(GpuCompare, ManyRailsOneThreadPerRail_compare) {
  device_params d;
  d.rails = 50000;
  expect_identical(d, sim_params{}, relax(5.0, 0.2, 0.2));
}

TEST_F(GpuCompare, MillionRailsFit) {
  device_params d;
  d.rails = 1000000;
  const auto drive = make_drive(relax(5.0, 0.05, 0.0));
  engine e(d, sim_params{}, drive.voltage, gpu::cuda_sync_backend());
  e.advance_to(0.05);
  EXPECT_GT(e.info().steps, 0u);
  EXPECT_GT(e.take_sample().f_right, 0.1);
}

// The work limit (--max-work) stops a CUDA run too, within one batch of
// steps past it, and the CPU run of the same limit stops as well.
TEST_F(GpuCompare, WorkLimitStopsTheRun) {
  device_params d;
  d.rails = 50000;
  sim_params sim;
  const auto drive = make_drive(relax(5.0, 0.2, 0.2));
  {
    engine full(d, sim, drive.voltage, gpu::cuda_sync_backend());
    full.advance_to(drive.duration_s);
    sim.work_limit = full.info().attempts / 4;
  }
  for (bool on_gpu : {false, true}) {
    SCOPED_TRACE(on_gpu ? "gpu" : "cpu");
    std::unique_ptr<engine> e = on_gpu ? std::make_unique<engine>(d, sim, drive.voltage, gpu::cuda_sync_backend())
                                       : std::make_unique<engine>(d, sim, drive.voltage);
    EXPECT_THROW(e->advance_to(drive.duration_s), work_limit_exceeded);
    EXPECT_GT(e->info().attempts, sim.work_limit);
    EXPECT_LT(e->info().attempts, sim.work_limit + 4097.0 * d.rails * d.ions_per_rail());
  }
}

// `ionrail fit`'s model curves on the CUDA backend: the same residuals, so
// the same fit, the same checkpoint (fit_problem::set_backend).
TEST_F(GpuCompare, FitModelCurves_compare) {
  using namespace ionrail::calibration;
  fit_params f;
  f.rails = 2000;
  fit_parameter_spec ea;
  ea.name = fit_parameter_name::activation_energy_ev;
  ea.lower = 0.6;
  ea.upper = 0.9;
  ea.start = 0.75;
  f.parameters.push_back(ea);
  fit_curve c;
  c.spec.file = "relax";
  for (int k = 0; k <= 20; ++k) c.measured.t_s.push_back(0.5 * k);
  c.measured.value.assign(c.measured.t_s.size(), 1e-5);
  c.drive = std::make_shared<piecewise_linear_voltage>(std::vector<double>{0, 1, 1 + 1e-6, 5, 5 + 1e-6, 10},
                                                       std::vector<double>{0, 0, 5, 5, 0, 0});
  fit_problem cpu(device_params{}, sim_params{}, f, {c});
  fit_problem on_gpu(device_params{}, sim_params{}, f, {c});
  on_gpu.set_backend(gpu::cuda_sync_backend());
  for (double v : {0.72, 0.75}) {
    const auto a = cpu.model_curves({v}), b = on_gpu.model_curves({v});
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t k = 0; k < a[0].size(); ++k) EXPECT_TRUE(same_bits(a[0][k], b[0][k])) << v << " " << k;
  }
}

TEST(GpuBackend, WithoutAGpuTheBackendRefusesClearly) {
  if (gpu::cuda_available()) GTEST_SKIP() << "a GPU is present";
  device_params d;
  d.rails = 10;
  try {
    engine e(d, sim_params{}, std::make_shared<constant_voltage>(1.0), gpu::cuda_sync_backend());
    FAIL() << "constructed a CUDA engine without a GPU";
  } catch (const std::runtime_error& ex) {
    EXPECT_NE(std::string(ex.what()).find("no CUDA device"), std::string::npos) << ex.what();
  }
  EXPECT_FALSE(gpu::device_description().empty());
}

}  // namespace
