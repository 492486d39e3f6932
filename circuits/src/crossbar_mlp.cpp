#include <ionrail/circuits/crossbar_mlp.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include <omp.h>

#include <ionrail/circuits/hardware_cost.hpp>
#include <ionrail/circuits/streams.hpp>
#include <ionrail/circuits/tiled_layer.hpp>
#include <ionrail/kmc/thread_governor.hpp>
#include <ionrail/model/reference.hpp>

namespace ionrail::circuits {

int plan_transfer(float* chi, int stride, int rows, int cols, const std::vector<int>& candidate_rows, int max_pulses,
                  double threshold, const std::function<void(const std::vector<int>&, const std::vector<int>&)>& write) {
  if (!(threshold >= 0.5 && threshold <= 1) || max_pulses < 1)
    throw std::invalid_argument("plan_transfer: threshold must be in [0.5, 1] and max_pulses >= 1");
  const auto at = [&](int r, int c) -> float& {
    return chi[static_cast<std::size_t>(r) * static_cast<std::size_t>(stride) + static_cast<std::size_t>(c)];
  };
  const float owe = 1.0f, join = static_cast<float>(threshold);
  const std::size_t cells = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  std::vector<char> pulsed(cells);  // in this round
  const auto done = [&](int r, int c) -> char& {
    return pulsed[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
  };
  std::vector<int> active(static_cast<std::size_t>(rows)), dir(static_cast<std::size_t>(cols));
  std::vector<int> in_rows;
  int writes = 0;
  for (int round = 1; round <= max_pulses; ++round) {
    std::fill(pulsed.begin(), pulsed.end(), 0);
    bool any_this_round = false;
    for (;;) {
      // The (column, direction) owed most pulses.
      int best_c = -1, best_d = 0, best_n = 0;
      for (int c = 0; c < cols; ++c) {
        int up = 0, down = 0;
        for (int r : candidate_rows) {
          if (done(r, c)) continue;
          const float v = at(r, c);
          up += v >= owe;
          down += -v >= owe;
        }
        if (up > best_n) best_c = c, best_d = 1, best_n = up;
        if (down > best_n) best_c = c, best_d = -1, best_n = down;
      }
      if (best_n == 0) break;
      any_this_round = true;
      std::fill(active.begin(), active.end(), 0);
      std::fill(dir.begin(), dir.end(), 0);
      in_rows.clear();
      for (int r : candidate_rows)
        if (!done(r, best_c) && static_cast<float>(best_d) * at(r, best_c) >= owe) active[static_cast<std::size_t>(r)] = 1, in_rows.push_back(r);
      dir[static_cast<std::size_t>(best_c)] = best_d;
      // Columns that every chosen row can take and that bring an owed weight.
      for (int c = 0; c < cols; ++c) {
        if (c == best_c) continue;
        for (int d : {1, -1}) {
          bool fits = true, brings = false;
          for (int r : in_rows) {
            const float v = static_cast<float>(d) * at(r, c);
            if (done(r, c) || v < join) { fits = false; break; }
            brings |= v >= owe;
          }
          if (fits && brings) { dir[static_cast<std::size_t>(c)] = d; break; }
        }
      }
      // Rows that fit every chosen column and bring an owed weight.
      for (int r : candidate_rows) {
        if (active[static_cast<std::size_t>(r)]) continue;
        bool fits = true, brings = false;
        for (int c = 0; c < cols && fits; ++c) {
          const int d = dir[static_cast<std::size_t>(c)];
          if (d == 0) continue;
          const float v = static_cast<float>(d) * at(r, c);
          if (done(r, c) || v < join) fits = false;
          brings |= v >= owe;
        }
        if (fits && brings) active[static_cast<std::size_t>(r)] = 1, in_rows.push_back(r);
      }
      for (int r : in_rows)
        for (int c = 0; c < cols; ++c) {
          const int d = dir[static_cast<std::size_t>(c)];
          if (d == 0) continue;
          at(r, c) -= static_cast<float>(d);  // exact: integers and |χ| < 2^24
          done(r, c) = 1;
        }
      write(active, dir);
      ++writes;
    }
    if (!any_this_round) break;  // nobody owes more
  }
  return writes;
}

mlp_data mlp_data_from_mnist(const mnist_set& set, const mnist_split& split, bool pool) {
  mlp_data d;
  const int r = pool ? set.rows / 2 : set.rows, c = pool ? set.cols / 2 : set.cols;
  d.dim = r * c;
  d.x.resize(static_cast<std::size_t>(set.count) * static_cast<std::size_t>(d.dim));
  const std::size_t img = static_cast<std::size_t>(set.rows) * static_cast<std::size_t>(set.cols);
  for (int n = 0; n < set.count; ++n) {
    const std::uint8_t* p = set.images.data() + static_cast<std::size_t>(n) * img;
    float* out = d.x.data() + static_cast<std::size_t>(n) * static_cast<std::size_t>(d.dim);
    for (int y = 0; y < r; ++y)
      for (int x = 0; x < c; ++x) {
        if (!pool) {
          out[y * c + x] = static_cast<float>(p[y * set.cols + x]) / 255.0f;
          continue;
        }
        const int s = p[(2 * y) * set.cols + 2 * x] + p[(2 * y) * set.cols + 2 * x + 1] +
                      p[(2 * y + 1) * set.cols + 2 * x] + p[(2 * y + 1) * set.cols + 2 * x + 1];
        out[y * c + x] = static_cast<float>(s) / (4.0f * 255.0f);
      }
  }
  d.labels.assign(set.labels.begin(), set.labels.end());
  d.train = split.train;
  d.test = split.test;
  return d;
}

mlp_data mlp_data_from_digits(const std::vector<digit>& data, const digit_split& split) {
  mlp_data d;
  d.dim = 64;
  for (const digit& g : data) {
    for (std::uint8_t p : g.pixels) d.x.push_back(static_cast<float>(p) / 16.0f);
    d.labels.push_back(g.label);
  }
  d.train = split.train;
  d.test = split.test;
  return d;
}

namespace {

double sigmoid(double a) { return 1.0 / (1.0 + std::exp(-a)); }

// The activations of one sample through a network whose layer l maps
// sizes[l] (+ bias) to sizes[l + 1]: act[l] holds the layer's input with the
// bias 1 appended; the last holds the softmax.
struct pass {
  std::vector<std::vector<double>> act;
};

void softmax(std::vector<double>& a) {
  const double m = *std::max_element(a.begin(), a.end());
  double s = 0;
  for (double& v : a) s += v = std::exp(v - m);
  for (double& v : a) v /= s;
}

int argmax(const std::vector<double>& a) { return static_cast<int>(std::max_element(a.begin(), a.end()) - a.begin()); }

class network {
 public:
  network(const std::vector<int>& sizes, const mlp_params& mp) : sizes_(sizes), mp_(mp) {}
  virtual ~network() = default;
  int layers() const { return static_cast<int>(sizes_.size()) - 1; }
  double gain(int l) const { return l == layers() - 1 ? mp_.output_gain : mp_.hidden_gain; }
  // η acts on the effective weights gain · w: a step of −η ∂L/∂(gain · w) is
  // −η / gain² · ∂L/∂w in weight units (ε), so both layers learn at the same
  // effective rate whatever their gains.
  double rate(int l) const { return mp_.learning_rate * rate_scale_ / (gain(l) * gain(l)); }
  // The epoch's learning-rate factor, learning_rate_decay^(epoch − 1).
  void set_epoch(int epoch) { rate_scale_ = std::pow(mp_.learning_rate_decay, epoch - 1); }
  // z[batch × out] in weight units for inputs x[batch × (in + 1)].
  virtual void sums(int l, const double* x, int batch, double* z) = 0;
  // Row-major (in + 1) × out weights of layer l, weight units.
  virtual std::vector<double> weights(int l) = 0;

  // Forward of `batch` inputs (dim each, no bias); a.act as for one sample
  // when batch = 1, else act[l] is batch × (size + 1).
  void forward(const float* x, int batch, pass& p) {
    p.act.resize(static_cast<std::size_t>(layers() + 1));
    const int in0 = sizes_[0];
    auto& a0 = p.act[0];
    a0.assign(static_cast<std::size_t>(batch) * static_cast<std::size_t>(in0 + 1), 1.0);
    for (int b = 0; b < batch; ++b)
      for (int i = 0; i < in0; ++i)
        a0[static_cast<std::size_t>(b) * static_cast<std::size_t>(in0 + 1) + static_cast<std::size_t>(i)] =
            x[static_cast<std::size_t>(b) * static_cast<std::size_t>(in0) + static_cast<std::size_t>(i)];
    for (int l = 0; l < layers(); ++l) {
      const int out = sizes_[static_cast<std::size_t>(l + 1)];
      const bool last = l == layers() - 1;
      std::vector<double> z(static_cast<std::size_t>(batch) * static_cast<std::size_t>(out));
      sums(l, p.act[static_cast<std::size_t>(l)].data(), batch, z.data());
      const int width = last ? out : out + 1;
      auto& next = p.act[static_cast<std::size_t>(l + 1)];
      next.assign(static_cast<std::size_t>(batch) * static_cast<std::size_t>(width), 1.0);
      for (int b = 0; b < batch; ++b) {
        double* row = next.data() + static_cast<std::size_t>(b) * static_cast<std::size_t>(width);
        for (int j = 0; j < out; ++j) {
          const double a = gain(l) * z[static_cast<std::size_t>(b) * static_cast<std::size_t>(out) + static_cast<std::size_t>(j)];
          row[j] = last ? a : sigmoid(a);
        }
        if (last) {
          std::vector<double> s(row, row + out);
          softmax(s);
          std::copy(s.begin(), s.end(), row);
        }
      }
    }
  }

  // e[l][j] = ∂L/∂z_l[j] (cross-entropy, one sample after forward).
  std::vector<std::vector<double>> errors(const pass& p, int label) {
    std::vector<std::vector<double>> e(static_cast<std::size_t>(layers()));
    const int L = layers() - 1;
    const auto& y = p.act.back();
    e[static_cast<std::size_t>(L)].resize(y.size());
    for (std::size_t k = 0; k < y.size(); ++k)
      e[static_cast<std::size_t>(L)][k] = gain(L) * (y[k] - (static_cast<int>(k) == label ? 1.0 : 0.0));
    for (int l = L; l > 0; --l) {
      const std::vector<double> w = weights(l);
      const int in = sizes_[static_cast<std::size_t>(l)], out = sizes_[static_cast<std::size_t>(l + 1)];
      const auto& h = p.act[static_cast<std::size_t>(l)];
      auto& el = e[static_cast<std::size_t>(l - 1)];
      el.assign(static_cast<std::size_t>(in), 0.0);
      for (int i = 0; i < in; ++i) {
        double s = 0;
        for (int j = 0; j < out; ++j)
          s += w[static_cast<std::size_t>(i) * static_cast<std::size_t>(out) + static_cast<std::size_t>(j)] *
               e[static_cast<std::size_t>(l)][static_cast<std::size_t>(j)];
        const double hi = h[static_cast<std::size_t>(i)];
        el[static_cast<std::size_t>(i)] = gain(l - 1) * hi * (1 - hi) * s;
      }
    }
    return e;
  }

 protected:
  std::vector<int> sizes_;
  mlp_params mp_;
  double rate_scale_ = 1;
};

class float_network final : public network {
 public:
  float_network(const std::vector<int>& sizes, const mlp_params& mp, std::vector<std::vector<double>> w)
      : network(sizes, mp), w_(std::move(w)) {}
  void sums(int l, const double* x, int batch, double* z) override {
    const int in = sizes_[static_cast<std::size_t>(l)] + 1, out = sizes_[static_cast<std::size_t>(l + 1)];
    const auto& w = w_[static_cast<std::size_t>(l)];
    for (int b = 0; b < batch; ++b) {
      double* zb = z + static_cast<std::size_t>(b) * static_cast<std::size_t>(out);
      std::fill(zb, zb + out, 0.0);
      const double* xb = x + static_cast<std::size_t>(b) * static_cast<std::size_t>(in);
      for (int i = 0; i < in; ++i) {
        if (xb[i] == 0) continue;
        const double* wr = w.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(out);
        for (int j = 0; j < out; ++j) zb[j] += xb[i] * wr[j];
      }
    }
  }
  std::vector<double> weights(int l) override { return w_[static_cast<std::size_t>(l)]; }
  void sgd(const pass& p, const std::vector<std::vector<double>>& e) {
    for (int l = 0; l < layers(); ++l) {
      const int in = sizes_[static_cast<std::size_t>(l)] + 1, out = sizes_[static_cast<std::size_t>(l + 1)];
      const auto& x = p.act[static_cast<std::size_t>(l)];
      auto& w = w_[static_cast<std::size_t>(l)];
      for (int i = 0; i < in; ++i) {
        if (x[static_cast<std::size_t>(i)] == 0) continue;
        for (int j = 0; j < out; ++j)
          w[static_cast<std::size_t>(i) * static_cast<std::size_t>(out) + static_cast<std::size_t>(j)] -=
              rate(l) * x[static_cast<std::size_t>(i)] * e[static_cast<std::size_t>(l)][static_cast<std::size_t>(j)];
      }
    }
  }

 private:
  std::vector<std::vector<double>> w_;
};

class crossbar_network final : public network {
 public:
  crossbar_network(const std::vector<int>& sizes, const mlp_params& mp, const model::table& table,
                   const crossbar_params& xp, double eps_s)
      : network(sizes, mp), unit_a_(xp.v_read_v * eps_s), eps_s_(eps_s) {
    for (int l = 0; l < layers(); ++l) {
      crossbar_params p = xp;
      // Layer l's devices get their own seed stream (layer index folded into
      // the run seed), so two layers of equal shape are not twins.
      p.seed = stream_seed(xp.seed, draw_stream::devices, static_cast<std::uint64_t>(l + 1));
      // The ADC spans what the digital side uses: ±adc_span on the
      // sigmoid's or softmax's argument gain · z, i.e. ±adc_span / gain in ε
      // of weight sum (the default full scale, tile_rows · v_read · G_span /
      // 4, is hundreds of ε: an 8-bit ADC would then resolve ~2 ε).
      if (p.adc_full_scale_a == 0) p.adc_full_scale_a = mp.adc_span / gain(l) * xp.v_read_v * eps_s;
      layers_.emplace_back(std::make_unique<tiled_layer>(table, sizes[static_cast<std::size_t>(l)] + 1,
                                                         sizes[static_cast<std::size_t>(l + 1)], mp.tile_rows,
                                                         mp.tile_cols, p));
      if (mp.rule == mlp_rule::mixed_precision)
        chi_.emplace_back(static_cast<std::size_t>(sizes[static_cast<std::size_t>(l)] + 1) *
                              static_cast<std::size_t>(sizes[static_cast<std::size_t>(l + 1)]),
                          0.0f);
    }
  }
  void sums(int l, const double* x, int batch, double* z) override {
    const tiled_layer& t = *layers_[static_cast<std::size_t>(l)];
    t.forward(x, batch, z);
    const std::size_t n = static_cast<std::size_t>(batch) * static_cast<std::size_t>(t.cols());
    for (std::size_t k = 0; k < n; ++k) z[k] /= unit_a_;
  }
  std::vector<double> weights(int l) override {
    std::vector<double> w = layers_[static_cast<std::size_t>(l)]->weights();
    for (double& v : w) v /= eps_s_;
    return w;
  }
  tiled_layer& layer(int l) { return *layers_[static_cast<std::size_t>(l)]; }
  void set_threads(int threads) {
    for (auto& l : layers_) l->set_threads(threads);
  }

  // One sample's update by the rule; the counters of `rec` grow.
  void update(const pass& p, const std::vector<std::vector<double>>& e, std::uint64_t& rng, mlp_epoch& rec) {
    std::vector<long long> steps(static_cast<std::size_t>(layers()), 0);
    for (int l = 0; l < layers(); ++l) {
      tiled_layer& t = layer(l);
      const auto& x = p.act[static_cast<std::size_t>(l)];
      const auto& el = e[static_cast<std::size_t>(l)];
      const double g = gain(l);
      switch (mp_.rule) {
        case mlp_rule::manhattan: {
          std::vector<int> active(static_cast<std::size_t>(t.rows()), 0), dir(static_cast<std::size_t>(t.cols()), 0);
          int rows = 0, cols = 0;
          for (int i = 0; i < t.rows(); ++i) rows += active[static_cast<std::size_t>(i)] = x[static_cast<std::size_t>(i)] >= mp_.active_input;
          // The threshold is on ∂L/∂a (the gain undone), the same scale for every layer.
          for (int j = 0; j < t.cols(); ++j) {
            const double d = el[static_cast<std::size_t>(j)] / g;
            dir[static_cast<std::size_t>(j)] = d > mp_.error_threshold ? -1 : (d < -mp_.error_threshold ? 1 : 0);
            cols += dir[static_cast<std::size_t>(j)] != 0;
          }
          write_or_relax(t, active, dir, rows, cols, rec);
          break;
        }
        case mlp_rule::pulse_train: {
          std::vector<int> active(static_cast<std::size_t>(t.rows())), dir(static_cast<std::size_t>(t.cols()));
          for (int s = 0; s < mp_.pulse_train_length; ++s) {
            int rows = 0, cols = 0;
            for (int i = 0; i < t.rows(); ++i)
              rows += active[static_cast<std::size_t>(i)] = uniform01(rng) < x[static_cast<std::size_t>(i)];
            for (int j = 0; j < t.cols(); ++j) {
              const double d = el[static_cast<std::size_t>(j)] / g;
              const bool fire = uniform01(rng) < std::min(1.0, mp_.pulse_train_gain * std::fabs(d));
              dir[static_cast<std::size_t>(j)] = fire ? (d > 0 ? -1 : 1) : 0;
              cols += fire;
            }
            write_or_relax(t, active, dir, rows, cols, rec);
          }
          break;
        }
        case mlp_rule::mixed_precision:
          steps[static_cast<std::size_t>(l)] = transfer(l, x, el, rec);
          break;
      }
    }
    // The layers are separate arrays with their own drivers and are
    // programmed at the same time: the sample takes as long as the busiest
    // layer, and the others relax for the rest of it. (Manhattan and pulse
    // trains give every layer the same steps already and leave `steps` 0.)
    const long long longest = *std::max_element(steps.begin(), steps.end());
    for (int l = 0; l < layers(); ++l)
      if (longest > steps[static_cast<std::size_t>(l)])
        layer(l).relax(static_cast<int>(longest - steps[static_cast<std::size_t>(l)]));
  }

 private:
  // One write of rows × cols (write_outer: two model steps, one with 1T1R
  // cells), or, with nothing to write, the same steps at rest: every sample
  // takes the same device time whatever the rule decided.
  void write_or_relax(tiled_layer& t, const std::vector<int>& active, const std::vector<int>& dir, int rows, int cols,
                      mlp_epoch& rec) {
    if (rows == 0 || cols == 0) {
      t.relax(t.write_steps());
    } else {
      rec.energy_j += t.write_outer(active, dir, mp_.v_write_v);
      rec.cell_pulses += static_cast<long long>(rows) * cols;
    }
    rec.write_steps += t.write_steps();
  }

  // Accumulate −η ∂L/∂w into χ, then program the weights owed pulses
  // (plan_transfer, tile by tile).
  // Returns the model steps the layer's programming took.
  long long transfer(int l, const std::vector<double>& x, const std::vector<double>& el, mlp_epoch& rec) {
    tiled_layer& t = layer(l);
    auto& chi = chi_[static_cast<std::size_t>(l)];
    const int rows = t.rows(), cols = t.cols();
    bool any = false;
    for (int i = 0; i < rows; ++i) {
      const double xi = x[static_cast<std::size_t>(i)];
      if (xi == 0) continue;
      float* ci = chi.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(cols);
      for (int j = 0; j < cols; ++j) {
        ci[j] += static_cast<float>(-rate(l) * xi * el[static_cast<std::size_t>(j)]);
        any |= std::fabs(ci[j]) >= 1.0f;
      }
    }
    // Nothing owed: no write, and a read is far shorter than a model step
    // (crossbar_array.hpp), so no device time passes for this layer.
    if (!any) return 0;
    // Plan every tile (cheap, digital), then program the tiles in parallel.
    std::vector<std::vector<tile_write>> writes(static_cast<std::size_t>(t.tiles_down()) *
                                                static_cast<std::size_t>(t.tiles_across()));
    std::vector<int> candidates;
    for (int ti = 0; ti < t.tiles_down(); ++ti) {
      const int r0 = ti * t.tile_rows();
      const crossbar_array& first = t.tile(ti, 0);
      candidates.clear();
      for (int r = 0; r < first.rows(); ++r)
        if (x[static_cast<std::size_t>(r0 + r)] != 0) candidates.push_back(r);
      if (candidates.empty()) continue;
      for (int tj = 0; tj < t.tiles_across(); ++tj) {
        const crossbar_array& tile = t.tile(ti, tj);
        const int c0 = tj * t.tile_cols();
        float* corner = chi.data() + static_cast<std::size_t>(r0) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c0);
        auto& list = writes[static_cast<std::size_t>(ti * t.tiles_across() + tj)];
        plan_transfer(corner, cols, tile.rows(), tile.cols(), candidates, mp_.max_pulses, mp_.transfer_threshold,
                      [&](const std::vector<int>& active, const std::vector<int>& dir) {
                        long long n_rows = 0, n_cols = 0;
                        for (int a : active) n_rows += a;
                        for (int d : dir) n_cols += d != 0;
                        rec.cell_pulses += n_rows * n_cols;
                        list.push_back(tile_write{active, dir});
                      });
      }
    }
    // The layer takes as long as its busiest tile; the others relax for the
    // rest of that time (program_tiles).
    int most = 0;
    for (double e : t.program_tiles(writes, mp_.v_write_v, most)) rec.energy_j += e;
    const long long steps = static_cast<long long>(t.write_steps()) * most;
    rec.write_steps += steps;
    return steps;
  }

  std::vector<std::unique_ptr<tiled_layer>> layers_;
  std::vector<std::vector<float>> chi_;
  double unit_a_, eps_s_;
};

// Test accuracy of a network over data.test, in batches of the layer's forward.
double test_accuracy(network& net, const mlp_data& d, int (*confusion)[10], training_stop stop) {
  constexpr int batch = 250;
  int right = 0;
  std::vector<float> xs;
  pass p;
  for (std::size_t s = 0; s < d.test.size(); s += batch) {
    stop.check();
    const int b = static_cast<int>(std::min<std::size_t>(batch, d.test.size() - s));
    xs.resize(static_cast<std::size_t>(b) * static_cast<std::size_t>(d.dim));
    for (int k = 0; k < b; ++k)
      std::copy_n(d.x.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(d.test[s + static_cast<std::size_t>(k)]) * static_cast<std::size_t>(d.dim)),
                  d.dim, xs.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(k) * static_cast<std::size_t>(d.dim)));
    net.forward(xs.data(), b, p);
    const auto& y = p.act.back();
    for (int k = 0; k < b; ++k) {
      const auto first = y.begin() + static_cast<std::ptrdiff_t>(k * 10);
      const int pred = static_cast<int>(std::max_element(first, first + 10) - first);
      const int label = d.labels[static_cast<std::size_t>(d.test[s + static_cast<std::size_t>(k)])];
      right += pred == label;
      if (confusion) ++confusion[label][pred];
    }
  }
  return static_cast<double>(right) / static_cast<double>(d.test.size());
}

}  // namespace

