#include <ionrail/circuits/crossbar_learning.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <ionrail/circuits/hardware_cost.hpp>
#include <ionrail/circuits/streams.hpp>
#include <ionrail/model/reference.hpp>
#include <ionrail/model/step.hpp>

namespace ionrail::circuits {
namespace {

constexpr int inputs = 65;  // 64 pixels and the bias line
constexpr int outputs = 10;

// What the training loop needs from each of the three learners.
class learner {
 public:
  virtual ~learner() = default;
  // Scores of the 10 outputs in pulse units (one pulse on one full input).
  virtual void scores(const double* x, double* z) const = 0;
  // One Manhattan update: dir[j] in {-1, 0, +1} on the rows in `active`.
  // Returns the energy of the write pulses (J).
  virtual double update(const std::vector<int>& active, const std::array<int, outputs>& dir) = 0;
  // Time passes with nothing driven (model steps).
  virtual void idle(int steps) = 0;
  virtual std::vector<double> weight_units() const = 0;
  long long pulses = 0;
};

class device_learner final : public learner {
 public:
  device_learner(const model::table& t, const crossbar_params& p, double v_write, double unit_a, double step_s)
      : xb_(t, p), v_half_(v_write / 2), unit_a_(unit_a), step_s_(step_s) {}
  void set_write_voltage(double v) { v_half_ = v / 2; }
  void scores(const double* x, double* z) const override {
    xb_.read(x, z);
    for (int j = 0; j < outputs; ++j) z[j] /= unit_a_;
  }
  double update(const std::vector<int>& active, const std::array<int, outputs>& dir) override {
    const bool any = std::any_of(dir.begin(), dir.end(), [](int d) { return d != 0; });
    if (!any || active.empty()) {
      xb_.relax(write_outer_steps(xb_));
      return 0;
    }
    std::vector<int> rows(inputs, 0);
    for (int r : active) rows[static_cast<std::size_t>(r)] = 1;
    const double e = write_outer(xb_, rows, std::vector<int>(dir.begin(), dir.end()), 2 * v_half_);
    for (int d : dir) pulses += d != 0 ? 2 * static_cast<long long>(active.size()) : 0;
    return e;
  }
  void idle(int steps) override { xb_.relax(steps); }
  std::vector<double> weight_units() const override {
    std::vector<double> w = xb_.weights();
    for (double& x : w) x /= step_s_;
    return w;
  }
  const crossbar_array& array() const { return xb_; }

 private:
  crossbar_array xb_;
  double v_half_, unit_a_, step_s_;
};

class ideal_learner final : public learner {
 public:
  ideal_learner(const model::table& t, crossbar_params p, double v_write, double unit_a, double step_s, double g_rest,
                double g_lo, double g_hi)
      : xb_(t, no_variation(p)), v_write_(v_write), unit_a_(unit_a), step_s_(step_s), lo_(g_lo), hi_(g_hi),
        dt_(p.dt_m_s), g_(static_cast<std::size_t>(inputs) * 2 * outputs, g_rest) {}
  void scores(const double* x, double* z) const override {
    xb_.read_with(g_, x, z);
    for (int j = 0; j < outputs; ++j) z[j] /= unit_a_;
  }
  double update(const std::vector<int>& active, const std::array<int, outputs>& dir) override {
    double e = 0;
    for (int r : active)
      for (int j = 0; j < outputs; ++j) {
        const int d = dir[static_cast<std::size_t>(j)];
        if (d == 0) continue;
        double& gp = g_[xb_.index(r, j, false)];
        double& gm = g_[xb_.index(r, j, true)];
        e += (gp + gm) * v_write_ * v_write_ * dt_;
        gp = std::clamp(gp + d * scale_ * step_s_, lo_, hi_);
        gm = std::clamp(gm - d * scale_ * step_s_, lo_, hi_);
        pulses += 2;
      }
    return e;
  }
  void idle(int) override {}
  void set_step_scale(double s) { scale_ = s; }
  std::vector<double> weight_units() const override {
    std::vector<double> w(static_cast<std::size_t>(inputs) * outputs);
    for (int r = 0; r < inputs; ++r)
      for (int j = 0; j < outputs; ++j)
        w[static_cast<std::size_t>(r) * outputs + j] = (g_[xb_.index(r, j, false)] - g_[xb_.index(r, j, true)]) / step_s_;
    return w;
  }

