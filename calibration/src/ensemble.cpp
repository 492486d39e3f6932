#include <ionrail/calibration/ensemble.hpp>

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <exception>
#include <stdexcept>

#include <ionrail/calibration/progress.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/kmc/counter_draws.hpp>
#include <ionrail/kmc/state_io.hpp>
#include <ionrail/model/table.hpp>

namespace ionrail::calibration {

std::shared_ptr<kmc::piecewise_linear_voltage> random_protocol(const calibration_params& c, std::uint64_t index) {
  // A stream of its own: key = seed, counter = (index, 0, 3 << 24).
  kmc::counter_draws draw(c.seed, static_cast<kmc::draw_stream>(3), index);
  std::vector<double> t{0.0}, v{0.0};
  auto add = [&](double dt, double volts) {
    t.push_back(t.back() + dt);
    v.push_back(volts);
  };
  constexpr double edge = 1e-9;
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * draw.unit(); };
  while (t.back() < c.duration_s) {
    switch (draw.below(5)) {
      case 0: {  // pulse train
        const int pulses = 1 + static_cast<int>(draw.below(20));
        const double amplitude = uniform(-c.v_max_v, c.v_max_v);
        const double width = uniform(0.05, 2.0), gap = uniform(0.05, 2.0);
        for (int k = 0; k < pulses; ++k) {
          add(edge, amplitude);
          add(width - edge, amplitude);
          add(edge, 0.0);
          add(gap - edge, 0.0);
        }
        break;
      }
      case 1:  // rest: relaxation at 0 V
        add(edge, 0.0);
        add(uniform(1.0, 30.0), 0.0);
        break;
      case 2: {  // triangular sweep from 0
        // At least 0.5 V, but never beyond ±v_max (the grid and the work
        // estimate's bound end there); the same draws as ever for v_max >= 0.5.
        const double amplitude = uniform(std::min(0.5, c.v_max_v), c.v_max_v) * (draw.below(2) ? 1 : -1);
        const double quarter = std::fabs(amplitude) / uniform(0.1, 2.0);
        add(edge, 0.0);
        add(quarter, amplitude);
        add(2 * quarter, -amplitude);
        add(quarter, 0.0);
        break;
      }
      case 3: {  // a held level
        add(edge, uniform(-c.v_max_v, c.v_max_v));
        add(uniform(0.5, 10.0), v.back());
        break;
      }
      default: {  // reversal: saturate one way for long, then drive hard the other way
        const double sign = draw.below(2) ? 1 : -1;
        add(edge, sign * uniform(0.5 * c.v_max_v, c.v_max_v));
        add(uniform(5.0, 30.0), v.back());
        add(edge, -sign * uniform(0.5 * c.v_max_v, c.v_max_v));
        add(uniform(0.1, 3.0), v.back());
        break;
      }
    }
  }
  return std::make_shared<kmc::piecewise_linear_voltage>(t, v, fmt::format("random calibration protocol {}", index));
}

int run_steps(const calibration_params& c) { return static_cast<int>(std::lround(c.duration_s / c.dt_m_s)); }

int lag_steps(const calibration_params& c) { return std::max(1, static_cast<int>(std::lround(c.noise_lag_s / c.dt_m_s))); }

