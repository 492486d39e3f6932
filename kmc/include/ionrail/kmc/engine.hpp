#pragma once
// The rail KMC engine: a device, a solver and a voltage source, advanced in
// time and sampled. Everything a protocol or a test needs goes through here.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <ionrail/kmc/params.hpp>
#include <ionrail/kmc/rail_model.hpp>
#include <ionrail/kmc/solver.hpp>
#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::kmc {

// One row of a trace (spec §6). Currents and energy are for the whole device.
struct sample {
  double t_s = 0;
  double v = 0;
  double f_left = 0;
  double f_right = 0;
  double state = 0;
  double g_s = 0;
  double i_a = 0;      // G V + I_ion
  double i_ion_a = 0;  // ionic displacement current, averaged since the previous sample
  double energy_j = 0; // ∫ I V dt since the start
  std::vector<double> zones;
};

const char* engine_version();

// What an engine of this configuration allocates, in bytes, estimated from
// rails × (ions per rail + 2) positions etc. before anything is allocated,
// with one checkpoint's copy of the state on top, so that a caller can refuse
// a size the machine cannot hold. `threads` as in sim_params (0: OpenMP's).
double engine_memory_bytes(const device_params& device, const sim_params& sim);

// A run stopped at sim_params::work_limit: bad input for the commands (exit
// 2, nothing written), since the limit is the user's --max-work.
class work_limit_exceeded : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Builds the solver of another backend (the CUDA one lives in gpu/, above kmc).
using solver_factory = std::function<std::unique_ptr<solver>(rail_model&, const sim_params&, const voltage_source&,
                                                             charge_ledger&, run_info&)>;

class engine {
 public:
  engine(const device_params& device, const sim_params& sim, std::shared_ptr<const voltage_source> source);
  // The same run on another backend's solver (sync method only).
  engine(const device_params& device, const sim_params& sim, std::shared_ptr<const voltage_source> source,
         const solver_factory& backend);
  // The solver refers to this engine's model and ledger: never copied or moved.
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  void advance_to(double t_s);
  // One sync step or one BKL event (for benchmarks and step-wise drivers).
  void step() { solver_->step(); }
  double time_s() const { return solver_->time_s(); }
  // The state now; the ionic current is the mean since the previous call.
  sample take_sample();

  transport_estimate transport() const { return model().transport(time_s()); }
  void reset_transport_reference() {
    solver_->sync_to_host();
    model_.set_transport_reference(time_s());
  }

  const run_info& info() const { return info_; }
  const rail_model& model() const {
    solver_->sync_to_host();
    return model_;
  }
  const device_params& device() const { return model_.device(); }
  const voltage_source& source() const { return *source_; }
  double energy_j() const {
    solver_->sync_counts();
    return ledger_.energy_j;
  }

  // Checkpoints. save_state() is the engine's whole state (positions, counts,
  // fields, the charge ledger, the run record, the last sample time and the
  // solver's time, counter and tables) as bytes; load_state() on an engine
  // built from the same parameters makes it continue bit for bit as the saved
  // one would have. Throws state_error (naming `what`) on a state that does
  // not fit, std::logic_error where the backend cannot (can_save_state()).
  bool can_save_state() const { return solver_->can_save_state(); }
  std::string save_state() const;
  void load_state(std::string_view bytes, const std::string& what);

  // advance_to returns early once *flag is set (between sync steps or BKL
  // events; the CUDA backend does not poll it); advancing again continues
  // exactly. For checkpoints on a timer or a signal.
  void set_stop_flag(const std::atomic<bool>* flag) { solver_->set_stop_flag(flag); }

 private:
  std::shared_ptr<const voltage_source> source_;
  rail_model model_;
  charge_ledger ledger_;
  run_info info_;
  std::unique_ptr<solver> solver_;
  double last_sample_t_ = 0;

  void start(const sim_params& sim);  // what both constructors do before choosing the solver
};

}  // namespace ionrail::kmc
