#include <ionrail/kmc/engine.hpp>

#include <stdexcept>

#include <ionrail/kmc/bkl_solver.hpp>
#include <ionrail/kmc/sync_solver.hpp>

namespace ionrail::kmc {

const char* engine_version() { return "ionrail-kmc 0.1.0"; }

namespace {
const sim_params& checked(const sim_params& sim) {
  validate(sim);
  return sim;
}
}  // namespace

void engine::start(const sim_params& sim) {
  if (!source_) throw std::invalid_argument("engine: no voltage source");
  ledger_.current_per_hop_rate_a = model_.current_per_hop_rate_a();
  info_.solver = sim.solver;
  info_.seed = sim.seed;
}

engine::engine(const device_params& device, const sim_params& sim, std::shared_ptr<const voltage_source> source)
    : source_(std::move(source)), model_(device, checked(sim).seed) {
  start(sim);
  if (sim.solver == method::sync)
    solver_ = std::make_unique<sync_solver>(model_, sim, *source_, ledger_, info_);
  else
    solver_ = std::make_unique<bkl_solver>(model_, sim, *source_, ledger_, info_);
}

engine::engine(const device_params& device, const sim_params& sim, std::shared_ptr<const voltage_source> source,
               const solver_factory& backend)
    : source_(std::move(source)), model_(device, checked(sim).seed) {
  if (sim.solver != method::sync) throw std::invalid_argument("sim.method = \"bkl\": only the sync method runs on this backend");
  start(sim);
  solver_ = backend(model_, sim, *source_, ledger_, info_);
}

void engine::advance_to(double t_s) { solver_->advance_to(t_s); }

sample engine::take_sample() {
  solver_->sync_counts();
  sample s;
  s.t_s = time_s();
  s.v = source_->voltage(s.t_s);
  observation o = model_.observe();
  s.f_left = o.f_left;
  s.f_right = o.f_right;
  s.state = o.state;
  s.g_s = o.conductance_s;
  const double interval = s.t_s - last_sample_t_;
  s.i_ion_a = interval > 0 ? ledger_.current_per_hop_rate_a * static_cast<double>(ledger_.interval_charge_hops) / interval : 0.0;
  s.i_a = s.g_s * s.v + s.i_ion_a;
  s.energy_j = ledger_.energy_j;
  s.zones = std::move(o.zones);
  ledger_.interval_charge_hops = 0;
  last_sample_t_ = s.t_s;
  return s;
}

}  // namespace ionrail::kmc
