#include <ionrail/kmc/engine.hpp>

#include <omp.h>

#include <cstdio>
#include <stdexcept>

#include <ionrail/kmc/bkl_solver.hpp>
#include <ionrail/kmc/state_io.hpp>
#include <ionrail/kmc/sync_solver.hpp>

namespace ionrail::kmc {

const char* engine_version() { return "ionrail-kmc 0.2.0"; }

void solver::save_state(state_writer&) const {
  throw std::logic_error("this backend cannot save its state (checkpoints need the CPU backend)");
}
void solver::load_state(state_reader&) {
  throw std::logic_error("this backend cannot load a saved state (checkpoints need the CPU backend)");
}

double engine_memory_bytes(const device_params& d, const sim_params& s) {
  const double rails = d.rails, ions = d.ions_per_rail();
  const double stride = (rails + 63) / 64 * 64;
  const double species = static_cast<double>(d.species.size()), classes = static_cast<double>(d.classes.size());
  const double table = species * classes * (d.sites + 2.0);  // (combo, position) entries
  double bytes = 0;
  const double positions = (ions + 2) * stride * 2;  // uint16
  bytes += 2 * positions;                            // positions + the transport reference
  if (species > 1) bytes += ions * stride;           // species per ion
  if (classes > 1) bytes += stride;                  // class per rail
  bytes += table * (8 + 16);                         // counts, rates
  bytes += (classes + 1) * d.sites * 8 * 2;          // bond fields, site energies
  if (s.solver == method::sync) {
    const double threads = s.threads > 0 ? s.threads : omp_get_max_threads();
    bytes += table * 8;                                // thresholds
    bytes += threads * (4.0 * table * 4 + 4 * 256 * 4);  // per-thread histograms and draws
  } else {
    const double ids = rails * ions;
    bytes += ids * 2 * (4 + 4);    // slot, slot bucket per direction
    bytes += ids * 2 * 4 * 1.5;    // bucket entries (vectors keep spare capacity)
    bytes += table * 2 * (24 + 8 * 3);
  }
  bytes += 2 * positions;  // a checkpoint: the serialised state and its file buffer
  return bytes;
}

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
  solver_->set_work_limit(sim.work_limit);
}

engine::engine(const device_params& device, const sim_params& sim, std::shared_ptr<const voltage_source> source,
               const solver_factory& backend)
    : source_(std::move(source)), model_(device, checked(sim).seed) {
  if (sim.solver != method::sync) throw std::invalid_argument("sim.method = \"bkl\": only the sync method runs on this backend");
  start(sim);
  solver_ = backend(model_, sim, *source_, ledger_, info_);
  solver_->set_work_limit(sim.work_limit);
}

void engine::advance_to(double t_s) {
  solver_->advance_to(t_s);
  if (solver_->work_exhausted()) {
    solver_->sync_counts();
    char text[512];
    std::snprintf(text, sizeof text,
                  "this run passed its work limit of %.3g hop attempts (--max-work) at t = %.6g s of its drive: "
                  "its estimate before it started was lower (space charge can shorten the automatic step far below "
                  "what the estimate assumes); raise --max-work to let it go on, or lower the voltage, the ion "
                  "density or the film thickness",
                  solver_->work_limit(), solver_->time_s());
    throw work_limit_exceeded(text);
  }
}

std::string engine::save_state() const {
  solver_->sync_to_host();
  state_writer out;
  out.put_tag(engine_version());
  out.put<std::int32_t>(static_cast<std::int32_t>(info_.solver));
  out.put(ledger_.energy_j);
  out.put(ledger_.interval_charge_hops);
  out.put(info_.dt_s);
  out.put(info_.dt_min_s);
  out.put(info_.dt_max_s);
  out.put(info_.steps);
  out.put(info_.events);
  out.put(info_.attempts);
  out.put(info_.max_hop_probability);
  out.put(last_sample_t_);
  model_.save_state(out);
  solver_->save_state(out);
  return out.take();
}

void engine::load_state(std::string_view bytes, const std::string& what) {
  if (!solver_->can_save_state())
    throw std::logic_error("this backend cannot load a saved state (checkpoints need the CPU backend)");
  state_reader in(bytes, what);
  in.expect_tag(engine_version());
  if (in.get<std::int32_t>() != static_cast<std::int32_t>(info_.solver)) in.fail("written by another sim.method");
  ledger_.energy_j = in.get<double>();
  ledger_.interval_charge_hops = in.get<long long>();
  info_.dt_s = in.get<double>();
  info_.dt_min_s = in.get<double>();
  info_.dt_max_s = in.get<double>();
  info_.steps = in.get<std::uint64_t>();
  info_.events = in.get<std::uint64_t>();
  info_.attempts = in.get<double>();
  info_.max_hop_probability = in.get<double>();
  last_sample_t_ = in.get<double>();
  model_.load_state(in);
  solver_->load_state(in);
  in.expect_end();
}

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