void check_settings(const calibration_params& c, const std::string& file) {
  const std::string where = file.empty() ? std::string("calibration") : file;
  auto refuse = [&](const std::string& why) { throw input_error(where + ": " + why); };
  // The step counts are ints (run_steps, lag_steps): counted in double
  // first, so that a count past int's range is refused instead of wrapping
  // (2^32 + 100 steps once wrapped to 100 and passed every check below).
  const double steps_per_run = std::round(c.duration_s / c.dt_m_s);
  if (!(steps_per_run <= 2147483647.0))
    refuse(fmt::format("calibration.duration_s / calibration.dt_m_s = {} / {} = {:.6g} model steps per run: expected at "
                       "most 2147483647 (a longer dt_m_s or shorter runs)",
                       c.duration_s, c.dt_m_s, steps_per_run));
  if (c.dt_m_s > c.duration_s)
    refuse(fmt::format("calibration.dt_m_s = {} s is longer than calibration.duration_s = {} s: a run would not hold one "
                       "model step; expected dt_m_s <= duration_s",
                       c.dt_m_s, c.duration_s));
  // The noise is the variance over noise_lag_s measured in whole model steps:
  // a lag longer than a run is never measured (the table's slow noise would
  // be zero everywhere), one shorter than a step or between steps would be
  // measured over another lag than the one asked for.
  if (c.noise_lag_s > c.duration_s)
    refuse(fmt::format("calibration.noise_lag_s = {} s is longer than calibration.duration_s = {} s: the noise over the "
                       "lag would never be measured in a run; expected dt_m_s <= noise_lag_s <= duration_s",
                       c.noise_lag_s, c.duration_s));
  if (c.noise_lag_s < c.dt_m_s)
    refuse(fmt::format("calibration.noise_lag_s = {} s is shorter than calibration.dt_m_s = {} s, the step it is measured "
                       "in; expected dt_m_s <= noise_lag_s <= duration_s",
                       c.noise_lag_s, c.dt_m_s));
  const double lag_s = lag_steps(c) * c.dt_m_s;
  if (std::fabs(lag_s - c.noise_lag_s) > 1e-9 * c.noise_lag_s)
    refuse(fmt::format("calibration.noise_lag_s = {} s is not a whole number of calibration.dt_m_s = {} s steps (it would "
                       "be measured over {} s); expected a multiple of dt_m_s",
                       c.noise_lag_s, c.dt_m_s, lag_s));
  // A table entry needs min_bin_samples transitions in its bin: fewer in
  // all, and no bin can have them (the calibration would end, after every
  // run, with no table).
  const double steps = run_steps(c), lag = lag_steps(c);
  const double transitions = static_cast<double>(c.runs) * steps * c.devices;
  if (transitions < min_bin_samples)
    refuse(fmt::format("calibration.runs x calibration.duration_s / calibration.dt_m_s x calibration.devices = {} x {} x {} "
                       "= {} transitions in all, fewer than the {} one table entry needs; expected more runs, devices or "
                       "steps",
                       c.runs, steps, c.devices, transitions, min_bin_samples));
  const double lagged = static_cast<double>(c.runs) * (steps - lag + 1) * c.devices;
  if (lagged < min_bin_samples)
    refuse(fmt::format("calibration.noise_lag_s = {} s leaves {} lagged samples in calibration.runs = {} runs of "
                       "calibration.duration_s = {} s, fewer than the {} the noise of one table entry needs; expected a "
                       "shorter lag or longer runs",
                       c.noise_lag_s, lagged, c.runs, c.duration_s, min_bin_samples));
  // Random protocols span ±v_max; a grid step wider than that has no voltage
  // point inside the range but 0 V, and its outer columns would hold
  // voltages up to half a step away from their own.
  if (c.v_step_v > c.v_max_v)
    refuse(fmt::format("calibration.v_step_v = {} V is wider than calibration.v_max_v = {} V: the voltage grid would have "
                       "no point inside ±v_max_v but 0 V; expected v_step_v <= v_max_v",
                       c.v_step_v, c.v_max_v));
  // The table's grid is checked when it is built, after every run: here, before.
  const int half = static_cast<int>(std::ceil(c.v_max_v / c.v_step_v));
  const int m = static_cast<int>(std::lround(std::log2(c.v_step_v / model::q_volt::lsb)));
  const model::table_status grid = model::check_grid(model::table_grid::make(c.state_bits, m, half));
  if (grid != model::table_status::ok)
    refuse(fmt::format("calibration.state_bits = {}, calibration.v_step_v = {} V and calibration.v_max_v = {} V: the "
                       "table's grid cannot be built: {}",
                       c.state_bits, c.v_step_v, c.v_max_v, model::describe(grid)));
}

