#pragma once
// The fast fixed-step method: each step, ions of even index then of odd index
// each draw one Philox word and hop against the configuration left by the
// previous half-sweep, so no two moving ions can target the same site.
//
// The step is sim.dt_s if given. Otherwise it is chosen at every field
// refresh as p_max / max(Γ+ + Γ−) over the rates of the fields that occur
// then, so strong space charge (whose worst-case field is far above what
// screening lets happen) does not force a tiny step for the whole run; capped
// at dt_max_s, shortened so that the drive changes ln Γ by at most
// rate_change_max, and ended on the drive's breakpoints (plan_step). Either
// way the last step before a sample time ends exactly on it.
#include <cstdint>
#include <vector>

#include <ionrail/kmc/rail_model.hpp>
#include <ionrail/kmc/solver.hpp>
#include <ionrail/kmc/thread_governor.hpp>
#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::kmc {

class sync_solver final : public solver {
 public:
  // Rails are swept in blocks of this many; a block's positions and draws stay in L1.
  static constexpr int block_rails = 256;

  sync_solver(rail_model& model, const sim_params& sim, const voltage_source& source, charge_ledger& ledger,
              run_info& info);

  // Steps until t_s; the last step is shortened to end exactly at t_s.
  void advance_to(double t_s) override;
  double time_s() const override { return t_; }
  double work_done() const override { return info_.attempts; }
  void step() override;
  double dt_s() const { return dt_; }
  std::uint64_t steps() const { return step_; }
  const thread_governor& governor() const { return governor_; }
  bool can_save_state() const override { return true; }
  void save_state(state_writer& out) const override;
  void load_state(state_reader& in) override;

 private:
  // Field, rates, dt and thresholds for the step starting now that ends at
  // or before `target`; kept until the step is taken (or planned for another
  // target). The field is refreshed every field_every steps.
  void prepare_step(double target);
  void refresh_tables(double t_mid);
  void take_step();
  void set_thresholds();
  // The two half-sweeps of a block of rails, then its site histogram.
  template <bool Mixed>
  void sweep_block(int first_rail, int end_rail, std::uint32_t* draws);
  template <bool Mixed>
  void count_block(int first_rail, int end_rail, int* histogram) const;

  rail_model& model_;
  const voltage_source& source_;
  charge_ledger& ledger_;
  run_info& info_;
  std::uint64_t seed_;
  int field_every_;
  int threads_;
  bool automatic_dt_;
  double p_max_;
  double dt_max_;
  double rate_change_max_;
  double dv_max_;                 // largest drive change per automatic step (0: none)
  drive_breakpoints drive_;
  double dt_ = 0;                 // the prepared (or last) step
  double dt_natural_ = 0;         // the step before the drive and the targets shorten it
  double next_natural_ = 0;       // dt_natural_ once the prepared step is taken
  double step_end_ = 0;           // when the prepared step ends
  double prepared_target_ = 0;    // the target it was planned for
  double t_ = 0;
  double step_voltage_ = 0;
  bool prepared_ = false;
  std::uint64_t step_ = 0;
  std::vector<site_rates> rates_;
  std::vector<std::uint32_t> thr_right_;
  std::vector<std::uint32_t> thr_total_;
  std::vector<std::vector<int>> thread_histograms_;
  thread_governor governor_;
  bool avx512_;                             // detail::avx512_sweep for one combination
  std::vector<std::uint32_t> thr_padded_;   // its thresholds: right, then total, 128 each
};

}  // namespace ionrail::kmc
