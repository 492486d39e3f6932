#include <ionrail/kmc/bkl_solver.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <ionrail/kmc/state_io.hpp>

namespace ionrail::kmc {

bkl_solver::bkl_solver(rail_model& model, const sim_params& sim, const voltage_source& source,
                       charge_ledger& ledger, run_info& info)
    : model_(model), source_(source), ledger_(ledger), info_(info), seed_(sim.seed) {
  validate(model_.device(), sim);  // ion ids must fit 32 bits
  info_.threads = 1;
  const std::size_t ids = static_cast<std::size_t>(model_.rails()) * model_.ions_per_rail();
  buckets_.resize(static_cast<std::size_t>(model_.combos()) * model_.table_width() * 2);
  bucket_rate_.assign(buckets_.size(), 0.0);
  weight_.assign(buckets_.size(), 0.0);
  tree_.assign(buckets_.size() + 1, 0.0);
  while (tree_top_ * 2 <= buckets_.size()) tree_top_ *= 2;
  slot_.assign(ids * 2, none);
  slot_bucket_.assign(ids * 2, none);
  for (int r = 0; r < model_.rails(); ++r)
    for (int j = 0; j < model_.ions_per_rail(); ++j) insert(r, j);
}

int bkl_solver::bucket_of(int rail, int ion, int direction) const {
  const rail_positions& pos = model_.positions();
  const int q = pos.row(ion)[rail];
  const int neighbour = direction == 0 ? pos.row(ion + 1)[rail] : pos.row(ion - 1)[rail];
  if (std::abs(neighbour - q) <= 1) return -1;
  return (model_.combo(rail, ion) * model_.table_width() + q) * 2 + direction;
}

void bkl_solver::insert(int rail, int ion) {
  const std::uint32_t id = static_cast<std::uint32_t>(rail) * model_.ions_per_rail() + ion;
  for (int dir = 0; dir < 2; ++dir) {
    const int b = bucket_of(rail, ion, dir);
    if (b < 0) continue;
    slot_[id * 2 + dir] = static_cast<std::uint32_t>(buckets_[b].size());
    slot_bucket_[id * 2 + dir] = static_cast<std::uint32_t>(b);
    buckets_[b].push_back(id);
    set_weight(static_cast<std::size_t>(b));
  }
}

void bkl_solver::erase(int rail, int ion) {
  const std::uint32_t id = static_cast<std::uint32_t>(rail) * model_.ions_per_rail() + ion;
  for (int dir = 0; dir < 2; ++dir) {
    const std::uint32_t s = slot_[id * 2 + dir];
    if (s == none) continue;
    const std::uint32_t b = slot_bucket_[id * 2 + dir];
    auto& bucket = buckets_[b];
    const std::uint32_t moved = bucket.back();
    bucket[s] = moved;
    slot_[moved * 2 + dir] = s;
    bucket.pop_back();
    slot_[id * 2 + dir] = none;
    slot_bucket_[id * 2 + dir] = none;
    set_weight(b);
  }
}

void bkl_solver::set_weight(std::size_t bucket) {
  const double w = bucket_rate_[bucket] * static_cast<double>(buckets_[bucket].size());
  const double delta = w - weight_[bucket];
  weight_[bucket] = w;
  if (delta == 0.0) return;
  for (std::size_t i = bucket + 1; i < tree_.size(); i += i & (~i + 1)) tree_[i] += delta;
  ++updates_since_rebuild_;
}

void bkl_solver::rebuild_tree() {
  // O(B) construction; also clears the rounding that incremental updates accumulate.
  for (std::size_t i = 1; i < tree_.size(); ++i) tree_[i] = weight_[i - 1];
  for (std::size_t i = 1; i < tree_.size(); ++i) {
    const std::size_t parent = i + (i & (~i + 1));
    if (parent < tree_.size()) tree_[parent] += tree_[i];
  }
  updates_since_rebuild_ = 0;
}

std::size_t bkl_solver::find_bucket(double& target) const {
  std::size_t pos = 0;
  for (std::size_t step = tree_top_; step > 0; step >>= 1) {
    if (pos + step < tree_.size() && tree_[pos + step] <= target) {
      pos += step;
      target -= tree_[pos];
    }
  }
  return pos;  // 0-based bucket index
}

void bkl_solver::hop(int rail, int ion, int direction, double voltage_v) {
  const int n = model_.ions_per_rail();
  for (int j = std::max(0, ion - 1); j <= std::min(n - 1, ion + 1); ++j) erase(rail, j);
  std::uint16_t& q = model_.positions().row(ion)[rail];
  const int k = model_.combo(rail, ion) * model_.table_width();
  auto& counts = model_.counts();
  --counts[k + q];
  const int step = direction == 0 ? 1 : -1;
  q = static_cast<std::uint16_t>(q + step);
  ++counts[k + q];
  for (int j = std::max(0, ion - 1); j <= std::min(n - 1, ion + 1); ++j) insert(rail, j);
  ledger_.account_hops(static_cast<long long>(model_.charge_of_combo(model_.combo(rail, ion))) * step, voltage_v);
}

void bkl_solver::advance_to(double t_s) {
  while (t_ < t_s && !stop_requested() && next_event(t_s)) {
  }
}

// Everything, bucket order included: which ion of a bucket an event picks
// depends on where it sits, and the Fenwick sums on the order of the updates.
void bkl_solver::save_state(state_writer& out) const {
  out.put_tag("bkl");
  out.put(seed_);
  out.put(event_);
  out.put(t_);
  out.put(rates_voltage_);
  out.put_bool(rates_stale_);
  out.put(updates_since_rebuild_);
  out.put_vector(rates_);
  out.put_vector(bucket_rate_);
  out.put_vector(weight_);
  out.put_vector(tree_);
  for (const auto& b : buckets_) out.put_vector(b);
  out.put_vector(slot_);
  out.put_vector(slot_bucket_);
}

void bkl_solver::load_state(state_reader& in) {
  in.expect_tag("bkl");
  if (in.get<std::uint64_t>() != seed_) in.fail("written with another sim.seed");
  event_ = in.get<std::uint64_t>();
  t_ = in.get<double>();
  rates_voltage_ = in.get<double>();
  rates_stale_ = in.get_bool();
  updates_since_rebuild_ = in.get<std::uint64_t>();
  if (!std::isfinite(t_) || t_ < 0) in.fail("bkl time out of range");
  const std::size_t table = static_cast<std::size_t>(model_.combos()) * model_.table_width();
  in.get_vector_up_to(rates_, table, "bkl rate table");
  if (!rates_.empty() && rates_.size() != table) in.fail("bkl rate table of another size");
  in.get_vector(bucket_rate_, buckets_.size(), "bkl bucket rates");
  in.get_vector(weight_, buckets_.size(), "bkl bucket weights");
  in.get_vector(tree_, buckets_.size() + 1, "bkl tree");
  const std::size_t ids = static_cast<std::size_t>(model_.rails()) * model_.ions_per_rail();
  for (auto& b : buckets_) in.get_vector_up_to(b, ids, "bkl bucket");
  in.get_vector(slot_, ids * 2, "bkl slots");
  in.get_vector(slot_bucket_, ids * 2, "bkl slot buckets");
  // The buckets and the slots must describe each other (an id sits where its
  // slot says): a state that does not would make events pick wrong ions.
  for (std::size_t b = 0; b < buckets_.size(); ++b)
    for (std::size_t s = 0; s < buckets_[b].size(); ++s) {
      const std::uint32_t id = buckets_[b][s];
      const std::size_t k = static_cast<std::size_t>(id) * 2 + (b & 1);
      if (id >= ids || slot_[k] != s || slot_bucket_[k] != b) in.fail("bkl buckets and slots disagree");
    }
  std::size_t entries = 0, slots = 0;
  for (const auto& b : buckets_) entries += b.size();
  for (std::uint32_t s : slot_) slots += s != none;
  if (entries != slots) in.fail("bkl buckets and slots disagree");
}

void bkl_solver::step() { next_event(std::numeric_limits<double>::infinity()); }

bool bkl_solver::next_event(double t_s) {
  const int n = model_.ions_per_rail();
  {
    const double voltage = source_.voltage(t_);
    if (rates_stale_ || voltage != rates_voltage_) {
      model_.refresh_fields(voltage);
      model_.fill_rates(rates_);
      for (std::size_t b = 0; b < buckets_.size(); ++b) {
        const site_rates& r = rates_[b / 2];
        bucket_rate_[b] = (b & 1) == 0 ? r.right : r.left;
        weight_[b] = bucket_rate_[b] * static_cast<double>(buckets_[b].size());
      }
      rebuild_tree();
      rates_voltage_ = voltage;
      rates_stale_ = false;
    } else if (updates_since_rebuild_ > 4096) {
      rebuild_tree();
    }
    double total = 0;
    for (std::size_t i = tree_.size() - 1; i > 0; i -= i & (~i + 1)) total += tree_[i];
    const double conductance = model_.conductance_s();

    const auto draw = philox_draw(stream_counter(seed_, draw_stream::bkl, event_, 0));
    const double wait = total > 0 ? -std::log(unit_interval_open0(draw.v[2], draw.v[3])) / total
                                  : std::numeric_limits<double>::infinity();
    if (t_ + wait >= t_s) {
      // No event before t_s: exact for rates held constant over the wait.
      if (std::isfinite(t_s)) ledger_.account_interval(t_s - t_, voltage, conductance);
      if (std::isfinite(t_s)) t_ = t_s;
      return false;
    }
    ledger_.account_interval(wait, voltage, conductance);
    t_ += wait;

    // The bucket by cumulative weight, then the ion inside it by the offset
    // left over from the same draw.
    double target = (1.0 - unit_interval_open0(draw.v[0], draw.v[1])) * total;
    std::size_t chosen = find_bucket(target);
    if (chosen >= buckets_.size() || buckets_[chosen].empty() || weight_[chosen] <= 0) {
      // Rounding put the target past the last non-empty bucket: take the last one.
      chosen = buckets_.size();
      while (chosen > 0 && buckets_[chosen - 1].empty()) --chosen;
      chosen -= 1;
      target = weight_[chosen] * (1.0 - 1e-16);
    }
    const auto& bucket = buckets_[chosen];
    const double fraction = std::min(1.0, std::max(0.0, target / weight_[chosen]));
    const std::size_t index =
        std::min(bucket.size() - 1, static_cast<std::size_t>(fraction * static_cast<double>(bucket.size())));
    const std::uint32_t id = bucket[index];
    hop(static_cast<int>(id / n), static_cast<int>(id % n), static_cast<int>(chosen & 1), voltage);
    ++event_;
    info_.events = event_;
    rates_stale_ = model_.space_charge();
  }
  return true;
}

}  // namespace ionrail::kmc