double transition_bins::cells_of(int state_bits, double v_step, double v_max) {
  const double half = std::ceil(v_max / v_step);
  return (std::ldexp(1.0, state_bits) + 1) * (2 * half + 1);
}

double grid_memory_bytes(const calibration_params& c, int at_once) {
  const double cells = transition_bins::cells_of(c.state_bits, c.v_step_v, c.v_max_v);
  // A bins checkpoint line: 3 integers of up to 20 digits and 4 hexfloats of
  // up to 24 characters with their separators (a run's state holds the bins
  // in binary, less); the text and its copy with the header.
  constexpr double checkpoint_text_per_cell = 3 * 20 + 4 * 24 + 7;
  const double collecting = (c.runs + 1.0) * transition_bins::bytes_per_cell * cells +
                            at_once * 2 * checkpoint_text_per_cell * cells;
  // build_table: the merged bins, 7 per-cell temporaries (drift, noise, fluct,
  // samples: 8 bytes; visited, noise_seen, fluct_seen, the fill's done: 4),
  // the table (drift, noise, fluct: 4 bytes each) and table.csv in memory
  // (a line of up to ~190 characters per cell) while it is written.
  constexpr double table_per_cell = 4 * 8 + 4 * 4 + 3 * 4 + 192;
  const double building = (transition_bins::bytes_per_cell + table_per_cell) * cells;
  return std::max(collecting, building);
}

std::shared_ptr<kmc::piecewise_linear_voltage> drive_until(const kmc::piecewise_linear_voltage& drive, double t_end_s) {
  const auto& t = drive.times_s();
  const auto& v = drive.volts();
  std::vector<double> tt, vv;
  for (std::size_t k = 0; k < t.size() && t[k] < t_end_s; ++k) tt.push_back(t[k]), vv.push_back(v[k]);
  if (tt.empty() || t_end_s > tt.back()) tt.push_back(t_end_s), vv.push_back(drive.voltage(t_end_s));
  return std::make_shared<kmc::piecewise_linear_voltage>(std::move(tt), std::move(vv), "a drive cut for its work estimate");
}

std::shared_ptr<kmc::piecewise_linear_voltage> run_drive(const calibration_params& c, std::uint64_t index) {
  return drive_until(*random_protocol(c, index), run_steps(c) * c.dt_m_s);
}

transition_bins::transition_bins(int state_bits, double v_step, double v_max, int lag) {
  lag_steps = lag;
  ds = std::ldexp(1.0, -state_bits);
  n_s = (1 << state_bits) + 1;
  dv = v_step;
  const int half = static_cast<int>(std::ceil(v_max / v_step));
  n_v = 2 * half + 1;
  v0 = -half * v_step;
  count.assign(static_cast<std::size_t>(n_s) * n_v, 0);
  sum.assign(count.size(), 0.0);
  dev_sum.assign(count.size(), 0.0);
  noise_count.assign(count.size(), 0);
  noise_sum.assign(count.size(), 0.0);
  fluct_count.assign(count.size(), 0);
  fluct_sum.assign(count.size(), 0.0);
  lag1_product.assign(static_cast<std::size_t>(n_v), 0.0);
  lag1_square.assign(static_cast<std::size_t>(n_v), 0.0);
  lag1_count.assign(static_cast<std::size_t>(n_v), 0);
}

namespace {
int bin_of(const transition_bins& b, double s, double v) {
  const int i = std::clamp(static_cast<int>(std::lround(s / b.ds)), 0, b.n_s - 1);
  return b.index(i, b.column_of(v));
}
}  // namespace

int transition_bins::column_of(double v) const {
  return std::clamp(static_cast<int>(std::lround((v - v0) / dv)), 0, n_v - 1);
}

