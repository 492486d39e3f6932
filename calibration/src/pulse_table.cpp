#include <ionrail/calibration/pulse_table.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <ionrail/calibration/table_build.hpp>
#include <ionrail/model/step.hpp>
#include <ionrail/model/device.hpp>
#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/table_files.hpp>

#include "unit_csv.hpp"

namespace ionrail::calibration {
namespace {

const std::vector<detail::unit_column>& train_columns() {
  static const std::vector<detail::unit_column> known{
      {"t_s", "time of the read (s)"},
      {"g_s", "conductance read (S)"},
      {"v_v", "amplitude of the pulse before the read (V)"},
      {"width_s", "width of that pulse (s)"},
  };
  return known;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// At most this many model steps in one interval between reads: counts stay
// exact in a double and far from long long's range.
constexpr double max_interval_steps = 1e12;

}  // namespace

pulse_train read_pulse_train(const std::string& path, const pulse_train_spec& spec, const pulse_table_params& p) {
  const detail::unit_csv f = detail::read_unit_csv(path, train_columns(), "pulse train");
  pulse_train tr;
  tr.file = path;
  tr.label = spec.label;
  tr.held_out = spec.held_out;
  const int col_t = f.column("t_s"), col_g = f.column("g_s"), col_v = f.column("v_v"), col_w = f.column("width_s");
  const std::string head = f.at(f.header_line);
  if (col_t < 0) throw input_error(head + "no t_s column: expected the time of each read in seconds");
  if (col_g < 0) throw input_error(head + "no g_s column: expected the conductance read, in siemens");
  if ((col_v >= 0) != (col_w >= 0))
    throw input_error(head + (col_v >= 0 ? "v_v without width_s" : "width_s without v_v") +
                      ": expected both (the pulse before each read) or neither (a retention trace)");
  for (std::size_t r = 0; r < f.rows.size(); ++r) {
    const auto& v = f.rows[r];
    const auto& cells = f.cells[r];
    const std::string at = f.at(f.line[r]);
    auto cell = [&](int col) { return cells[static_cast<std::size_t>(col)]; };
    pulse_read row;
    row.line = f.line[r];
    row.t_s = v[static_cast<std::size_t>(col_t)];
    row.g_s = v[static_cast<std::size_t>(col_g)];
    if (col_v >= 0) {
      row.v_v = v[static_cast<std::size_t>(col_v)];
      row.width_s = v[static_cast<std::size_t>(col_w)];
    }
    if (row.t_s < 0) throw input_error(at + "t_s = " + cell(col_t) + ": expected >= 0");
    if (!tr.rows.empty() && !(row.t_s > tr.rows.back().t_s))
      throw input_error(at + "t_s = " + cell(col_t) + ": expected strictly increasing times (previous row: " +
                        number_text(tr.rows.back().t_s) + ")");
    if (!(std::fabs(row.g_s) <= 2e-3))
      throw input_error(at + "g_s = " + cell(col_g) + ": expected a conductance in siemens with |g_s| <= 2e-3 S (the "
                        "compact model's conductance format holds up to 2.048 mS)");
    if (col_v < 0) {
      tr.rows.push_back(row);
      continue;
    }
    if (row.width_s < 0) throw input_error(at + "width_s = " + cell(col_w) + ": expected >= 0 (0: no pulse)");
    if (std::fabs(row.v_v) > p.v_max_v)
      throw input_error(at + "v_v = " + cell(col_v) + ": beyond the table's voltage range, measured_table.v_max_v = " +
                        number_text(p.v_max_v) + " V: expected |v_v| <= that (or raise v_max_v, up to 15.5 V)");
    if (row.width_s > 0) {
      if (tr.rows.empty())
        throw input_error(at + "width_s = " + cell(col_w) + " on the first row: expected 0 (the first read is the "
                          "state the train starts from; a pulse needs a read before it)");
      if (row.v_v == 0)
        throw input_error(at + "width_s = " + cell(col_w) + " with v_v = 0: expected width_s = 0 for a read without a "
                          "pulse (the rest between reads is at 0 V anyway)");
      if (std::fabs(row.v_v) < 1e-3)
        throw input_error(at + "v_v = " + cell(col_v) + ": expected |v_v| >= 0.001 V for a pulse (amplitudes are told "
                          "apart to 1 mV)");
      const double interval = row.t_s - tr.rows.back().t_s;
      if (row.width_s > interval * (1 + 1e-9))
        throw input_error(at + "width_s = " + cell(col_w) + ": longer than the time since the previous read (" +
                          number_text(interval) + " s): expected the pulse to end before its read");
      const double n = row.width_s / p.dt_m_s;
      const double whole = std::round(n);
      if (!(n < max_interval_steps))
        throw input_error(at + "width_s = " + cell(col_w) + ": " + number_text(n) + " model steps of measured_table.dt_m_s = " +
                          number_text(p.dt_m_s) + " s: expected at most 1e12");
      if (whole < 1 || std::fabs(n - whole) > 1e-6 * whole)
        throw input_error(at + "width_s = " + cell(col_w) + ": expected a whole number of model steps "
                          "(measured_table.dt_m_s = " + number_text(p.dt_m_s) + " s; this is " + number_text(n) +
                          " steps): set dt_m_s to the pulse width or a divisor of every width");
    } else if (row.v_v != 0) {
      throw input_error(at + "v_v = " + cell(col_v) + " with width_s = 0: expected v_v = 0 for a read without a pulse, "
                        "or the pulse's width");
    }
    if (!tr.rows.empty() && !((row.t_s - tr.rows.back().t_s) / p.dt_m_s < max_interval_steps))
      throw input_error(at + "t_s = " + cell(col_t) + ": more than 1e12 model steps of measured_table.dt_m_s = " +
                        number_text(p.dt_m_s) + " s after the previous read: expected a shorter interval");
    tr.rows.push_back(row);
  }
  if (tr.held_out && tr.rows.size() < 2)
    throw input_error(f.at(f.line.back()) + "a held-out train of one read: expected at least two (the start and a read "
                      "to compare the model with)");
  return tr;
}

row_steps steps_of(const pulse_train& train, std::size_t row, double dt_m_s) {
  row_steps s;
  if (row == 0 || row >= train.rows.size()) return s;
  const pulse_read& r = train.rows[row];
  s.pulse = std::llround(r.width_s / dt_m_s);
  s.rest = std::max(0LL, std::llround((r.t_s - train.rows[row - 1].t_s - r.width_s) / dt_m_s));
  return s;
}

double train_steps(const pulse_train& train, double dt_m_s) {
  double n = 0;
  for (std::size_t k = 1; k < train.rows.size(); ++k) {
    const row_steps s = steps_of(train, k, dt_m_s);
    n += static_cast<double>(s.pulse) + static_cast<double>(s.rest);
  }
  return n;
}

namespace {

// One interval between two reads of a build train.
struct transition {
  double s0 = 0, s1 = 0;
  long long pulse = 0, rest = 0;
  int amp = 0;           // index into the amplitudes (0: rest)
  bool follows = false;  // the previous interval of the same train is the transition before this one
};

// Tent weights of state s on the node grid: nodes i and i + 1 with weights
// 1 - f and f.
struct tent {
  int i = 0;
  double f = 0;
};
tent tent_of(double s, int ns) {
  const double x = std::clamp(s, 0.0, 1.0) * (ns - 1);
  const int i = std::min(static_cast<int>(std::floor(x)), ns - 2);
  return {i, x - i};
}
// add(node, weight) for the two nodes of s's tent, lower first.
template <class Add>
void on_tent(double s, int ns, Add&& add) {
  const tent e = tent_of(s, ns);
  add(static_cast<std::size_t>(e.i), 1 - e.f);
  add(static_cast<std::size_t>(e.i) + 1, e.f);
}
double at(const std::vector<double>& nodes, double s) {
  const tent t = tent_of(s, static_cast<int>(nodes.size()));
  return nodes[static_cast<std::size_t>(t.i)] * (1 - t.f) + nodes[static_cast<std::size_t>(t.i) + 1] * t.f;
}

// sinh(x / v) / sinh(a / v) for 0 <= x <= a, without overflow: for a / v
// beyond ~700 sinh overflows, and the ratio is e^((x-a)/v) - e^((-x-a)/v).
double sinh_ratio(double x, double a, double v) {
  if (a / v > 600) return std::exp((x - a) / v) - std::exp((-x - a) / v);
  return std::sinh(x / v) / std::sinh(a / v);
}

// sinh(a2 / x) / sinh(a1 / x) = q for x (V_e), 0 < a1 < a2 and q > a2 / a1;
// the ratio falls from infinity (x -> 0) to a2 / a1 (x -> infinity).
double sinh_scale(double a1, double a2, double q) {
  auto ratio = [&](double x) {
    // exp form for small x, where sinh overflows: sinh(a2/x)/sinh(a1/x) ~ exp((a2 - a1)/x)
    if (a2 / x > 600) return std::exp((a2 - a1) / x);
    return std::sinh(a2 / x) / std::sinh(a1 / x);
  };
  double lo = 1e-4, hi = 1e4;  // volts
  for (int k = 0; k < 200; ++k) {
    const double mid = std::sqrt(lo * hi);
    if (ratio(mid) > q) lo = mid; else hi = mid;
  }
  return std::sqrt(lo * hi);
}

}  // namespace

pulse_table_build build_pulse_table(const std::vector<pulse_train>& trains, const pulse_table_params& p) {
  const int m = static_cast<int>(std::lround(std::log2(p.v_step_v / model::q_volt::lsb)));
  const int h = static_cast<int>(std::ceil(p.v_max_v / p.v_step_v - 1e-9));
  const model::table_grid grid = model::table_grid::make(p.state_bits, m, h);
  if (model::check_grid(grid) != model::table_status::ok)
    throw input_error("measured_table: grid of state_bits = " + std::to_string(p.state_bits) + ", v_step_v = " +
                      number_text(p.v_step_v) + ", v_max_v = " + number_text(p.v_max_v) + ": " +
                      model::describe(model::check_grid(grid)));
  const int ns = grid.n_s, nv = grid.n_v;
  pulse_table_build out;

  // 1. The conductance range and the state of every read.
  double g_lo = std::numeric_limits<double>::infinity(), g_hi = -g_lo;
  for (const auto& tr : trains)
    if (!tr.held_out)
      for (const auto& r : tr.rows) g_lo = std::min(g_lo, r.g_s), g_hi = std::max(g_hi, r.g_s);
  if (!std::isfinite(g_lo))
    throw input_error("measured_table: no train to build the table from (every train is held out): expected at least "
                      "one with held_out = false");
  if (!(g_hi > g_lo))
    throw input_error("measured_table: the trains used to build the table (not held out) read no range of "
                      "conductance (" + number_text(g_lo) + " S throughout): expected reads that differ");
  out.g_lo_s = g_lo;
  out.g_hi_s = g_hi;
  auto state = [&](double g) { return (g - g_lo) / (g_hi - g_lo); };

  // The amplitudes measured: rest first, then by voltage (to 1 mV).
  std::map<long long, int> amp_of_mv;
  for (const auto& tr : trains)
    if (!tr.held_out)
      for (std::size_t k = 1; k < tr.rows.size(); ++k)
        if (tr.rows[k].width_s > 0) amp_of_mv.emplace(std::llround(tr.rows[k].v_v * 1000), 0);
  if (amp_of_mv.empty())
    throw input_error("measured_table: the trains used to build the table (not held out) have no pulse (v_v, "
                      "width_s): expected at least one train with pulses");
  out.amplitudes.resize(1 + amp_of_mv.size());
  {
    int a = 1;
    for (auto& [mv, index] : amp_of_mv) {
      index = a;
      out.amplitudes[static_cast<std::size_t>(a++)].v = static_cast<double>(mv) / 1000;
    }
  }
  const int n_amp = static_cast<int>(out.amplitudes.size());

  std::vector<transition> tx;
  double first_read_mean = 0;
  int first_reads = 0;
  for (const auto& tr : trains) {
    if (tr.held_out) continue;
    first_read_mean += state(tr.rows.front().g_s);
    ++first_reads;
    for (std::size_t k = 1; k < tr.rows.size(); ++k) {
      transition t;
      t.s0 = state(tr.rows[k - 1].g_s);
      t.s1 = state(tr.rows[k].g_s);
      const row_steps st = steps_of(tr, k, p.dt_m_s);
      t.pulse = st.pulse;
      t.rest = st.rest;
      t.amp = tr.rows[k].width_s > 0 ? amp_of_mv.at(std::llround(tr.rows[k].v_v * 1000)) : 0;
      t.follows = k >= 2;
      tx.push_back(t);
      out.amplitudes[static_cast<std::size_t>(t.amp)].transitions += 1;
    }
  }
  first_read_mean /= first_reads;

  // 2-3. Drift, read noise and cycle-to-cycle noise, twice.
  for (auto& a : out.amplitudes) {
    a.drift.assign(static_cast<std::size_t>(ns), 0.0);
    a.noise.assign(static_cast<std::size_t>(ns), 0.0);
    a.weight.assign(static_cast<std::size_t>(ns), 0.0);
    a.measured.assign(static_cast<std::size_t>(ns), 0);
  }
  std::vector<std::vector<double>> noise2(static_cast<std::size_t>(n_amp), std::vector<double>(static_cast<std::size_t>(ns), 0.0));
  double sigma_r2 = 0;
  bool have_noise = false;
  auto rest_drift = [&](double s) { return at(out.amplitudes[0].drift, s); };
  // The pulse's share of an interval's change: the rest after it (at about
  // the read's state) taken out.
  auto pulse_share = [&](const transition& t) { return (t.s1 - t.s0) - static_cast<double>(t.rest) * rest_drift(t.s1); };
  auto steps = [](const transition& t) { return t.amp == 0 ? t.rest : t.pulse; };
  auto midpoint = [&](const transition& t) { return t.amp == 0 ? 0.5 * (t.s0 + t.s1) : t.s0 + 0.5 * pulse_share(t); };
  auto variance = [&](const transition& t) {
    const double n2 = at(noise2[static_cast<std::size_t>(t.amp)], midpoint(t));
    const double rest_n2 = t.amp == 0 ? 0.0 : static_cast<double>(t.rest) * at(noise2[0], t.s1);
    return static_cast<double>(steps(t)) * n2 + rest_n2 + 2 * sigma_r2;
  };
  std::vector<double> residual(tx.size(), 0.0);
  for (int pass = 0; pass < 2; ++pass) {
    // Drift: the rest curve first, since the pulse intervals' rest uses it;
    // then every pulse amplitude in one pass over the intervals.
    for (int stage = 0; stage < 2; ++stage) {
      const std::size_t first = stage == 0 ? 0 : 1, last = stage == 0 ? 1 : static_cast<std::size_t>(n_amp);
      std::vector<std::vector<double>> sum(last, std::vector<double>(static_cast<std::size_t>(ns), 0.0)), wsum = sum,
          count = sum;
      for (const auto& t : tx) {
        const std::size_t a = static_cast<std::size_t>(t.amp);
        if (a < first || a >= last || steps(t) == 0) continue;
        const double n = static_cast<double>(steps(t));
        const double rate = (a == 0 ? t.s1 - t.s0 : pulse_share(t)) / n;
        const double var = variance(t);
        const double w = have_noise && var > 0 ? n * n / var : n;
        on_tent(midpoint(t), ns, [&](std::size_t i, double phi) {
          sum[a][i] += w * phi * rate;
          wsum[a][i] += w * phi;
          count[a][i] += phi;
        });
      }
      for (std::size_t a = first; a < last; ++a) {
        amplitude_fit& fit = out.amplitudes[a];
        for (std::size_t i = 0; i < static_cast<std::size_t>(ns); ++i) {
          fit.weight[i] = count[a][i];
          fit.measured[i] = count[a][i] >= p.min_samples && wsum[a][i] > 0 ? 1 : 0;
          fit.drift[i] = fit.measured[i] ? sum[a][i] / wsum[a][i] : 0.0;
        }
        fill_unvisited(fit.drift, fit.measured, ns, 1, true);
      }
    }
    // Residuals of every interval, then the read noise from consecutive ones.
    for (std::size_t k = 0; k < tx.size(); ++k) {
      const transition& t = tx[k];
      const double predicted =
          t.amp == 0 ? static_cast<double>(t.rest) * rest_drift(midpoint(t))
                     : static_cast<double>(t.pulse) * at(out.amplitudes[static_cast<std::size_t>(t.amp)].drift, midpoint(t)) +
                           static_cast<double>(t.rest) * rest_drift(t.s1);
      residual[k] = (t.s1 - t.s0) - predicted;
    }
    double cov = 0;
    long long pairs = 0;
    for (std::size_t k = 1; k < tx.size(); ++k)
      if (tx[k].follows) cov += residual[k - 1] * residual[k], ++pairs;
    sigma_r2 = pairs > 0 ? std::max(0.0, -cov / static_cast<double>(pairs)) : 0.0;
    out.read_pairs = pairs;
    // Cycle-to-cycle noise per step: E[r²] = n N² (+ the rest's) + 2 σ_r²,
    // per node where it has 4 × min_samples intervals, else the amplitude's;
    // the rest first, since a pulse interval's rest adds its noise.
    for (int stage = 0; stage < 2; ++stage) {
      const std::size_t first = stage == 0 ? 0 : 1, last = stage == 0 ? 1 : static_cast<std::size_t>(n_amp);
      std::vector<std::vector<double>> excess(last, std::vector<double>(static_cast<std::size_t>(ns), 0.0)),
          nsum = excess, count = excess;
      std::vector<double> all_excess(last, 0.0), all_n(last, 0.0);
      for (std::size_t k = 0; k < tx.size(); ++k) {
        const transition& t = tx[k];
        const std::size_t a = static_cast<std::size_t>(t.amp);
        if (a < first || a >= last || steps(t) == 0) continue;
        const double n = static_cast<double>(steps(t));
        const double rest_n2 = a == 0 ? 0.0 : static_cast<double>(t.rest) * at(noise2[0], t.s1);
        const double x = residual[k] * residual[k] - 2 * sigma_r2 - rest_n2;
        all_excess[a] += x;
        all_n[a] += n;
        on_tent(midpoint(t), ns, [&](std::size_t i, double phi) {
          excess[a][i] += phi * x;
          nsum[a][i] += phi * n;
          count[a][i] += phi;
        });
      }
      for (std::size_t a = first; a < last; ++a) {
        const double pooled = all_n[a] > 0 ? std::max(0.0, all_excess[a] / all_n[a]) : 0.0;
        for (std::size_t i = 0; i < static_cast<std::size_t>(ns); ++i)
          noise2[a][i] = count[a][i] >= 4.0 * p.min_samples && nsum[a][i] > 0 ? std::max(0.0, excess[a][i] / nsum[a][i])
                                                                             : pooled;
      }
    }
    have_noise = true;
  }
  out.read_sigma = std::sqrt(sigma_r2);
  // The rates above are placed at each interval's midpoint state m; the
  // model steps from the state at the start of each step (Euler), whose mean
  // over an interval is m - Φ/2 (Φ the rate per step): so D(s) = Φ(s + D(s)/2),
  // solved by iteration (|Φ'| / 2 < 1: a contraction for any drift a table
  // can hold sensibly). Without it a strong one-step pulse of rate k(1 - s)
  // would come out k/2 too weak.
  for (auto& fit : out.amplitudes) {
    const std::vector<double> rate = fit.drift;
    for (int i = 0; i < ns; ++i) {
      const double s = static_cast<double>(i) / (ns - 1);
      double d = rate[static_cast<std::size_t>(i)];
      for (int k = 0; k < 50; ++k) d = at(rate, std::clamp(s + 0.5 * d, 0.0, 1.0));
      fit.drift[static_cast<std::size_t>(i)] = d;
    }
  }
  for (int a = 0; a < n_amp; ++a)
    for (int i = 0; i < ns; ++i)
      out.amplitudes[static_cast<std::size_t>(a)].noise[static_cast<std::size_t>(i)] =
          std::sqrt(noise2[static_cast<std::size_t>(a)][static_cast<std::size_t>(i)]);
  if (out.amplitudes[0].transitions == 0 ||
      std::none_of(out.amplitudes[0].measured.begin(), out.amplitudes[0].measured.end(), [](int x) { return x != 0; }))
    out.warnings.push_back("no state was measured at rest (intervals without a pulse, at least " +
                           std::to_string(p.min_samples) + " per state node): the table has no drift at 0 V (a "
                           "perfectly retentive device); add retention traces to measure it");

  // 5. Voltage columns.
  const amplitude_fit& rest = out.amplitudes[0];
  std::vector<const amplitude_fit*> positive, negative;
  for (int a = 1; a < n_amp; ++a) {
    const amplitude_fit& fit = out.amplitudes[static_cast<std::size_t>(a)];
    (fit.v > 0 ? positive : negative).push_back(&fit);
  }
  std::reverse(negative.begin(), negative.end());  // by |V| ascending
  auto scale_of = [&](const std::vector<const amplitude_fit*>& side) {
    if (side.size() < 2) return 0.0;
    const amplitude_fit &f1 = *side[0], &f2 = *side[1];
    const double a1 = std::fabs(f1.v), a2 = std::fabs(f2.v);
    std::vector<double> q;
    for (int i = 0; i < ns; ++i) {
      const std::size_t u = static_cast<std::size_t>(i);
      const double e1 = f1.drift[u] - rest.drift[u], e2 = f2.drift[u] - rest.drift[u];
      if (f1.measured[u] && f2.measured[u] && e1 * e2 > 0) q.push_back(e2 / e1);
    }
    if (q.empty()) return 0.0;
    std::nth_element(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(q.size() / 2), q.end());
    const double median = q[q.size() / 2];
    return median > a2 / a1 * (1 + 1e-6) ? sinh_scale(a1, a2, median) : 0.0;
  };
  out.sinh_scale_pos_v = scale_of(positive);
  out.sinh_scale_neg_v = scale_of(negative);
  if (positive.empty())
    out.warnings.push_back("no positive pulse was measured: positive voltages get the rest drift only");
  if (negative.empty())
    out.warnings.push_back("no negative pulse was measured: negative voltages get the rest drift only");

  const std::size_t cells = grid.cells();
  std::vector<double> drift(cells, 0.0), noise(cells, 0.0), fluct(cells, out.read_sigma);
  out.samples.assign(cells, 0);
  out.visited.assign(cells, 0);
  for (int j = 0; j < nv; ++j) {
    const double v = (j - h) * p.v_step_v;
    const std::vector<const amplitude_fit*>& side = v > 0 ? positive : negative;
    const double v_e = v > 0 ? out.sinh_scale_pos_v : out.sinh_scale_neg_v;
    const double x = std::fabs(v);
    for (int i = 0; i < ns; ++i) {
      const std::size_t u = static_cast<std::size_t>(i), cell = static_cast<std::size_t>(i) * nv + j;
      const double d0 = rest.drift[u], n0 = rest.noise[u] * rest.noise[u];
      double d = d0, n2 = n0;
      if (v != 0 && !side.empty()) {
        const double a1 = std::fabs(side.front()->v), alast = std::fabs(side.back()->v);
        if (x <= a1) {
          const double f = v_e > 0 ? sinh_ratio(x, a1, v_e) : x / a1;
          d = d0 + f * (side.front()->drift[u] - d0);
          n2 = n0 + f * (side.front()->noise[u] * side.front()->noise[u] - n0);
        } else if (x >= alast) {
          d = side.back()->drift[u];
          n2 = side.back()->noise[u] * side.back()->noise[u];
        } else {
          std::size_t k = 0;
          while (std::fabs(side[k + 1]->v) < x) ++k;
          const amplitude_fit &lo = *side[k], &hi = *side[k + 1];
          const double t = (x - std::fabs(lo.v)) / (std::fabs(hi.v) - std::fabs(lo.v));
          const double e_lo = lo.drift[u] - d0, e_hi = hi.drift[u] - d0;
          const double e = e_lo * e_hi > 0 ? e_lo * std::pow(e_hi / e_lo, t) : e_lo + t * (e_hi - e_lo);
          d = d0 + e;
          n2 = lo.noise[u] * lo.noise[u] + t * (hi.noise[u] * hi.noise[u] - lo.noise[u] * lo.noise[u]);
        }
      }
      drift[cell] = d;
      noise[cell] = std::sqrt(std::max(0.0, n2));
      // Measured: the column nearest an amplitude (or 0 V for the rest), where
      // that amplitude measured this state.
      for (const amplitude_fit& fit : out.amplitudes)
        if (std::fabs(fit.v - v) < 0.5 * p.v_step_v && fit.measured[u]) {
          out.visited[cell] = 1;
          out.samples[cell] = std::llround(fit.weight[u]);
        }
    }
  }

  // 6. The rest state.
  double best = -1, best_distance = 2;
  for (int i = 0; i + 1 < ns; ++i) {
    const std::size_t u = static_cast<std::size_t>(i);
    if (!rest.measured[u] || !rest.measured[u + 1]) continue;
    const double a = rest.drift[u], b = rest.drift[u + 1];
    if (a > 0 && b <= 0) {
      const double s = (i + a / (a - b)) / (ns - 1);
      if (std::fabs(s - first_read_mean) < best_distance) best = s, best_distance = std::fabs(s - first_read_mean);
    }
  }
  if (best >= 0) {
    out.s_eq = best;
    out.s_eq_rule = "the stable zero of the drift at rest (nearest the trains' mean first read)";
  } else {
    out.s_eq = std::clamp(first_read_mean, 0.0, 1.0);
    out.s_eq_rule = "the trains' mean first read (the drift at rest has no stable zero among the measured states)";
  }

  std::vector<double> g(static_cast<std::size_t>(ns));
  // A noisy read near a device's floor can be below 0 S; the table's G cannot.
  for (int i = 0; i < ns; ++i) g[static_cast<std::size_t>(i)] = std::max(0.0, g_lo + (g_hi - g_lo) * i / (ns - 1.0));
  out.table = model_io::table_from_arrays(grid, drift, noise, fluct, g, 0.0);
  return out;
}

pulse_replay replay_pulse_train(const pulse_table_build& built, const pulse_train& train, const pulse_table_params& p,
                                const std::function<void(double)>& after_read) {
  pulse_replay r;
  const model::table_view view = built.table.view();
  const double s0 = std::clamp((train.rows.front().g_s - built.g_lo_s) / (built.g_hi_s - built.g_lo_s), 0.0, 1.0);
  const int n = p.devices;
  std::vector<model::device> dev(static_cast<std::size_t>(n));
  for (int d = 0; d < n; ++d)
    dev[static_cast<std::size_t>(d)] =
        model::make_device(p.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(d), model::variation_params::none(),
                           model::q_state::from_double(s0), true);
  std::vector<double> g(static_cast<std::size_t>(n));
  double done = 0;
  for (std::size_t k = 0; k < train.rows.size(); ++k) {
    const pulse_read& row = train.rows[k];
    const row_steps st = steps_of(train, k, p.dt_m_s);
    const model::q_volt v = model::q_volt::from_double(row.v_v);
    // In chunks, so that a long interval reports progress (and can be
    // stopped) on the way; the devices' bits do not depend on the chunking.
    for (int phase = 0; phase < 2; ++phase) {
      const model::q_volt volts = phase == 0 ? v : model::q_volt::zero();
      for (long long left = phase == 0 ? st.pulse : st.rest; left > 0;) {
        const long long chunk = std::min(left, 1LL << 16);
#pragma omp parallel for schedule(static)
        for (int d = 0; d < n; ++d) {
          model::device& x = dev[static_cast<std::size_t>(d)];
          for (long long s = 0; s < chunk; ++s) model::step(view, x, volts);
        }
        left -= chunk;
        done += static_cast<double>(chunk);
        if (after_read && left > 0) after_read(done);
      }
    }
    for (int d = 0; d < n; ++d)
      g[static_cast<std::size_t>(d)] =
          model::conductance(view, dev[static_cast<std::size_t>(d)]).to_double() * model::cond_unit_siemens;
    double mean = 0, var = 0;
    for (double x : g) mean += x / n;
    for (double x : g) var += (x - mean) * (x - mean) / (n - 1);
    r.t_s.push_back(row.t_s);
    r.v_v.push_back(row.v_v);
    r.measured_s.push_back(row.g_s);
    r.mean_s.push_back(mean);
    r.std_s.push_back(std::sqrt(var));
    if (after_read) after_read(done);
  }
  // The train's range, of its reads' running median over five (fewer at
  // the ends): one glitched read widened the raw range and so lowered the
  // NRMSE it divides, passing a train the model does not follow.
  const std::size_t reads_n = r.measured_s.size();
  double lo = 0, hi = 0, sq = 0;
  for (std::size_t k = 0; k < reads_n; ++k) {
    const std::size_t a = k >= 2 ? k - 2 : 0, b = std::min(reads_n, k + 3);
    std::vector<double> w(r.measured_s.begin() + static_cast<std::ptrdiff_t>(a),
                          r.measured_s.begin() + static_cast<std::ptrdiff_t>(b));
    std::nth_element(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(w.size() / 2), w.end());
    const double median = w[w.size() / 2];
    lo = k == 0 ? median : std::min(lo, median);
    hi = k == 0 ? median : std::max(hi, median);
  }
  int inside = 0, reads = 0;
  for (std::size_t k = 0; k < r.t_s.size(); ++k) {
    if (k == 0) continue;
    const double e = r.mean_s[k] - r.measured_s[k];
    sq += e * e;
    inside += std::fabs(e) <= 2 * r.std_s[k] ? 1 : 0;
    ++reads;
  }
  const double range = hi > lo ? hi - lo : built.g_hi_s - built.g_lo_s;
  r.nrmse = reads > 0 ? std::sqrt(sq / reads) / range : 0.0;
  r.band_coverage = reads > 0 ? static_cast<double>(inside) / reads : 0.0;
  return r;
}

}  // namespace ionrail::calibration
