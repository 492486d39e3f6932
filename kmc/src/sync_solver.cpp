#include <ionrail/kmc/sync_solver.hpp>

#include <ionrail/model/dispatch.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include <ionrail/kmc/state_io.hpp>

#include "sweep_avx512.hpp"

namespace ionrail::kmc {
namespace {
// Sub-histograms per thread: neighbouring rails often share a site, and
// spreading their increments over several counters breaks the store-to-load chain.
constexpr int histogram_ways = 4;

// IONRAIL_SWEEP=generic keeps the portable loops on a CPU with AVX-512 (both
// give the same bits; this is for comparing them).
bool generic_kernel_requested() {
  const char* v = std::getenv("IONRAIL_SWEEP");
  return v != nullptr && std::string(v) == "generic";
}
}  // namespace

sync_solver::sync_solver(rail_model& model, const sim_params& sim, const voltage_source& source,
                         charge_ledger& ledger, run_info& info)
    : model_(model),
      source_(source),
      ledger_(ledger),
      info_(info),
      seed_(sim.seed),
      field_every_(sim.field_every),
      threads_(sim.threads > 0 ? sim.threads : omp_get_max_threads()),
      automatic_dt_(!(sim.dt_s > 0)),
      p_max_(sim.p_max),
      dt_max_(sim.dt_max_s),
      rate_change_max_(sim.rate_change_max),
      dv_max_(drive_change_bound_v(sim.rate_change_max, model.log_rate_per_volt())),
      drive_(source.breakpoints()),
      governor_(threads_, !sim.adaptive_threads),
      avx512_(detail::avx512_sweep_available() && !generic_kernel_requested()) {
  // First estimate: the applied field only; refined at every refresh.
  dt_natural_ = automatic_dt_ ? model_.first_step_estimate(p_max_, source_.voltage(0.0), dt_max_) : sim.dt_s;
  dt_ = next_natural_ = dt_natural_;
  info_.dt_automatic = automatic_dt_;
  info_.threads = threads_;
  // Room for either kernel's counts: a site histogram per way, or the AVX-512
  // kernel's four hop tables (two ways of right and left hops).
  const std::size_t histogram_size = std::max<std::size_t>(
      static_cast<std::size_t>(histogram_ways) * model_.combos() * model_.table_width(),
      4 * static_cast<std::size_t>(detail::avx512_table_entries));
  thread_histograms_.assign(threads_, std::vector<int>(histogram_size));
}

void sync_solver::refresh_tables(double t_mid) {
  step_voltage_ = source_.voltage(t_mid);
  model_.refresh_fields(step_voltage_);
  model_.fill_rates(rates_);
}

// The step starting at t_ that ends at or before `target`, as a pure function
// of the state at t_ and the target: re-planning it (a new target after a
// stop, a resumed checkpoint) gives the step planned before. The CUDA prepare
// kernel takes the same decisions in the same order.
void sync_solver::prepare_step(double target) {
  if (prepared_ && prepared_target_ == target) return;
  const int points = automatic_dt_ ? static_cast<int>(drive_.times_s.size()) : 0;
  auto plan_for = [&](double dt_natural) {
    return plan_step(t_, dt_natural, target, drive_.times_s.data(), drive_.volts.data(), points, dv_max_,
                     rate_change_max_);
  };
  step_plan plan = plan_for(dt_natural_);
  next_natural_ = dt_natural_;
  if (step_ % static_cast<std::uint64_t>(field_every_) == 0) {
    // V at the midpoint of the step as planned with the last natural step,
    // then the natural step from these rates; if that moves the midpoint to
    // another voltage, V and the rates once more at the new midpoint (the
    // step is not re-chosen, so this ends).
    refresh_tables(t_ + 0.5 * plan.dt);
    if (automatic_dt_) {
      next_natural_ = automatic_step(rates_.data(), static_cast<int>(rates_.size()), p_max_, dt_natural_, dt_max_);
      const step_plan final_plan = plan_for(next_natural_);
      if (final_plan.dt != plan.dt && source_.voltage(t_ + 0.5 * final_plan.dt) != step_voltage_)
        refresh_tables(t_ + 0.5 * final_plan.dt);
      plan = final_plan;
    }
  }
  dt_ = plan.dt;
  step_end_ = plan.end;
  set_thresholds();
  prepared_ = true;
  prepared_target_ = target;
}

void sync_solver::set_thresholds() {
  thr_right_.resize(rates_.size());
  thr_total_.resize(rates_.size());
  const std::uint32_t worst =
      fill_threshold_table(rates_.data(), static_cast<int>(rates_.size()), dt_, thr_right_.data(), thr_total_.data());
  info_.max_hop_probability = std::max(info_.max_hop_probability, worst / 4294967296.0);
  if (worst == 0xFFFFFFFFu) {
    std::ostringstream os;
    os << "sim.dt_s = " << dt_ << " s: a hop probability (Γ+ + Γ−) dt reached 1 at t = " << t_
       << " s; use a smaller dt_s, or dt_s = 0 for the automatic step";
    throw std::domain_error(os.str());
  }
}

template <bool Mixed>
IONRAIL_HOT_CLONES void sync_solver::sweep_block(int first_rail, int end_rail, std::uint32_t* draws) {
  rail_positions& pos = model_.positions();
  std::uint16_t* q_all = pos.q.data();
  const int n = pos.ions;
  const int len = end_rail - first_rail;
  const std::size_t stride = static_cast<std::size_t>(pos.stride);
  const int width = model_.table_width();
  const int species = model_.species_count();
  const std::uint32_t* thr_right = thr_right_.data();
  const std::uint32_t* thr_total = thr_total_.data();
  const std::uint8_t* rail_class = pos.rail_class.empty() ? nullptr : pos.rail_class.data() + first_rail;

  auto table_offset = [&](int ion, int i) {
    const int c = rail_class ? rail_class[i] : 0;
    const int s = pos.species.empty() ? 0 : pos.species[static_cast<std::size_t>(ion) * stride + first_rail + i];
    return (c * species + s) * width;
  };

  for (std::uint32_t half = 0; half < 2; ++half) {
    for (std::uint32_t group = 0; half + 8 * group < static_cast<std::uint32_t>(n); ++group) {
      for (int i = 0; i < len; ++i) {
        const auto out = philox_draw(sync_hop_counter(seed_, step_, half, static_cast<std::uint32_t>(first_rail + i), group));
        draws[0 * block_rails + i] = out.v[0];
        draws[1 * block_rails + i] = out.v[1];
        draws[2 * block_rails + i] = out.v[2];
        draws[3 * block_rails + i] = out.v[3];
      }
      for (int w = 0; w < 4; ++w) {
        const int ion = static_cast<int>(half + 8 * group) + 2 * w;
        if (ion >= n) break;
        std::uint16_t* row = q_all + static_cast<std::size_t>(ion + 1) * stride + first_rail;
        const std::uint16_t* left = row - stride;
        const std::uint16_t* right = row + stride;
        const std::uint32_t* u = draws + w * block_rails;
        if constexpr (!Mixed) {
#pragma omp simd
          for (int i = 0; i < len; ++i) {
            const std::uint16_t q = row[i];
            row[i] = hop_target(q, left[i], right[i], u[i], thr_right[q], thr_total[q]);
          }
        } else {
          for (int i = 0; i < len; ++i) {
            const std::uint16_t q = row[i];
            const int k = table_offset(ion, i) + q;
            row[i] = hop_target(q, left[i], right[i], u[i], thr_right[k], thr_total[k]);
          }
        }
      }
    }
  }
}

template <bool Mixed>
IONRAIL_HOT_CLONES void sync_solver::count_block(int first_rail, int end_rail, int* histogram) const {
  const rail_positions& pos = model_.positions();
  const int n = pos.ions;
  const int len = end_rail - first_rail;
  const std::size_t stride = static_cast<std::size_t>(pos.stride);
  const int width = model_.table_width();
  const int species = model_.species_count();
  const std::uint8_t* rail_class = pos.rail_class.empty() ? nullptr : pos.rail_class.data() + first_rail;
  const std::size_t combos_width = static_cast<std::size_t>(model_.combos()) * width;
  static_assert(histogram_ways == 4, "the loop below is unrolled for four sub-histograms");
  int* h0 = histogram;
  int* h1 = h0 + combos_width;
  int* h2 = h1 + combos_width;
  int* h3 = h2 + combos_width;
  for (int ion = 0; ion < n; ++ion) {
    const std::uint16_t* row = pos.q.data() + static_cast<std::size_t>(ion + 1) * stride + first_rail;
    if constexpr (!Mixed) {
      // Four fixed pointers instead of an index computed per ion: a load and
      // an increment per ion, nothing else.
      int i = 0;
      for (; i + 4 <= len; i += 4) {
        ++h0[row[i]];
        ++h1[row[i + 1]];
        ++h2[row[i + 2]];
        ++h3[row[i + 3]];
      }
      for (; i < len; ++i) ++h0[row[i]];
    } else {
      const std::uint8_t* sp = pos.species.empty() ? nullptr : pos.species.data() + static_cast<std::size_t>(ion) * stride + first_rail;
      for (int i = 0; i < len; ++i) {
        const int c = rail_class ? rail_class[i] : 0;
        const int s = sp ? sp[i] : 0;
        ++histogram[(i & (histogram_ways - 1)) * combos_width + static_cast<std::size_t>((c * species + s) * width) + row[i]];
      }
    }
  }
}

void sync_solver::step() {
  prepare_step(std::numeric_limits<double>::infinity());
  take_step();
}

void sync_solver::take_step() {
  const double voltage = step_voltage_;
  const double conductance = model_.conductance_s();
  const long long before = model_.charge_position_sum();

  const int rails = model_.rails();
  const int blocks = (rails + block_rails - 1) / block_rails;
  const bool mixed = model_.combos() > 1;
  const int threads = governor_.threads();
  const int width = model_.table_width();
  const bool vector_kernel = avx512_ && !mixed && width <= detail::avx512_table_entries;
  if (vector_kernel) {
    // The kernel reads all 128 entries; those past the table are never selected.
    thr_padded_.assign(2 * detail::avx512_table_entries, 0);
    std::copy(thr_right_.begin(), thr_right_.begin() + width, thr_padded_.begin());
    std::copy(thr_total_.begin(), thr_total_.begin() + width, thr_padded_.begin() + detail::avx512_table_entries);
  }
  const auto started = std::chrono::steady_clock::now();
  int team = 1;  // OpenMP may give fewer threads than asked for
#pragma omp parallel num_threads(threads)
  {
    if (omp_get_thread_num() == 0) team = omp_get_num_threads();
    std::vector<int>& histogram = thread_histograms_[omp_get_thread_num()];
    std::fill(histogram.begin(), histogram.end(), 0);
    alignas(64) std::uint32_t draws[4 * block_rails];
#pragma omp for schedule(static)
    for (int b = 0; b < blocks; ++b) {
      const int first = b * block_rails;
      const int end = std::min(rails, first + block_rails);
      if (mixed) {
        sweep_block<true>(first, end, draws);
        count_block<true>(first, end, histogram.data());
      } else {
        if (vector_kernel) {
          detail::avx512_block a;
          a.q_all = model_.positions().q.data();
          a.stride = static_cast<std::size_t>(model_.positions().stride);
          a.ions = model_.positions().ions;
          a.first_rail = first;
          a.len = end - first;
          a.seed = seed_;
          a.step = step_;
          a.thr_right = thr_padded_.data();
          a.thr_total = thr_padded_.data() + detail::avx512_table_entries;
          a.draws = draws;
          a.hops_right = histogram.data();
          a.hops_left = histogram.data() + 2 * detail::avx512_table_entries;
          detail::avx512_sweep(a);
        } else {
          sweep_block<false>(first, end, draws);
          count_block<false>(first, end, histogram.data());
        }
      }
    }
  }

  std::vector<long long>& counts = model_.counts();
  // Only the histograms this step's team filled (integer sums: the counts
  // are the same for any thread count and either kernel).
  if (vector_kernel) {
    // The counts before the step (the model keeps them equal to the
    // positions) moved by the hops: a right hop from q takes an ion from q to
    // q + 1. No hop starts on a wall, so q ± 1 stays in the table.
    constexpr int entries = detail::avx512_table_entries;
    for (int th = 0; th < team; ++th) {
      const int* h = thread_histograms_[th].data();
      for (int q = 1; q + 1 < width; ++q) {
        const long long right = h[q] + h[entries + q];
        const long long left = h[2 * entries + q] + h[3 * entries + q];
        counts[q] -= right + left;
        counts[q + 1] += right;
        counts[q - 1] += left;
      }
    }
  } else {
    const std::size_t cw = counts.size();
    std::fill(counts.begin(), counts.end(), 0);
    for (int th = 0; th < team; ++th)
      for (int way = 0; way < histogram_ways; ++way)
        for (std::size_t k = 0; k < cw; ++k) counts[k] += thread_histograms_[th][way * cw + k];
  }
  governor_.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  const long long after = model_.charge_position_sum();
  ledger_.account_interval(dt_, voltage, conductance);
  ledger_.account_hops(after - before, voltage);
  ++step_;
  t_ = step_end_;
  dt_natural_ = next_natural_;
  prepared_ = false;
  info_.steps = step_;
  info_.dt_s = t_ / static_cast<double>(step_);
  info_.dt_min_s = step_ == 1 ? dt_ : std::min(info_.dt_min_s, dt_);
  info_.dt_max_s = std::max(info_.dt_max_s, dt_);
  info_.attempts += static_cast<double>(rails) * model_.ions_per_rail();
  info_.threads_mean += (team - info_.threads_mean) / static_cast<double>(step_);
}

void sync_solver::advance_to(double t_s) {
  // The last step before t_s is shortened to end on it (plan_step), so the
  // solver stops exactly at t_s.
  while (t_ < t_s) {
    if (stop_requested()) return;
    prepare_step(t_s);
    take_step();
  }
}

void sync_solver::save_state(state_writer& out) const {
  out.put_tag("sync");
  out.put(seed_);
  out.put(step_);
  out.put(t_);
  out.put(dt_);
  out.put(dt_natural_);
  out.put(next_natural_);
  out.put(step_end_);
  out.put(prepared_target_);
  out.put(step_voltage_);
  out.put_bool(prepared_);
  out.put_vector(rates_);
  out.put_vector(thr_right_);
  out.put_vector(thr_total_);
}

void sync_solver::load_state(state_reader& in) {
  in.expect_tag("sync");
  if (in.get<std::uint64_t>() != seed_) in.fail("written with another sim.seed");
  step_ = in.get<std::uint64_t>();
  t_ = in.get<double>();
  dt_ = in.get<double>();
  dt_natural_ = in.get<double>();
  next_natural_ = in.get<double>();
  step_end_ = in.get<double>();
  prepared_target_ = in.get<double>();
  step_voltage_ = in.get<double>();
  prepared_ = in.get_bool();
  // The tables exist once the first step was prepared; they are all or nothing.
  const std::size_t table = static_cast<std::size_t>(model_.combos()) * model_.table_width();
  const bool tables = step_ > 0 || prepared_;
  in.get_vector(rates_, tables ? table : 0, "sync rate table");
  in.get_vector(thr_right_, tables ? table : 0, "sync threshold table");
  in.get_vector(thr_total_, tables ? table : 0, "sync threshold table");
  if (!std::isfinite(t_) || t_ < 0 || !std::isfinite(dt_) || !(dt_ > 0) || !std::isfinite(dt_natural_) ||
      !(dt_natural_ > 0) || !std::isfinite(next_natural_) || !(next_natural_ > 0) || !std::isfinite(step_end_) ||
      (prepared_ && !(step_end_ > t_)) || std::isnan(prepared_target_))
    in.fail("sync time or step out of range");
}

}  // namespace ionrail::kmc