 private:
  static crossbar_params no_variation(crossbar_params p) {
    p.gain_sigma = 0, p.offset_sigma_s = 0, p.noise = false;
    return p;
  }
  crossbar_array xb_;  // for its DAC, wires and ADC only
  double v_write_, unit_a_, step_s_, lo_, hi_, dt_, scale_ = 1;
  std::vector<double> g_;
};

class baseline_learner final : public learner {
 public:
  baseline_learner() : w_(static_cast<std::size_t>(inputs) * outputs, 0.0) {}
  void scores(const double* x, double* z) const override {
    for (int j = 0; j < outputs; ++j) {
      double s = 0;
      for (int r = 0; r < inputs; ++r) s += x[r] * w_[static_cast<std::size_t>(r) * outputs + j];
      z[j] = s;
    }
  }
  double update(const std::vector<int>& active, const std::array<int, outputs>& dir) override {
    for (int r : active)
      for (int j = 0; j < outputs; ++j) {
        w_[static_cast<std::size_t>(r) * outputs + j] += dir[static_cast<std::size_t>(j)] * scale_;
        pulses += dir[static_cast<std::size_t>(j)] != 0 ? 2 : 0;
      }
    return 0;
  }
  void idle(int) override {}
  void set_step_scale(double s) { scale_ = s; }
  std::vector<double> weight_units() const override { return w_; }