double transition_bins::fluct_rho() const {
  double product = 0, square = 0;
  for (int j = 0; j < n_v; ++j) product += lag1_product[j], square += lag1_square[j];
  return square > 0 ? product / square : 0.0;
}

double transition_bins::fluct_rho_at(int j, long long min_device_steps) const {
  if (lag1_count[j] < min_device_steps || !(lag1_square[j] > 0)) return fluct_rho();
  return lag1_product[j] / lag1_square[j];
}

void transition_bins::add_lag1(double v, double product, double square, long long device_steps) {
  const int j = column_of(v);
  lag1_product[j] += product;
  lag1_square[j] += square;
  lag1_count[j] += device_steps;
}

double voltage_span(const kmc::piecewise_linear_voltage& drive, double t0_s, double t1_s) {
  const double at_start = drive.voltage(t0_s), at_end = drive.voltage(t1_s);
  double lo = std::min(at_start, at_end), hi = std::max(at_start, at_end);
  const auto& t = drive.times_s();
  const auto& v = drive.volts();
  // The corners inside (t0, t1): the knots, sorted by time.
  for (auto k = std::upper_bound(t.begin(), t.end(), t0_s); k != t.end() && *k < t1_s; ++k) {
    const double x = v[static_cast<std::size_t>(k - t.begin())];
    lo = std::min(lo, x), hi = std::max(hi, x);
  }
  return hi - lo;
}

void transition_bins::add(double s, double v, double delta, double deviation) {
  const int k = bin_of(*this, s, v);
  ++count[k];
  sum[k] += delta;
  dev_sum[k] += deviation;
}

void transition_bins::add_noise(double s, double v, double per_step_variance) {
  const int k = bin_of(*this, s, v);
  ++noise_count[k];
  noise_sum[k] += per_step_variance;
}

void transition_bins::add_fluct(double mean_s, double v, double variance) {
  const int k = bin_of(*this, mean_s, v);
  ++fluct_count[k];
  fluct_sum[k] += variance;
}

void transition_bins::merge(const transition_bins& o) {
  for (std::size_t k = 0; k < count.size(); ++k) {
    count[k] += o.count[k], sum[k] += o.sum[k], dev_sum[k] += o.dev_sum[k];
    noise_count[k] += o.noise_count[k], noise_sum[k] += o.noise_sum[k];
    fluct_count[k] += o.fluct_count[k], fluct_sum[k] += o.fluct_sum[k];
  }
  for (int j = 0; j < n_v; ++j) {
    lag1_product[j] += o.lag1_product[j];
    lag1_square[j] += o.lag1_square[j];
    lag1_count[j] += o.lag1_count[j];
  }
}

kmc::device_params ensemble_device(const kmc::device_params& material, int devices, int device_rails) {
  kmc::device_params d = material;
  const kmc::rail_class_params base = material.classes.front();
  d.classes.clear();
  for (int k = 0; k < devices; ++k) {
    kmc::rail_class_params c = base;
    c.name = fmt::format("device{}", k);
    c.fraction = 1.0 / devices;
    d.classes.push_back(c);
  }
  d.rails = devices * device_rails;
  d.field_per_class = true;
  return d;
}

std::vector<double> device_states(const kmc::engine& e, int devices) {
  const auto& m = e.model();
  const auto& pos = m.positions();
  const auto& ro = m.readout();
  std::vector<long long> in_zone(devices, 0), rails(devices, 0);
  for (int r = 0; r < pos.rails; ++r) ++rails[pos.class_of(r)];
  for (int j = 0; j < pos.ions; ++j) {
    const std::uint16_t* row = pos.row(j);
    for (int r = 0; r < pos.rails; ++r) in_zone[pos.class_of(r)] += row[r] >= ro.first_q && row[r] <= ro.last_q;
  }
  std::vector<double> s(devices);
  for (int k = 0; k < devices; ++k)
    s[k] = static_cast<double>(in_zone[k]) / (static_cast<double>(rails[k]) * pos.ions);
  return s;
}

