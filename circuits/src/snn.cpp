#include <ionrail/circuits/snn.hpp>

#include "batch_steps.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <omp.h>

#include <ionrail/circuits/crossbar_array.hpp>
#include <ionrail/circuits/streams.hpp>
#include <ionrail/kmc/thread_governor.hpp>
#include <ionrail/model/batch.hpp>
#include <ionrail/model/lif.hpp>
#include <ionrail/model/rng.hpp>
#include <ionrail/model/step.hpp>

namespace ionrail::circuits {
namespace {

constexpr int digit_inputs = 64;
// input_spikes is at most this many spikes per step (config: [0, 64]).
constexpr double max_input_spikes = 64;
// distance_bias is at most this (config: [0, 10]).
constexpr double max_distance_bias = 10;

std::vector<double> conductances_s(const model::table& t, const model::device_batch& b) {
  return device_conductances_s(t.view(), b);
}

class network {
 public:
  network(const model::table& t, const snn_params& p, int inputs)
      : t_(t), p_(p), m_(inputs), n_(p.neurons), rng_(stream_seed(p.seed, draw_stream::input_spikes, 0)),
        lif_(model::make_lif_params(p.leak, 0.0, 0.0, p.threshold, p.refractory_steps, 7)),
        theta_(static_cast<std::size_t>(n_), 0.0), silent_(static_cast<std::size_t>(n_), 0),
        train_spikes_(static_cast<std::size_t>(n_), 0), recruit_images_(static_cast<std::size_t>(n_), 0), state_(static_cast<std::size_t>(n_)),
        pre_tau_(static_cast<std::size_t>(m_), 1 << 20), post_tau_(static_cast<std::size_t>(n_), 1 << 20),
        col_off_(static_cast<std::size_t>(n_), 0), col_on_(static_cast<std::size_t>(n_), 0),
        one_volt_(static_cast<std::size_t>(n_), static_cast<std::int16_t>(1 << model::q_volt::frac_bits)),
        row_raw_(static_cast<std::size_t>(n_)), governor_(omp_get_max_threads()) {
    std::uint64_t s = stream_seed(p.seed, draw_stream::synapse_init, 0);
    // Seeded as model::make_batch seeds an ensemble, from the devices' stream.
    const std::uint64_t devices_base = stream_seed(p.seed, draw_stream::devices, 0);
    devices_.reserve(static_cast<std::size_t>(m_) * static_cast<std::size_t>(n_));
    for (int k = 0; k < m_ * n_; ++k) {
      const double s0 = std::clamp(p.initial_state + p.init_spread * (2 * uniform01(s) - 1), 0.0, 1.0);
      devices_.push_back(model::make_device(model::device_seed(devices_base, static_cast<std::uint64_t>(k)),
                                            model::variation_params::none(), model::q_state::from_double(s0), p.noise));
    }
    for (auto& n : state_) n = model::lif_init(lif_);
  }