 private:
  std::vector<double> w_;
  double scale_ = 1;
};

std::array<double, inputs> input_of(const digit& d) {
  std::array<double, inputs> x{};
  for (int k = 0; k < 64; ++k) x[static_cast<std::size_t>(k)] = d.pixels[static_cast<std::size_t>(k)] / 16.0;
  x[64] = 1.0;
  return x;
}

int argmax(const double* z) { return static_cast<int>(std::max_element(z, z + outputs) - z); }

double test_accuracy(const learner& l, const std::vector<digit>& data, const std::vector<int>& test,
                     std::array<std::array<int, 10>, 10>* confusion, training_stop stop) {
  int right = 0;
  double z[outputs];
  if (confusion) *confusion = {};
  for (int i : test) {
    stop.check();
    const digit& d = data[static_cast<std::size_t>(i)];
    const auto x = input_of(d);
    l.scores(x.data(), z);
    const int y = argmax(z);
    right += y == d.label;
    if (confusion) ++(*confusion)[static_cast<std::size_t>(d.label)][static_cast<std::size_t>(y)];
  }
  return static_cast<double>(right) / static_cast<double>(test.size());
}

}  // namespace

double write_outer(crossbar_array& xb, const std::vector<int>& active, const std::vector<int>& dir, double v_write) {
  const auto rows = static_cast<std::size_t>(xb.rows()), cols = static_cast<std::size_t>(xb.cols());
  if (active.size() != rows || dir.size() != cols)
    throw std::invalid_argument("write_outer: " + std::to_string(active.size()) + " rows and " +
                                std::to_string(dir.size()) + " columns given for a crossbar of " + std::to_string(rows) +
                                " x " + std::to_string(cols));
  // NaN would become 0 V in the fixed-point conversion: a write that silently did nothing.
  if (!std::isfinite(v_write) || std::fabs(v_write) > model::q_volt::max().to_double())
    throw std::invalid_argument("write_outer: v_write " + std::to_string(v_write) +
                                " is not a finite voltage within the model's +-16 V");
  std::vector<double> row(rows, 0.0), plus(cols, 0.0), minus(cols, 0.0);
  if (xb.params().selector == cell_selector::transistor) {
    // 1T1R: the selected rows' gates open, word lines at 0 V; each bit line
    // on its own at −V (its device rises) or +V (it falls), so both
    // directions take one step and no other cell sees a voltage.
    for (std::size_t j = 0; j < cols; ++j) {
      const double d = (dir[j] > 0) - (dir[j] < 0);
      plus[j] = -d * v_write;
      minus[j] = d * v_write;
    }
    return xb.pulse(row.data(), plus.data(), minus.data(), active.data());
  }
  // Passive: rows at ±V/2 and bit lines at ∓V/2 (the V/2 scheme), the two
  // directions in two phases because a row carries one voltage at a time.
  const double v_half = v_write / 2;
  double e = 0;
  for (int phase : {+1, -1}) {  // potentiation, then depression
    for (std::size_t r = 0; r < rows; ++r) row[r] = active[r] != 0 ? phase * v_half : 0.0;
    for (std::size_t j = 0; j < cols; ++j) {
      // Potentiation raises G+ of weights to increase and G− of those to decrease.
      const bool raise_plus = dir[j] * phase > 0;
      const bool raise_minus = dir[j] * phase < 0;
      plus[j] = raise_plus ? -phase * v_half : 0.0;
      minus[j] = raise_minus ? -phase * v_half : 0.0;
    }
    e += xb.pulse(row.data(), plus.data(), minus.data());
  }
  return e;
}

int write_outer_steps(cell_selector selector) { return selector == cell_selector::transistor ? 1 : 2; }
int write_outer_steps(const crossbar_array& xb) { return write_outer_steps(xb.params().selector); }

double train_digits_work(const learning_params& lp, const crossbar_params& xp, std::size_t train, std::size_t test) {
  const double devices = 2.0 * inputs * outputs;
  const double n_train = lp.train_limit > 0 ? std::min(static_cast<double>(lp.train_limit), static_cast<double>(train))
                                            : static_cast<double>(train);
  const double read = xp.wire_ohm > 0 ? ir_drop_read_cost : 1.0;
  // Per training digit: a read, up to pulse_train_length writes (each one
  // or two model steps, write_outer_steps), rest_steps model steps of every device; per
  // epoch the test set is read; then the retention steps and a last test.
  // The ideal-device twin does as much again.
  const double per_digit = read + write_outer_steps(xp.selector) * std::max(1, lp.pulse_train_length) + lp.rest_steps;
  const double per_epoch = n_train * per_digit + static_cast<double>(test) * read;
  const double retention = xp.dt_m_s > 0 ? lp.retention_s / xp.dt_m_s : 0.0;
  return 2.0 * devices * (lp.epochs * per_epoch + retention + static_cast<double>(test) * read);
}

void check_retention_steps(const learning_params& lp, const crossbar_params& xp) {
  // The retention is that many model steps, counted in an int.
  if (!(lp.retention_s / xp.dt_m_s <= 2147483647.0)) {
    std::ostringstream os;
    os << "crossbar.retention_s = " << lp.retention_s << " s: more than 2^31 - 1 model steps of the table's dt_m_s = "
       << xp.dt_m_s << " s";
    throw std::invalid_argument(os.str());
  }
}

learning_report train_digits(const std::vector<digit>& data, const digit_split& split, const model::table& table,
                             crossbar_params xp, const learning_params& lp,
                             const std::function<void(int, const learning_report&)>& progress, training_stop stop) {
  if (lp.epochs < 1 || !(lp.v_write_v > 0) || !(lp.softmax_beta > 0) || lp.rest_steps < 0 || lp.retention_s < 0 ||
      lp.pulse_train_length < 0)
    throw std::invalid_argument("train_digits: epochs >= 1, v_write_v > 0, softmax_beta > 0, rest_steps >= 0, "
                                "retention_s >= 0, pulse_train_length >= 0");
  check_retention_steps(lp, xp);
  xp.rows = inputs;
  xp.cols = outputs;
  // One write pulse at rest, from the table (float64 reference of the same
  // model): the mean of the potentiating and the depressing step.
  const model::reference_table ref(table.view());
  const double s0 = xp.initial_state;
  const auto g_of = [&](double s) { return ref.g_at(std::clamp(s, 0.0, 1.0)) * model::cond_unit_siemens; };
  const auto pulse_step = [&](double v) {
    const double up = g_of(s0 + ref.drift_at(s0, v)) - g_of(s0);
    const double down = g_of(s0) - g_of(s0 + ref.drift_at(s0, -v));
    return 0.5 * (std::fabs(up) + std::fabs(down));
  };
  learning_report rep;
  rep.pulse_step_s = pulse_step(lp.v_write_v);
  if (!(rep.pulse_step_s > 0))
    throw std::invalid_argument("train_digits: a write pulse of " + std::to_string(lp.v_write_v) +
                                " V does not change the device's conductance at rest (table)");
  const double unit_a = xp.v_read_v * rep.pulse_step_s;
  const double v_final = lp.v_write_final_v > 0 ? lp.v_write_final_v : lp.v_write_v;

  device_learner dev(table, xp, lp.v_write_v, unit_a, rep.pulse_step_s);
  ideal_learner ideal(table, xp, lp.v_write_v, unit_a, rep.pulse_step_s, g_of(s0), g_of(0.0), g_of(1.0));
  baseline_learner base;
  rep.g_before_s = dev.array().conductances();
  learner* all[3] = {&dev, &ideal, &base};
  learner_result* out[3] = {&rep.device, &rep.ideal, &rep.baseline};
  rep.device.name = "crossbar (compact model)";
  rep.ideal.name = "crossbar (ideal devices)";
  rep.baseline.name = "float64 baseline";

  std::vector<int> train = split.train;
  if (lp.train_limit > 0 && lp.train_limit < static_cast<int>(train.size())) {
    const auto p = permutation(static_cast<int>(train.size()), stream_seed(lp.seed, draw_stream::train_subset, 0));
    std::vector<int> subset;
    for (int k = 0; k < lp.train_limit; ++k) subset.push_back(train[static_cast<std::size_t>(p[static_cast<std::size_t>(k)])]);
    train = subset;
  }
  double device_seconds = 0;
  for (int epoch = 1; epoch <= lp.epochs; ++epoch) {
    const auto order = permutation(static_cast<int>(train.size()),
                                   stream_seed(lp.seed, draw_stream::train_order, static_cast<std::uint64_t>(epoch)));
    // The write voltage of this epoch; the ideal devices and the float
    // weights take the step a real device makes at it, relative to the first.
    const double f = lp.epochs > 1 ? static_cast<double>(epoch - 1) / (lp.epochs - 1) : 0.0;
    const double v_epoch = lp.v_write_v + (v_final - lp.v_write_v) * f;
    const double step_ratio = pulse_step(v_epoch) / rep.pulse_step_s;
    dev.set_write_voltage(v_epoch);
    ideal.set_step_scale(step_ratio);
    base.set_step_scale(step_ratio);
    for (int l = 0; l < 3; ++l) {
      const auto t0 = std::chrono::steady_clock::now();
      learner& le = *all[l];
      const long long pulses_before = le.pulses;
      const array_activity activity_before = dev.array().activity();
      epoch_record rec;
      rec.epoch = epoch;
      // Pulse-train draws: every learner restarts the same stream each epoch.
      std::uint64_t rng = stream_seed(lp.seed, draw_stream::pulse_train, static_cast<std::uint64_t>(epoch));
      int right = 0;
      double z[outputs];
      for (int k : order) {
        stop.check();
        const digit& d = data[static_cast<std::size_t>(train[static_cast<std::size_t>(k)])];
        const auto x = input_of(d);
        le.scores(x.data(), z);
        right += argmax(z) == d.label;
        // Softmax of the scores and the sign of the cross-entropy gradient.
        const double zmax = *std::max_element(z, z + outputs);
        double p[outputs], sum = 0;
        for (int j = 0; j < outputs; ++j) sum += p[j] = std::exp(lp.softmax_beta * (z[j] - zmax));
        std::array<double, outputs> err{};
        std::array<int, outputs> dir{};
        for (int j = 0; j < outputs; ++j) {
          const double e = (j == d.label ? 1.0 : 0.0) - p[j] / sum;
          err[static_cast<std::size_t>(j)] = e;
          dir[static_cast<std::size_t>(j)] = e > lp.error_threshold ? 1 : (e < -lp.error_threshold ? -1 : 0);
        }
        std::vector<int> active;
        if (lp.pulse_train_length == 0) {
          for (int r = 0; r < 64; ++r)
            if (d.pixels[static_cast<std::size_t>(r)] >= lp.active_pixel) active.push_back(r);
          active.push_back(64);  // the bias line
          rec.energy_j += le.update(active, dir);
        } else {
          // Stochastic pulse trains: each slot draws which rows and columns
          // are driven.
          for (int slot = 0; slot < lp.pulse_train_length; ++slot) {
            active.clear();
            for (int r = 0; r < inputs; ++r)
              if (uniform01(rng) < x[static_cast<std::size_t>(r)]) active.push_back(r);
            std::array<int, outputs> fire{};
            for (int j = 0; j < outputs; ++j)
              if (uniform01(rng) < std::fabs(err[static_cast<std::size_t>(j)])) fire[static_cast<std::size_t>(j)] = dir[static_cast<std::size_t>(j)];
            rec.energy_j += le.update(active, fire);
          }
        }
        if (lp.rest_steps > 0) le.idle(lp.rest_steps);
      }
      rec.train_accuracy = static_cast<double>(right) / static_cast<double>(train.size());
      const array_activity activity_trained = dev.array().activity();
      rec.test_accuracy = test_accuracy(le, data, split.test, epoch == lp.epochs ? &out[l]->confusion : nullptr, stop);
      if (l == 0) {
        rec.train_activity = activity_since(activity_trained, activity_before);
        rec.test_activity = activity_since(dev.array().activity(), activity_trained);
      }
      rec.pulses = le.pulses - pulses_before;
      out[l]->epochs.push_back(rec);
      if (l == 0) device_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    rep.seconds_per_epoch = device_seconds / epoch;
    if (progress) progress(epoch, rep);
  }
  for (int l = 0; l < 3; ++l) out[l]->weights = all[l]->weight_units();
  rep.g_after_s = dev.array().conductances();
  // Retention: the real devices relax at 0 V; the ideal ones and the float
  // weights do not forget.
  dev.idle(static_cast<int>(std::lround(lp.retention_s / xp.dt_m_s)));  // bounded at the start
  rep.device.test_after_retention = test_accuracy(dev, data, split.test, nullptr, stop);
  rep.ideal.test_after_retention = rep.ideal.epochs.back().test_accuracy;
  rep.baseline.test_after_retention = rep.baseline.epochs.back().test_accuracy;
  return rep;
}

}  // namespace ionrail::circuits
