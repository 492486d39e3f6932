#pragma once
// What the solvers share: the account of charge and energy they keep while
// advancing, and the record of how a run was simulated.
#include <atomic>
#include <cstdint>
#include <string>

#include <ionrail/kmc/params.hpp>

namespace ionrail::kmc {

class state_writer;
class state_reader;

// ∫ I V dt and the charge moved, accumulated over intervals of constant V and G
// and over hops (each hop moves charge z e across a of the film thickness d).
struct charge_ledger {
  double current_per_hop_rate_a = 0;  // e (a/d) N_device / rails
  double energy_j = 0;
  long long interval_charge_hops = 0;  // Σ z Δq since the last sample

  void account_interval(double dt_s, double voltage_v, double conductance_s) {
    energy_j += conductance_s * voltage_v * voltage_v * dt_s;
  }
  void account_hops(long long charge_hops, double voltage_v) {
    interval_charge_hops += charge_hops;
    energy_j += current_per_hop_rate_a * static_cast<double>(charge_hops) * voltage_v;
  }
};

struct run_info {
  method solver = method::sync;
  const char* backend = "cpu";      // "cpu" or "cuda"
  std::string device;               // e.g. the GPU's name
  std::uint64_t seed = 0;
  double dt_s = 0;                  // sync: mean step (time / steps)
  double dt_min_s = 0;              // sync: smallest and largest step taken
  double dt_max_s = 0;
  bool dt_automatic = false;        // chosen per refresh from p_max (else given as sim.dt_s)
  int threads = 1;                  // the most a step may use
  double threads_mean = 0;          // sync: the mean team a step used (the thread governor's choice)
  std::uint64_t steps = 0;          // sync steps
  std::uint64_t events = 0;         // bkl hops
  double attempts = 0;              // sync ion-hop attempts
  double max_hop_probability = 0;   // largest (Γ+ + Γ−) dt met in a rate table
};

class solver {
 public:
  virtual ~solver() = default;
  virtual void advance_to(double t_s) = 0;
  // One sync step, or one BKL event.
  virtual void step() = 0;
  virtual double time_s() const = 0;
  // Backends that keep the state elsewhere (a GPU) bring positions back here
  // before the host reads them; counts are current after every advance_to.
  virtual void sync_to_host() const {}
  // The same for counts, time and the ledger only (cheap: no positions).
  virtual void sync_counts() const {}

  // Checkpoints: the solver's whole state (time, step or event counter, rate
  // tables, ...), so that a solver of the same configuration that loads it
  // continues bit for bit. Philox draws are pure functions of (seed, counter),
  // so no generator state is needed. Backends that cannot say so.
  virtual bool can_save_state() const { return false; }
  virtual void save_state(state_writer& out) const;
  virtual void load_state(state_reader& in);

  // A flag polled between sync steps and BKL events: once it is set,
  // advance_to returns early (time_s() < the target); calling advance_to
  // again continues exactly where it stopped. Null: never stop.
  void set_stop_flag(const std::atomic<bool>* flag) { stop_ = flag; }

  // The work this solver has done, in the work estimate's unit (sync: ion
  // hop attempts; BKL: 500 per event), and a limit on it: past the limit
  // advance_to returns early, as for the stop flag, and work_exhausted()
  // says why. 0: no limit. Every backend polls it (CUDA: per batch of up to
  // 4096 steps, so it may pass the limit by that many steps' attempts).
  virtual double work_done() const { return 0.0; }
  void set_work_limit(double attempts) { work_limit_ = attempts; }
  double work_limit() const { return work_limit_; }
  bool work_exhausted() const { return work_limit_ > 0 && work_done() > work_limit_; }

 protected:
  bool stop_requested() const {
    return (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) || work_exhausted();
  }

 private:
  const std::atomic<bool>* stop_ = nullptr;
  double work_limit_ = 0.0;
};

}  // namespace ionrail::kmc
