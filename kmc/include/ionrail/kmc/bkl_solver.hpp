#pragma once
// The exact method (Bortz–Kalos–Lebowitz / Gillespie): one hop at a time,
// chosen with probability proportional to its rate, time advanced by an
// exponential waiting time, field refreshed after every event. The reference
// the sync method is validated against; CPU only.
//
// Movable ions are kept in buckets by (class, species, position, direction),
// all of whose members share one rate. Bucket weights (rate × size) sit in a
// Fenwick tree: a hop updates a few buckets in O(log B); a rate refresh
// (space charge on, or V changed) rebuilds the tree in O(B).
#include <cstdint>
#include <vector>

#include <ionrail/kmc/rail_model.hpp>
#include <ionrail/kmc/solver.hpp>
#include <ionrail/kmc/voltage_source.hpp>

namespace ionrail::kmc {

class bkl_solver final : public solver {
 public:
  bkl_solver(rail_model& model, const sim_params& sim, const voltage_source& source, charge_ledger& ledger,
             run_info& info);

  void advance_to(double t_s) override;
  void step() override;
  double time_s() const override { return t_; }
  double work_done() const override { return 500.0 * static_cast<double>(event_); }
  std::uint64_t events() const { return event_; }
  bool can_save_state() const override { return true; }
  void save_state(state_writer& out) const override;
  void load_state(state_reader& in) override;

 private:
  static constexpr std::uint32_t none = 0xFFFFFFFFu;
  int bucket_of(int rail, int ion, int direction) const;
  void insert(int rail, int ion);
  void erase(int rail, int ion);
  void hop(int rail, int ion, int direction, double voltage_v);
  // One event if it happens before t_limit (true); else time moves to t_limit (false).
  bool next_event(double t_limit);
  void set_weight(std::size_t bucket);
  void rebuild_tree();
  // Smallest bucket whose cumulative weight exceeds target; target is reduced
  // to the offset inside that bucket.
  std::size_t find_bucket(double& target) const;

  rail_model& model_;
  const voltage_source& source_;
  charge_ledger& ledger_;
  run_info& info_;
  std::uint64_t seed_;
  double t_ = 0;
  std::uint64_t event_ = 0;
  double rates_voltage_ = 0;
  bool rates_stale_ = true;
  std::vector<site_rates> rates_;
  std::vector<double> bucket_rate_;
  std::vector<double> weight_;                      // rate × size per bucket
  std::vector<double> tree_;                        // Fenwick tree over weight_, 1-based
  std::size_t tree_top_ = 1;                        // highest power of two <= buckets
  std::uint64_t updates_since_rebuild_ = 0;
  std::vector<std::vector<std::uint32_t>> buckets_;  // ion ids: rail * ions + ion
  std::vector<std::uint32_t> slot_;                 // per id and direction: index in its bucket
  std::vector<std::uint32_t> slot_bucket_;          // per id and direction: its bucket
};

}  // namespace ionrail::kmc