  // Shows one image; returns the spike count of every neuron. With learning
  // on, the synapses are stepped with the spike waveforms and thresholds adapt.
  std::vector<int> present(const std::uint8_t* pixels, double full, bool learn, long long& spikes) {
    std::vector<int> count(static_cast<std::size_t>(n_), 0);
    std::vector<double> current(static_cast<std::size_t>(n_));
    // Without learning no device moves, so one read of the whole array serves
    // every step (and every image until the next learning step); while
    // learning, only the rows of the inputs that spiked are read, each when it
    // spikes: a row's conductances are the same bits as the whole array's.
    // distance_bias's currents come from the same read: a fresh one before
    // every learning image, g_'s when the array is frozen.
    const bool biased = p_.distance_bias > 0;
    if (learn) {
      g_.clear();
      if (biased) bias_ = distance_bias_currents(conductances_s(t_, devices_), m_, n_, p_.distance_bias, p_.v_read_v);
    } else if (g_.empty()) {
      g_ = conductances_s(t_, devices_);
      if (biased) bias_ = distance_bias_currents(g_, m_, n_, p_.distance_bias, p_.v_read_v);
    }
    const int total = p_.present_steps + p_.rest_steps;
    const int recruit = learn ? recruit_for_image() : -1;
    if (recruit >= 0) ++recruit_images_[static_cast<std::size_t>(recruit)];
    const auto rates = input_rates(pixels, m_, full, p_);
    double spikes_per_step = 0;  // the image's expected input spikes per step
    for (double r : rates) spikes_per_step += r;
    for (int step = 0; step < total; ++step) {
      const bool showing = step < p_.present_steps;
      std::fill(current.begin(), current.end(), 0.0);
      for (int i = 0; i < m_; ++i) {
        const double rate = showing ? rates[static_cast<std::size_t>(i)] : 0.0;
        if (rate > 0 && uniform01(rng_) < rate) {
          pre_tau_[static_cast<std::size_t>(i)] = 0;
          add_row(i, learn, current);
        } else {
          ++pre_tau_[static_cast<std::size_t>(i)];
        }
      }
      // LIF step of every neuron (adaptive threshold), then winner-take-all:
      // of the neurons that crossed, the one with the largest input fires and
      // the others are reset (lateral inhibition).
      int winner = -1;
      double best = -std::numeric_limits<double>::infinity();
      if (showing && biased)
        for (int j = 0; j < n_; ++j) current[static_cast<std::size_t>(j)] -= spikes_per_step * bias_[static_cast<std::size_t>(j)];
      for (int j = 0; j < n_; ++j) {
        model::lif_params pj = lif_;
        pj.threshold = model::q_membrane::from_double(p_.threshold + theta_[static_cast<std::size_t>(j)]);
        const auto i_q = model::q_current::from_double(current[static_cast<std::size_t>(j)] / model::current_unit_ampere);
        if (!showing) state_[static_cast<std::size_t>(j)] = model::lif_init(lif_);
        // A recruit's image is its own: only it may fire, when it crosses
        // (refractory steps respected, so its column sees the depressing
        // half of the post waveform too).
        if (model::lif_step(pj, state_[static_cast<std::size_t>(j)], i_q) && (recruit < 0 || j == recruit) &&
            current[static_cast<std::size_t>(j)] > best)
          best = current[static_cast<std::size_t>(j)], winner = j;
      }
      if (winner >= 0) {
        for (int j = 0; j < n_; ++j)
          if (j != winner) state_[static_cast<std::size_t>(j)] = model::lif_init(lif_);
        ++count[static_cast<std::size_t>(winner)];
        ++spikes;
      }
      for (int j = 0; j < n_; ++j) {
        if (j == winner)
          post_tau_[static_cast<std::size_t>(j)] = 0;
        else
          ++post_tau_[static_cast<std::size_t>(j)];
      }
      if (!learn) continue;
      for (int j = 0; j < n_; ++j) {
        theta_[static_cast<std::size_t>(j)] = theta_[static_cast<std::size_t>(j)] * p_.theta_decay + (j == winner ? p_.theta_plus : 0.0);
      }
      step_synapses();
    }
    if (learn)
      for (int j = 0; j < n_; ++j) {
        // A recruit that did not fire in its image waits recruit_after images
        // again, so that a neuron that cannot cross its threshold cannot
        // take every image after it.
        auto& s = silent_[static_cast<std::size_t>(j)];
        s = count[static_cast<std::size_t>(j)] > 0 || j == recruit ? 0 : s + 1;
        train_spikes_[static_cast<std::size_t>(j)] += count[static_cast<std::size_t>(j)];
      }
    return count;
  }

  // The neuron silent longest if it has been silent for recruit_after
  // training images (ties: the lowest index), else -1.
  int recruit_for_image() const {
    if (p_.recruit_after <= 0) return -1;
    int best = -1;
    for (int j = 0; j < n_; ++j)
      if (silent_[static_cast<std::size_t>(j)] >= p_.recruit_after &&
          (best < 0 || silent_[static_cast<std::size_t>(j)] > silent_[static_cast<std::size_t>(best)]))
        best = j;
    return best;
  }

  // Scales the programming waveforms' levels (the anneal schedule).
  void set_write_scale(double s) { scale_ = s; }

