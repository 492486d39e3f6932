#pragma once
// The work a KMC run will do, estimated from its configuration before
// anything is allocated, so that a command can refuse a run that would not
// finish in any reasonable time (sim.dt_s = 1e-300, or a voltage so high
// that the automatic step collapses) instead of starting it.
#include <string>
#include <vector>

#include <ionrail/kmc/params.hpp>
#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::kmc {

// Work is counted in sync hop attempts (one ion of one rail in one step),
// the unit of BM_kmc_sync_step. A BKL event costs about as much as this many
// attempts (measured: 9.3·10^5 events/s against 5.8·10^8 attempts/s on one
// core, see docs/performance.md), so events count at this weight.
inline constexpr double bkl_event_attempts = 500.0;
// The default limit: about a day at 10^9 attempts/s (two cores), a few
// minutes on a GPU. Commands take --max-work to raise or lower it.
inline constexpr double default_work_limit = 1e14;

struct work_estimate {
  double steps = 0;         // sync steps, or BKL events
  double attempts = 0;      // the work, in sync hop attempts (see above)
  double peak_rate_hz = 0;  // largest Γ+ + Γ− of one ion in the applied field
  double peak_voltage_v = 0;
  double smallest_step_s = 0;  // sync: the step at the peak (fixed or automatic)
  bool finite() const;
};

// Steps are integrated over the drive's segments (ramps cut in eight), each
// at its own largest |V|, in the applied field V/d. Space charge raises the
// field near the electrodes, so a run can take a few times more steps than
// estimated (experiments/potentiation_depression.toml: 615 against 356):
// the estimate is for catching runs that would never end, not a timing.
work_estimate estimate_work(const device_params& device, const sim_params& sim, const piecewise_linear_voltage& drive);

// The estimate as it accumulates over the drive: attempts done by each of
// the drive's breakpoints, for a progress bar that moves with the work (a
// pulse phase at high field takes most of the steps of a run whose
// simulated time is mostly relaxation).
struct work_profile {
  std::vector<double> t_s;       // the drive's breakpoints
  std::vector<double> attempts;  // estimated attempts done by each
  // Attempts done by time t (linear within a segment; the total past the end).
  double at(double t_s) const;
  double total() const { return attempts.empty() ? 0.0 : attempts.back(); }
};
work_profile estimate_work_profile(const device_params& device, const sim_params& sim, const piecewise_linear_voltage& drive);

// One line for a refusal: the estimate, what makes it large, the keys to
// change; empty when the estimate is within limit.
std::string work_refusal(const work_estimate& w, const device_params& device, const sim_params& sim, double limit);

}  // namespace ionrail::kmc