namespace {

// Exact text form of one run's bins: hexfloat keeps every bit.
void save_bins(const transition_bins& b, const std::filesystem::path& file) {
  std::string text;
  char line[512];
  std::snprintf(line, sizeof line, "ionrail-bins 4 %d %d %d\n", b.n_s, b.n_v, b.lag_steps);
  text += line;
  for (int j = 0; j < b.n_v; ++j) {
    std::snprintf(line, sizeof line, "%a %a %lld\n", b.lag1_product[j], b.lag1_square[j], b.lag1_count[j]);
    text += line;
  }
  for (std::size_t k = 0; k < b.count.size(); ++k) {
    std::snprintf(line, sizeof line, "%lld %a %a %lld %a %lld %a\n", b.count[k], b.sum[k], b.dev_sum[k],
                  b.noise_count[k], b.noise_sum[k], b.fluct_count[k], b.fluct_sum[k]);
    text += line;
  }
  // Framed like every checkpoint (kind, size, checksum): a damaged digit is
  // refused rather than read into the table.
  write_checkpoint(file, "calibration-bins", text);
}

bool load_bins(transition_bins& b, const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return false;
  // No larger than save_bins can write: each of its lines fits its 512-byte
  // buffer, and the checkpoint header line its 200 bytes.
  const std::uintmax_t max_bytes = std::uintmax_t{512} * (b.count.size() + b.lag1_count.size() + 1) + 200;
  const std::string text = read_checkpoint(file, "calibration-bins", max_bytes);
  // One line at a time (sscanf on the whole text would measure it on every call).
  std::size_t from = 0;
  auto next_line = [&] {
    const auto eol = text.find('\n', from);
    std::string line = text.substr(from, eol == std::string::npos ? std::string::npos : eol - from);
    from = eol == std::string::npos ? text.size() : eol + 1;
    return line;
  };
  int version = 0, n_s = 0, n_v = 0, lag = 0;
  // Version 4: ρ per voltage column, drift and fluctuation from held steps
  // only; a version 3 file (one pooled ρ, every step) is another estimator.
  bool ok = std::sscanf(next_line().c_str(), "ionrail-bins %d %d %d %d", &version, &n_s, &n_v, &lag) == 4 &&
            version == 4 && n_s == b.n_s && n_v == b.n_v && lag == b.lag_steps;
  for (int j = 0; ok && j < b.n_v; ++j)
    ok = std::sscanf(next_line().c_str(), "%la %la %lld", &b.lag1_product[j], &b.lag1_square[j], &b.lag1_count[j]) == 3;
  for (std::size_t k = 0; ok && k < b.count.size(); ++k)
    ok = std::sscanf(next_line().c_str(), "%lld %la %la %lld %la %lld %la", &b.count[k], &b.sum[k], &b.dev_sum[k],
                     &b.noise_count[k], &b.noise_sum[k], &b.fluct_count[k], &b.fluct_sum[k]) == 7;
  if (!ok)
    throw input_error(file.string() + ": calibration checkpoint is truncated, from another grid or from another "
                                      "version of the estimator (expected ionrail-bins 4)");
  return true;
}

// A run part-way: the step it is in, its bins so far, the device states of
// the last `lag` steps and the engine (kmc::engine::save_state).
struct run_progress {
  int step = 1;
  std::vector<double> before;
  std::vector<std::vector<double>> history;
  std::vector<double> voltages;
  std::string engine_state;
};

void put_bins(kmc::state_writer& w, const transition_bins& b) {
  w.put_vector(b.count);
  w.put_vector(b.sum);
  w.put_vector(b.dev_sum);
  w.put_vector(b.noise_count);
  w.put_vector(b.noise_sum);
  w.put_vector(b.fluct_count);
  w.put_vector(b.fluct_sum);
  w.put_vector(b.lag1_product);
  w.put_vector(b.lag1_square);
  w.put_vector(b.lag1_count);
}

void get_bins(kmc::state_reader& r, transition_bins& b) {
  const std::size_t n = b.count.size();
  r.get_vector(b.count, n, "bin counts");
  r.get_vector(b.sum, n, "bin sums");
  r.get_vector(b.dev_sum, n, "bin deviations");
  r.get_vector(b.noise_count, n, "noise counts");
  r.get_vector(b.noise_sum, n, "noise sums");
  r.get_vector(b.fluct_count, n, "fluctuation counts");
  r.get_vector(b.fluct_sum, n, "fluctuation sums");
  const std::size_t columns = static_cast<std::size_t>(b.n_v);
  r.get_vector(b.lag1_product, columns, "lag-one products");
  r.get_vector(b.lag1_square, columns, "lag-one squares");
  r.get_vector(b.lag1_count, columns, "lag-one counts");
}

void save_progress(const std::filesystem::path& file, const transition_bins& b, const run_progress& p) {
  kmc::state_writer w;
  w.put_tag("calibration-run");
  w.put<std::int32_t>(p.step);
  put_bins(w, b);
  w.put_vector(p.before);
  w.put<std::uint64_t>(p.history.size());
  for (const auto& h : p.history) w.put_vector(h);
  w.put_vector(p.voltages);
  w.put_string(p.engine_state);
  write_checkpoint(file, "calibration-run", w.bytes());
}

bool load_progress(const std::filesystem::path& file, transition_bins& b, run_progress& p, int devices, int steps, int lag) {
  if (!std::filesystem::exists(file)) return false;
  const std::string payload = read_checkpoint(file, "calibration-run");
  try {
    kmc::state_reader r(payload, file.string());
    r.expect_tag("calibration-run");
    p.step = r.get<std::int32_t>();
    if (p.step < 1 || p.step > steps) r.fail("step " + std::to_string(p.step) + " outside [1, " + std::to_string(steps) + "]");
    get_bins(r, b);
    r.get_vector(p.before, static_cast<std::size_t>(devices), "device states");
    const std::uint64_t h = r.get<std::uint64_t>();
    if (h < 1 || h > static_cast<std::uint64_t>(lag)) r.fail("state history of another noise lag");
    p.history.resize(static_cast<std::size_t>(h));
    for (auto& x : p.history) r.get_vector(x, static_cast<std::size_t>(devices), "device states");
    r.get_vector(p.voltages, static_cast<std::size_t>(h - 1), "voltages");
    p.engine_state = r.get_string(std::size_t{1} << 40);
    r.expect_end();
  } catch (const kmc::state_error& e) {
    throw input_error(std::string(e.what()) + " (the checkpoint does not fit this calibration)");
  }
  return true;
}

}  // namespace