mlp_report train_mlp(const mlp_data& data, const model::table& table, crossbar_params xp, const mlp_params& mp,
                     const std::function<void(int)>& progress, training_stop stop) {
  if (data.dim <= 0 || data.train.empty() || data.test.empty())
    throw std::invalid_argument("train_mlp: empty data set");
  if (mp.epochs < 1 || mp.tile_rows < 1 || mp.tile_cols < 1 || !(mp.learning_rate > 0) || mp.max_pulses < 1 ||
      mp.max_pulses > 127 || mp.epsilon_s < 0 || !(mp.v_write_v > 0) || mp.pulse_train_length < 1 ||
      !(mp.transfer_threshold >= 0.5 && mp.transfer_threshold <= 1) ||
      !(mp.learning_rate_decay > 0 && mp.learning_rate_decay <= 1))
    throw std::invalid_argument("train_mlp: epochs, tile sizes, learning_rate, v_write_v, pulse_train_length > 0, "
                                "max_pulses in [1, 127], epsilon_s >= 0, transfer_threshold in [0.5, 1], "
                                "learning_rate_decay in (0, 1]");
  for (int h : mp.hidden)
    if (h < 1) throw std::invalid_argument("train_mlp: hidden sizes must be >= 1");
  mlp_report rep;
  rep.sizes.push_back(data.dim);
  for (int h : mp.hidden) rep.sizes.push_back(h);
  rep.sizes.push_back(10);
  // One write pulse at rest, from the table (float64 reference), as the
  // single-layer learner measures it: the mean of the up and down step.
  const model::reference_table ref(table.view());
  const double s0 = xp.initial_state;
  const auto g_of = [&](double s) { return ref.g_at(std::clamp(s, 0.0, 1.0)) * model::cond_unit_siemens; };
  const double up = g_of(s0 + ref.drift_at(s0, mp.v_write_v)) - g_of(s0);
  const double down = g_of(s0) - g_of(s0 + ref.drift_at(s0, -mp.v_write_v));
  rep.pulse_step_s = 0.5 * (std::fabs(up) + std::fabs(down));
  if (!(rep.pulse_step_s > 0))
    throw std::invalid_argument("train_mlp: a write pulse of " + std::to_string(mp.v_write_v) +
                                " V does not change the device's conductance at rest (table)");
  // A write moves G+ and G− one step each, in opposite directions.
  rep.epsilon_s = mp.epsilon_s > 0 ? mp.epsilon_s : 2 * rep.pulse_step_s;

  crossbar_network dev(rep.sizes, mp, table, xp, rep.epsilon_s);
  std::vector<std::vector<double>> w0;
  for (int l = 0; l < dev.layers(); ++l) {
    w0.push_back(dev.weights(l));
    rep.weights += static_cast<long long>(w0.back().size());
    const auto g = dev.layer(l).conductances();
    rep.g_before_s.insert(rep.g_before_s.end(), g.begin(), g.end());
  }
  rep.devices = 2 * rep.weights;
  rep.accumulator_bits = mp.rule == mlp_rule::mixed_precision ? 32 : 0;
  rep.rule = mp.rule == mlp_rule::manhattan ? "manhattan" : mp.rule == mlp_rule::pulse_train ? "pulse_train" : "mixed_precision";
  std::unique_ptr<float_network> twin;
  if (mp.float_baseline) {
    twin = std::make_unique<float_network>(rep.sizes, mp, w0);
    for (const auto& w : w0)
      rep.float_twin_symmetric |= std::all_of(w.begin(), w.end(), [&](double x) { return x == w.front(); });
  }

  std::vector<int> train = data.train;
  if (mp.train_limit > 0 && mp.train_limit < static_cast<int>(train.size())) train.resize(static_cast<std::size_t>(mp.train_limit));
  pass p, q;
  // A sample's tile loops meet at a barrier several times; with another busy
  // process on the machine one thread is often descheduled while the other
  // waits, and two threads ran 4 times slower than one (docs/performance.md,
  // "Shared machines"). The bits do not depend on the thread count, so the
  // governor picks it per sample by measuring, as the KMC's sync solver does.
  kmc::thread_governor governor(omp_get_max_threads(), !mp.adaptive_threads);
  for (int epoch = 1; epoch <= mp.epochs; ++epoch) {
    mlp_epoch rec;
    rec.epoch = epoch;
    dev.set_epoch(epoch);
    if (twin) twin->set_epoch(epoch);
    const auto order = permutation(static_cast<int>(train.size()),
                                   stream_seed(mp.seed, draw_stream::train_order, static_cast<std::uint64_t>(epoch)));
    std::uint64_t rng = stream_seed(mp.seed, draw_stream::pulse_train, static_cast<std::uint64_t>(epoch));
    int right = 0;
    const auto activities = [&dev] {
      std::vector<array_activity> a;
      for (int l = 0; l < dev.layers(); ++l) a.push_back(dev.layer(l).activity());
      return a;
    };
    const auto before = activities();
    const long long steps_before = dev.layer(0).tile(0, 0).steps();
    const auto t0 = std::chrono::steady_clock::now();
    long long team_sum = 0;
    for (int k : order) {
      stop.check();
      const auto sample_start = std::chrono::steady_clock::now();
      const int team = governor.threads();
      dev.set_threads(team);
      team_sum += team;
      const int s = train[static_cast<std::size_t>(k)];
      const float* x = data.x.data() + static_cast<std::size_t>(s) * static_cast<std::size_t>(data.dim);
      const int label = data.labels[static_cast<std::size_t>(s)];
      dev.forward(x, 1, p);
      right += argmax(p.act.back()) == label;
      dev.update(p, dev.errors(p, label), rng, rec);
      governor.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - sample_start).count());
    }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rec.train_model_steps = dev.layer(0).tile(0, 0).steps() - steps_before;
    rec.threads_mean = static_cast<double>(team_sum) / static_cast<double>(order.size());
    dev.set_threads(governor.threads());
    if (twin)
      for (int k : order) {
        const int s = train[static_cast<std::size_t>(k)];
        twin->forward(data.x.data() + static_cast<std::size_t>(s) * static_cast<std::size_t>(data.dim), 1, q);
        twin->sgd(q, twin->errors(q, data.labels[static_cast<std::size_t>(s)]));
      }
    rec.train_accuracy = static_cast<double>(right) / static_cast<double>(train.size());
    if (epoch == mp.epochs) std::fill(&rep.confusion[0][0], &rep.confusion[0][0] + 100, 0);
    const auto trained = activities();
    rec.test_accuracy = test_accuracy(dev, data, epoch == mp.epochs ? rep.confusion : nullptr, stop);
    const auto tested = activities();
    for (std::size_t l = 0; l < before.size(); ++l) {
      rec.train_activity.push_back(activity_since(trained[l], before[l]));
      rec.test_activity.push_back(activity_since(tested[l], trained[l]));
    }
    rec.float_test_accuracy = twin ? test_accuracy(*twin, data, nullptr, stop) : std::numeric_limits<double>::quiet_NaN();
    rep.epochs.push_back(rec);
    if (progress) progress(epoch);
  }
  for (int l = 0; l < dev.layers(); ++l) {
    const auto g = dev.layer(l).conductances();
    rep.g_after_s.insert(rep.g_after_s.end(), g.begin(), g.end());
  }
  return rep;
}

}  // namespace ionrail::circuits