  std::vector<double> weights() const { return conductances_s(t_, devices_); }
  const std::vector<long long>& train_spikes() const { return train_spikes_; }
  const std::vector<int>& recruit_images() const { return recruit_images_; }

 private:
  // current[j] += G_ij · v_read for input row i, in column order (the sum's
  // order, hence its bits, is that of a whole-array read).
  void add_row(int i, bool learn, std::vector<double>& current) {
    const std::size_t base = static_cast<std::size_t>(i) * static_cast<std::size_t>(n_);
    if (!learn) {
      const double* row = g_.data() + base;
      for (int j = 0; j < n_; ++j) current[static_cast<std::size_t>(j)] += row[j] * p_.v_read_v;
      return;
    }
    detail::read_devices_span(t_.view(), devices_, base, static_cast<std::size_t>(n_), one_volt_.data(), row_raw_.data());
    for (int j = 0; j < n_; ++j)
      current[static_cast<std::size_t>(j)] += raw_to_siemens(row_raw_[static_cast<std::size_t>(j)]) * p_.v_read_v;
  }

  // Every synapse sees V_pre − V_post for this step. A row's level is one of
  // two (its window open or not), so the device voltages of a row are one of
  // two column vectors; rows are stepped on OpenMP threads (disjoint devices,
  // each with its own noise stream: the bits do not depend on the threads).
  void step_synapses() {
    const double v_on = scale_ * p_.waveform.pre(0), v_off = scale_ * 0.0;
    for (int j = 0; j < n_; ++j) {
      const double post = scale_ * p_.waveform.post(post_tau_[static_cast<std::size_t>(j)]);
      col_on_[static_cast<std::size_t>(j)] = model::q_volt::from_double(v_on - post).raw();
      col_off_[static_cast<std::size_t>(j)] = model::q_volt::from_double(v_off - post).raw();
    }
    const model::table_view view = t_.view();
    const std::size_t n = static_cast<std::size_t>(n_);
    // Every step ends at the loop's barrier: with another busy process on the
    // machine a descheduled thread stalls the other, so the thread governor
    // picks the team per step by measuring (as the KMC's sync solver does).
    const bool parallel = static_cast<long long>(m_) * n_ >= 16384;
    const int team = parallel ? governor_.threads() : 1;
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel for schedule(static) num_threads(team) if (parallel)
    for (int i = 0; i < m_; ++i) {
      const bool open = p_.waveform.pre(pre_tau_[static_cast<std::size_t>(i)]) != 0.0;
      detail::step_devices_span(view, devices_, static_cast<std::size_t>(i) * n, n, open ? col_on_.data() : col_off_.data());
    }
    if (parallel) governor_.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  const model::table& t_;
  snn_params p_;
  int m_, n_;
  std::uint64_t rng_;
  model::lif_params lif_;
  std::vector<double> theta_;
  std::vector<int> silent_;  // training images since each neuron last fired
  std::vector<long long> train_spikes_;  // each neuron's spikes while learning
  std::vector<int> recruit_images_;  // per neuron, the training images it was given as a recruit
  std::vector<model::lif_state> state_;
  std::vector<int> pre_tau_, post_tau_;
  std::vector<std::int16_t> col_off_, col_on_, one_volt_;
  std::vector<std::int64_t> row_raw_;
  std::vector<double> bias_;  // distance_bias's input currents (A per input spike per step), per neuron
  std::vector<double> g_;  // whole-array conductances while no learning step has moved a device
  model::device_batch devices_;
  kmc::thread_governor governor_;
  double scale_ = 1.0;
};

}  // namespace

std::vector<double> distance_bias_currents(const std::vector<double>& g_s, int inputs, int neurons, double distance_bias,
                                           double v_read_v) {
  std::vector<double> sum(static_cast<std::size_t>(neurons), 0.0), squares(static_cast<std::size_t>(neurons), 0.0);
  for (int i = 0; i < inputs; ++i) {
    const double* row = g_s.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(neurons);
    for (int j = 0; j < neurons; ++j) {
      sum[static_cast<std::size_t>(j)] += row[j];
      squares[static_cast<std::size_t>(j)] += row[j] * row[j];
    }
  }
  double mean = 0;
  for (double v : sum) mean += v / neurons;
  std::vector<double> bias(static_cast<std::size_t>(neurons), 0.0);
  if (mean > 0)
    for (int j = 0; j < neurons; ++j)
      bias[static_cast<std::size_t>(j)] = distance_bias * v_read_v * squares[static_cast<std::size_t>(j)] / (2 * mean);
  return bias;
}

std::vector<double> input_rates(const std::uint8_t* pixels, int inputs, double full, const snn_params& p) {
  std::vector<double> rates(static_cast<std::size_t>(inputs));
  double ink = 0;
  for (int i = 0; i < inputs; ++i) ink += pixels[i];
  for (int i = 0; i < inputs; ++i) {
    const double pixel = pixels[i];
    rates[static_cast<std::size_t>(i)] = p.input_spikes > 0 ? (ink > 0 ? std::min(1.0, p.input_spikes * pixel / ink) : 0.0)
                                                            : p.max_rate * pixel / full;
  }
  return rates;
}

std::array<double, 64> input_rates(const digit& d, const snn_params& p) {
  const auto v = input_rates(d.pixels.data(), digit_inputs, 16.0, p);
  std::array<double, 64> rates{};
  std::copy(v.begin(), v.end(), rates.begin());
  return rates;
}

snn_data snn_data_from_digits(const std::vector<digit>& data, const digit_split& split) {
  snn_data d;
  d.rows = d.cols = 8;
  d.full = 16;
  d.pixels.reserve(data.size() * digit_inputs);
  for (const digit& g : data) {
    d.pixels.insert(d.pixels.end(), g.pixels.begin(), g.pixels.end());
    d.labels.push_back(g.label);
  }
  d.train = split.train;
  d.test = split.test;
  return d;
}

snn_data snn_data_from_mnist(const mnist_set& set, const mnist_split& split, int test_count) {
  snn_data d;
  d.rows = set.rows;
  d.cols = set.cols;
  d.full = 255;
  d.pixels = set.images;
  d.labels.assign(set.labels.begin(), set.labels.end());
  d.train = split.train;
  d.test = split.test;
  if (test_count > 0 && test_count < static_cast<int>(d.test.size())) d.test.resize(static_cast<std::size_t>(test_count));
  return d;
}

double write_scale(const snn_params& p, int epoch) { return std::pow(p.anneal, epoch - 1); }

namespace {

// Labels every neuron by the class it answers most (mean spikes per image of
// the labelling set), then tests: a test image gets the class whose labelled
// neurons spike most (mean per neuron). Fills neuron_label, confusion and
// test_accuracy of r.
void evaluate(network& net, const snn_data& data, const snn_params& p, snn_report& r, training_stop stop) {
  std::vector<std::array<double, 10>> response(static_cast<std::size_t>(p.neurons), std::array<double, 10>{});
  std::array<int, 10> shown{};
  long long ignored = 0;
  const int label_n = p.label_limit > 0 ? std::min(p.label_limit, static_cast<int>(data.train.size()))
                                        : static_cast<int>(data.train.size());
  for (int k = 0; k < label_n; ++k) {
    stop.check();
    const int index = data.train[static_cast<std::size_t>(k)];
    const int label = data.labels[static_cast<std::size_t>(index)];
    const auto c = net.present(data.image(index), data.full, false, ignored);
    ++shown[static_cast<std::size_t>(label)];
    for (int j = 0; j < p.neurons; ++j) response[static_cast<std::size_t>(j)][static_cast<std::size_t>(label)] += c[static_cast<std::size_t>(j)];
  }
  r.neuron_label.assign(static_cast<std::size_t>(p.neurons), -1);
  for (int j = 0; j < p.neurons; ++j) {
    double best = 0;
    for (int c = 0; c < 10; ++c) {
      const double m = shown[static_cast<std::size_t>(c)] ? response[static_cast<std::size_t>(j)][static_cast<std::size_t>(c)] / shown[static_cast<std::size_t>(c)] : 0.0;
      if (m > best) best = m, r.neuron_label[static_cast<std::size_t>(j)] = c;
    }
  }
  int right = 0;
  r.confusion = {};
  for (int i : data.test) {
    stop.check();
    const int label = data.labels[static_cast<std::size_t>(i)];
    const auto c = net.present(data.image(i), data.full, false, ignored);
    std::array<double, 10> votes{};
    std::array<int, 10> members{};
    for (int j = 0; j < p.neurons; ++j) {
      const int l = r.neuron_label[static_cast<std::size_t>(j)];
      if (l < 0) continue;
      votes[static_cast<std::size_t>(l)] += c[static_cast<std::size_t>(j)];
      ++members[static_cast<std::size_t>(l)];
    }
    int guess = -1;
    double best = 0;
    for (int k = 0; k < 10; ++k)
      if (members[static_cast<std::size_t>(k)] && votes[static_cast<std::size_t>(k)] / members[static_cast<std::size_t>(k)] > best)
        best = votes[static_cast<std::size_t>(k)] / members[static_cast<std::size_t>(k)], guess = k;
    right += guess == label;
    if (guess >= 0) ++r.confusion[static_cast<std::size_t>(label)][static_cast<std::size_t>(guess)];
  }
  r.test_accuracy = static_cast<double>(right) / static_cast<double>(data.test.size());
}

}  // namespace

double train_snn_work(const snn_params& p, std::size_t train, std::size_t test, int inputs) {
  const double devices = static_cast<double>(inputs) * p.neurons;
  const double n_train = p.train_limit > 0 ? std::min(static_cast<double>(p.train_limit), static_cast<double>(train))
                                           : static_cast<double>(train);
  const double n_label = p.label_limit > 0 ? std::min(static_cast<double>(p.label_limit), static_cast<double>(train))
                                           : static_cast<double>(train);
  // Each presentation: present + rest steps, every device read and updated;
  // after each epoch the network is labelled and tested.
  // distance_bias reads the whole array once more before each image.
  const double steps = static_cast<double>(p.present_steps) + p.rest_steps + (p.distance_bias > 0 ? 1.0 : 0.0);
  return 2.0 * devices * steps * p.epochs * (n_train + n_label + static_cast<double>(test));
}

snn_report train_snn(const std::vector<digit>& data, const digit_split& split, const model::table& table,
                     double dt_m_s, const snn_params& p, const std::function<void(int, int)>& progress,
                     training_stop stop) {
  return train_snn(snn_data_from_digits(data, split), table, dt_m_s, p, progress, stop);
}

snn_report train_snn(const snn_data& data, const model::table& table, double dt_m_s, const snn_params& p,
                     const std::function<void(int, int)>& progress, training_stop stop) {
  if (p.neurons < 1 || p.epochs < 1 || p.present_steps < 1 || p.rest_steps < 0 || !(p.max_rate > 0 && p.max_rate <= 1) ||
      !(p.input_spikes >= 0 && p.input_spikes <= max_input_spikes) || !(p.anneal > 0 && p.anneal <= 1) ||
      !(p.distance_bias >= 0 && p.distance_bias <= max_distance_bias) || p.recruit_after < 0)
    throw std::invalid_argument(
        "snn: neurons, epochs, present_steps >= 1, rest_steps >= 0, max_rate in (0, 1], input_spikes in [0, 64], "
        "anneal in (0, 1], distance_bias in [0, 10], recruit_after >= 0");
  if (data.rows < 1 || data.cols < 1 || !(data.full > 0) ||
      data.pixels.size() != data.labels.size() * static_cast<std::size_t>(data.inputs()) || data.train.empty() ||
      data.test.empty())
    throw std::invalid_argument("snn: the image set is empty or its pixels do not match its labels and shape");
  (void)dt_m_s;
  const auto t0 = std::chrono::steady_clock::now();
  network net(table, p, data.inputs());
  snn_report r;
  r.weights_before_s = net.weights();
  std::vector<int> train = data.train;
  if (p.train_limit > 0 && p.train_limit < static_cast<int>(train.size())) train.resize(static_cast<std::size_t>(p.train_limit));
  const int total = p.epochs * static_cast<int>(train.size());
  int done = 0;
  for (int e = 1; e <= p.epochs; ++e) {
    net.set_write_scale(write_scale(p, e));
    const auto order = permutation(static_cast<int>(train.size()),
                                   stream_seed(p.seed, draw_stream::train_order, static_cast<std::uint64_t>(e)));
    const auto e0 = std::chrono::steady_clock::now();
    for (int k : order) {
      stop.check();
      net.present(data.image(train[static_cast<std::size_t>(k)]), data.full, true, r.train_spikes);
      if (progress && ++done % 50 == 0) progress(done, total);
    }
    r.epoch_train_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count());
    if (e < p.epochs) {
      // On a copy, so that the evaluation's draws and neuron states do not
      // change the training that follows.
      network copy = net;
      snn_report at_epoch;
      evaluate(copy, data, p, at_epoch, stop);
      r.epoch_test_accuracy.push_back(at_epoch.test_accuracy);
    }
  }
  r.weights_after_s = net.weights();
  r.neuron_train_spikes = net.train_spikes();
  r.neuron_recruit_images = net.recruit_images();
  evaluate(net, data, p, r, stop);
  r.epoch_test_accuracy.push_back(r.test_accuracy);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

namespace {
// The mean conductance change of `devices` identical devices (no variation;
// `batch_index` names their draw stream) stepped through `steps` model steps
// at volts_at(t).
template <class Volts>
double mean_change_s(const model::table& table, double initial_state, int devices, bool noise, std::uint64_t seed,
                     std::uint64_t batch_index, int steps, Volts volts_at) {
  model::device_batch b = model::make_batch(static_cast<std::size_t>(devices),
                                            stream_seed(seed, draw_stream::stdp_window, batch_index),
                                            model::variation_params::none(), model::q_state::from_double(initial_state), noise);
  const std::vector<double> g0 = conductances_s(table, b);
  std::vector<std::int16_t> v(static_cast<std::size_t>(devices));
  for (int t = 0; t < steps; ++t) {
    std::fill(v.begin(), v.end(), model::q_volt::from_double(volts_at(t)).raw());
    detail::step_devices(table.view(), b, v.data());
  }
  const std::vector<double> g1 = conductances_s(table, b);
  double mean = 0;
  for (int k = 0; k < devices; ++k) mean += (g1[static_cast<std::size_t>(k)] - g0[static_cast<std::size_t>(k)]) / devices;
  return mean;
}
}  // namespace

std::vector<std::pair<int, double>> stdp_window(const model::table& table, const spike_waveform& w, double initial_state,
                                                int max_delta, int devices, bool noise, std::uint64_t seed) {
  std::vector<std::pair<int, double>> out;
  const int lead = w.pre_steps + 2;  // the earlier spike's waveform starts after this many quiet steps
  for (int delta = -max_delta; delta <= max_delta; ++delta) {
    // Index: the lag as a 64-bit two's complement word, so a lag's devices do
    // not depend on the window's width.
    const std::uint64_t lag = static_cast<std::uint64_t>(std::int64_t{delta});
    const int t_pre = lead + std::max(0, -delta), t_post = t_pre + delta;
    const int steps = std::max(t_pre, t_post) + w.pre_steps + 2;
    out.emplace_back(delta, mean_change_s(table, initial_state, devices, noise, seed, lag, steps,
                                          [&](int t) { return w.pre(t - t_pre) - w.post(t - t_post); }));
  }
  return out;
}

double lone_pre_change(const model::table& table, const spike_waveform& w, double initial_state, int devices, bool noise,
                       std::uint64_t seed) {
  // Index 2^63 (INT64_MIN as a lag): no window lag reaches it, so these
  // devices are not any lag's.
  return mean_change_s(table, initial_state, devices, noise, seed, std::uint64_t{1} << 63, w.pre_steps + 2,
                       [&](int t) { return w.pre(t); });
}

}  // namespace ionrail::circuits
