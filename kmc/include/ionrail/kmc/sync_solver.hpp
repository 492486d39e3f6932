#pragma once
// The fast fixed-step method: each step, ions of even index then of odd index
// each draw one Philox word and hop against the configuration left by the
// previous half-sweep, so no two moving ions can target the same site.
#include <cstdint>
#include <vector>

#include <ionrail/kmc/rail_model.hpp>
#include <ionrail/kmc/solver.hpp>
#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::kmc {

class sync_solver final : public solver {
 public:
  // Rails are swept in blocks of this many; a block's positions and draws stay in L1.
  static constexpr int block_rails = 256;

  sync_solver(rail_model& model, const sim_params& sim, const voltage_source& source, charge_ledger& ledger,
              run_info& info);

  void advance_to(double t_s) override;
  double time_s() const override { return static_cast<double>(step_) * dt_; }
  void step();
  double dt_s() const { return dt_; }
  std::uint64_t steps() const { return step_; }

 private:
  void refresh_tables(double voltage_v);
  template <bool Mixed>
  void sweep_block(int first_rail, int end_rail, std::uint32_t* draws, int* histogram);

  rail_model& model_;
  const voltage_source& source_;
  charge_ledger& ledger_;
  run_info& info_;
  std::uint64_t seed_;
  int field_every_;
  int threads_;
  double dt_ = 0;
  std::uint64_t step_ = 0;
  std::vector<std::uint32_t> thr_right_;
  std::vector<std::uint32_t> thr_total_;
  std::vector<std::vector<int>> thread_histograms_;
};

}  // namespace ionrail::kmc