transition_bins collect_transitions(const kmc::device_params& material, const kmc::sim_params& sim,
                                    const calibration_params& c, bool quiet, const std::string& checkpoint_dir,
                                    const kmc::solver_factory& backend, run_control* ctl) {
  check_settings(c, "");
  const int lag = lag_steps(c);
  const int steps = run_steps(c);
  transition_bins total(c.state_bits, c.v_step_v, c.v_max_v, lag);
  std::vector<transition_bins> per_run(c.runs, total);
  const kmc::device_params d = ensemble_device(material, c.devices, c.device_rails);
  auto make_engine = [&](int run, const std::shared_ptr<kmc::piecewise_linear_voltage>& protocol) {
    kmc::sim_params s = sim;
    s.threads = 1;
    s.seed = sim.seed + 1000003ull * static_cast<std::uint64_t>(run);
    return backend ? std::make_unique<kmc::engine>(d, s, protocol, backend) : std::make_unique<kmc::engine>(d, s, protocol);
  };
  const std::filesystem::path dir(checkpoint_dir);
  auto saved_file = [&](int run) {
    return checkpoint_dir.empty() ? std::filesystem::path() : dir / fmt::format("run_{}.bins", run);
  };
  auto partial_file = [&](int run) {
    return checkpoint_dir.empty() ? std::filesystem::path() : dir / fmt::format("run_{}.state", run);
  };
  // Every saved file, checked before any run is simulated: one found damaged
  // when its run comes up would be refused after the runs before it had been
  // simulated for nothing. Finished runs' bins are kept (not read again); a
  // run's state is read in full, and its engine state loaded into an engine
  // of that run, then let go (one at a time: the runs load them again).
  std::vector<char> loaded(static_cast<std::size_t>(c.runs), 0);
  for (int run = 0; run < c.runs && !checkpoint_dir.empty(); ++run) {
    const std::filesystem::path partial = partial_file(run);
    try {
      if (load_bins(per_run[run], saved_file(run))) {
        loaded[static_cast<std::size_t>(run)] = 1;
        continue;
      }
      if (!std::filesystem::exists(partial)) continue;
      transition_bins scratch = total;
      run_progress at;
      load_progress(partial, scratch, at, c.devices, steps, lag);
      try {
        make_engine(run, random_protocol(c, static_cast<std::uint64_t>(run)))->load_state(at.engine_state, partial.string());
      } catch (const kmc::state_error& e) {
        throw input_error(std::string(e.what()) + " (the checkpoint does not fit this calibration)");
      }
    } catch (const input_error& e) {
      throw input_error(fmt::format("{}; delete it to simulate calibration run {} again from its start", e.what(), run));
    }
  }
  // Progress over the simulated time of all runs together (runs run in parallel).
  progress_reporter progress(c.runs * c.duration_s, quiet);
  progress.begin_part(fmt::format("calibration: {} runs x {} devices", c.runs, c.devices));
  double simulated = 0;
  auto report = [&](double dt) {
#pragma omp critical(ionrail_calibration_progress)
    {
      simulated += dt;
      progress.advance_to(simulated);
    }
  };
  // Exceptions may not leave an OpenMP region: each run keeps its own, and the
  // first (in run order) is rethrown after the loop.
  std::vector<std::exception_ptr> failure(c.runs);
  std::vector<int> stopped(c.runs, 0);  // 1: stopped by a signal, 2: and its state saved
#pragma omp parallel for schedule(dynamic, 1)
  for (int run = 0; run < c.runs; ++run) try {
    const std::filesystem::path saved = saved_file(run);
    const std::filesystem::path partial = partial_file(run);
    if (loaded[static_cast<std::size_t>(run)]) {
      report(c.duration_s);
      continue;
    }
    if (ctl && ctl->interrupted()) {  // a signal came: runs not begun are not begun
      stopped[run] = 1;
      continue;
    }
    const int worker = omp_get_thread_num();
    const auto protocol = random_protocol(c, static_cast<std::uint64_t>(run));
    std::unique_ptr<kmc::engine> engine = make_engine(run, protocol);
    kmc::engine& e = *engine;
    if (ctl) e.set_stop_flag(ctl->flag(worker));
    run_progress at;
    if (!partial.empty() && load_progress(partial, per_run[run], at, c.devices, steps, lag)) {
      e.load_state(at.engine_state, partial.string());
      at.engine_state.clear();
      report((at.step - 1) * c.dt_m_s);
    } else {
      at.before = device_states(e, c.devices);
      at.history = {at.before};  // states of the last `lag` steps
    }
    std::vector<double>& before = at.before;
    std::vector<std::vector<double>>& history = at.history;
    std::vector<double>& voltages = at.voltages;
    const double unbias = static_cast<double>(c.devices) / (c.devices - 1);
    const bool can_save = !partial.empty();
    // Within step k (the engine anywhere up to its end): the bins and
    // histories hold the steps before k.
    auto save_within = [&](int k) {
      at.step = k;
      at.engine_state = e.save_state();
      save_progress(partial, per_run[run], at);
      at.engine_state.clear();
    };
    for (int k = at.step; k <= steps; ++k) {
      const double t0 = (k - 1) * c.dt_m_s;
      bool saved_within = false;
      for (;;) {
        e.advance_to(k * c.dt_m_s);
        if (!ctl || !ctl->pause_requested(worker)) break;
        if (can_save && e.can_save_state()) save_within(k), saved_within = true;
        if (ctl->interrupted()) break;
        ctl->resume(worker);
      }
      if (ctl && ctl->interrupted()) {
        // The signal may have come after the engine's last look at its flag
        // (the watcher raises the flags within 20 ms): a run reported as
        // saved part-way has its state file.
        const bool can = can_save && e.can_save_state();
        if (can && !saved_within) save_within(k);
        stopped[run] = can ? 2 : 1;
        break;
      }
      const double v = protocol->voltage(t0 + 0.5 * c.dt_m_s);
      const std::vector<double> after = device_states(e, c.devices);
      transition_bins& bins = per_run[run];
      if (voltage_span(*protocol, t0, k * c.dt_m_s) <= 0.5 * c.v_step_v) {
        double mean_before = 0, mean_after = 0;
        for (int dev = 0; dev < c.devices; ++dev) mean_before += before[dev] / c.devices, mean_after += after[dev] / c.devices;
        for (int dev = 0; dev < c.devices; ++dev)
          bins.add(before[dev], v, after[dev] - before[dev], before[dev] - mean_before);
        double variance = 0, product = 0, square = 0;
        for (int dev = 0; dev < c.devices; ++dev) {
          const double now = after[dev] - mean_after, prev = before[dev] - mean_before;
          variance += now * now / (c.devices - 1);
          product += now * prev;
          square += prev * prev;
        }
        bins.add_lag1(v, product, square, c.devices);
        bins.add_fluct(mean_after, v, variance);
      }
      history.push_back(after);
      voltages.push_back(v);
      if (static_cast<int>(voltages.size()) == lag) {
        const std::vector<double>& start = history.front();
        double v_mean = 0, mean_delta = 0;
        for (double x : voltages) v_mean += x / lag;
        for (int dev = 0; dev < c.devices; ++dev) mean_delta += (after[dev] - start[dev]) / c.devices;
        for (int dev = 0; dev < c.devices; ++dev) {
          const double dev_delta = after[dev] - start[dev] - mean_delta;
          per_run[run].add_noise(start[dev], v_mean, dev_delta * dev_delta * unbias / lag);
        }
        history.erase(history.begin());
        voltages.erase(voltages.begin());
      }
      before = after;
      if (k % 20 == 0) report(20 * c.dt_m_s);
    }
    if (stopped[run]) continue;
    report((steps % 20) * c.dt_m_s);
    if (!saved.empty()) {
      save_bins(per_run[run], saved);
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
    }
  } catch (...) {
    failure[run] = std::current_exception();
  }
  for (const auto& f : failure)
    if (f) std::rethrow_exception(f);
  if (ctl && ctl->interrupted()) {
    const auto mid = std::count(stopped.begin(), stopped.end(), 2);
    const auto lost = std::count(stopped.begin(), stopped.end(), 1);
    throw interrupted(ctl->signal(),
                      fmt::format("interrupted by {}: {} of {} calibration runs finished, {} saved part-way{} in {}",
                                  signal_name(ctl->signal()), c.runs - mid - lost, c.runs, mid,
                                  lost ? fmt::format(", {} to start over", lost) : "", checkpoint_dir));
  }
  progress.finish("calibration runs done");
  for (const auto& b : per_run) total.merge(b);  // in run order: the sums do not depend on threads
  return total;
}

}  // namespace ionrail::calibration
