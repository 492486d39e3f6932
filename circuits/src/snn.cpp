#include <ionrail/circuits/snn.hpp>

#include "batch_steps.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include <ionrail/circuits/crossbar_array.hpp>
#include <ionrail/circuits/streams.hpp>
#include <ionrail/model/batch.hpp>
#include <ionrail/model/lif.hpp>
#include <ionrail/model/rng.hpp>
#include <ionrail/model/step.hpp>

namespace ionrail::circuits {
namespace {

constexpr int inputs = 64;


std::vector<double> conductances_s(const model::table& t, const model::device_batch& b) {
  return device_conductances_s(t.view(), b);
}

class network {
 public:
  network(const model::table& t, const snn_params& p)
      : t_(t), p_(p), n_(p.neurons), rng_(stream_seed(p.seed, draw_stream::input_spikes, 0)),
        lif_(model::make_lif_params(p.leak, 0.0, 0.0, p.threshold, p.refractory_steps, 7)),
        theta_(static_cast<std::size_t>(n_), 0.0), state_(static_cast<std::size_t>(n_)),
        pre_tau_(inputs, 1 << 20), post_tau_(static_cast<std::size_t>(n_), 1 << 20),
        volts_(static_cast<std::size_t>(inputs) * static_cast<std::size_t>(n_), 0) {
    std::uint64_t s = stream_seed(p.seed, draw_stream::synapse_init, 0);
    // Seeded as model::make_batch seeds an ensemble, from the devices' stream.
    const std::uint64_t devices_base = stream_seed(p.seed, draw_stream::devices, 0);
    for (int k = 0; k < inputs * n_; ++k) {
      const double s0 = std::clamp(p.initial_state + p.init_spread * (2 * uniform01(s) - 1), 0.0, 1.0);
      devices_.push_back(model::make_device(model::device_seed(devices_base, static_cast<std::uint64_t>(k)),
                                            model::variation_params::none(), model::q_state::from_double(s0), p.noise));
    }
    for (auto& n : state_) n = model::lif_init(lif_);
  }

  // Shows one digit; returns the spike count of every neuron. With learning
  // on, the synapses are stepped with the spike waveforms and thresholds adapt.
  std::vector<int> present(const digit& d, bool learn, long long& spikes) {
    std::vector<int> count(static_cast<std::size_t>(n_), 0);
    std::vector<double> g = conductances_s(t_, devices_);
    std::vector<char> fired(inputs);
    std::vector<double> current(static_cast<std::size_t>(n_));
    const int total = p_.present_steps + p_.rest_steps;
    const auto rates = input_rates(d, p_);
    for (int step = 0; step < total; ++step) {
      const bool showing = step < p_.present_steps;
      std::fill(current.begin(), current.end(), 0.0);
      for (int i = 0; i < inputs; ++i) {
        const double rate = showing ? rates[static_cast<std::size_t>(i)] : 0.0;
        fired[static_cast<std::size_t>(i)] = rate > 0 && uniform01(rng_) < rate;
        if (fired[static_cast<std::size_t>(i)]) {
          pre_tau_[static_cast<std::size_t>(i)] = 0;
          const double* row = g.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(n_);
          for (int j = 0; j < n_; ++j) current[static_cast<std::size_t>(j)] += row[j] * p_.v_read_v;
        } else {
          ++pre_tau_[static_cast<std::size_t>(i)];
        }
      }
      // LIF step of every neuron (adaptive threshold), then winner-take-all:
      // of the neurons that crossed, the one with the largest input fires and
      // the others are reset (lateral inhibition).
      int winner = -1;
      double best = -1;
      for (int j = 0; j < n_; ++j) {
        model::lif_params pj = lif_;
        pj.threshold = model::q_membrane::from_double(p_.threshold + theta_[static_cast<std::size_t>(j)]);
        const auto i_q = model::q_current::from_double(current[static_cast<std::size_t>(j)] / model::current_unit_ampere);
        if (!showing) state_[static_cast<std::size_t>(j)] = model::lif_init(lif_);
        if (model::lif_step(pj, state_[static_cast<std::size_t>(j)], i_q) && current[static_cast<std::size_t>(j)] > best)
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
      // Every synapse sees V_pre − V_post for this step.
      for (int i = 0; i < inputs; ++i) {
        const double vi = scale_ * p_.waveform.pre(pre_tau_[static_cast<std::size_t>(i)]);
        for (int j = 0; j < n_; ++j)
          volts_[static_cast<std::size_t>(i) * static_cast<std::size_t>(n_) + static_cast<std::size_t>(j)] =
              model::q_volt::from_double(vi - scale_ * p_.waveform.post(post_tau_[static_cast<std::size_t>(j)])).raw();
      }
      detail::step_devices(t_.view(), devices_, volts_.data());
      g = conductances_s(t_, devices_);
    }
    return count;
  }

  // Scales the programming waveforms' levels (the anneal schedule).
  void set_write_scale(double s) { scale_ = s; }

  std::vector<double> weights() const { return conductances_s(t_, devices_); }

 private:
  const model::table& t_;
  snn_params p_;
  int n_;
  std::uint64_t rng_;
  model::lif_params lif_;
  std::vector<double> theta_;
  std::vector<model::lif_state> state_;
  std::vector<int> pre_tau_, post_tau_;
  std::vector<std::int16_t> volts_;
  model::device_batch devices_;
  double scale_ = 1.0;
};

}  // namespace

std::array<double, 64> input_rates(const digit& d, const snn_params& p) {
  std::array<double, 64> rates{};
  double ink = 0;
  for (int i = 0; i < inputs; ++i) ink += d.pixels[static_cast<std::size_t>(i)];
  for (int i = 0; i < inputs; ++i) {
    const double pixel = d.pixels[static_cast<std::size_t>(i)];
    rates[static_cast<std::size_t>(i)] = p.input_spikes > 0 ? (ink > 0 ? std::min(1.0, p.input_spikes * pixel / ink) : 0.0)
                                                            : p.max_rate * pixel / 16.0;
  }
  return rates;
}

double write_scale(const snn_params& p, int epoch) { return std::pow(p.anneal, epoch - 1); }

namespace {

// Labels every neuron by the class it answers most (mean spikes per digit of
// the labelling set), then tests: a test digit gets the class whose labelled
// neurons spike most (mean per neuron). Fills neuron_label, confusion and
// test_accuracy of r.
void evaluate(network& net, const std::vector<digit>& data, const digit_split& split, const snn_params& p, snn_report& r) {
  std::vector<std::array<double, 10>> response(static_cast<std::size_t>(p.neurons), std::array<double, 10>{});
  std::array<int, 10> shown{};
  long long ignored = 0;
  const int label_n = p.label_limit > 0 ? std::min(p.label_limit, static_cast<int>(split.train.size()))
                                        : static_cast<int>(split.train.size());
  for (int k = 0; k < label_n; ++k) {
    const digit& d = data[static_cast<std::size_t>(split.train[static_cast<std::size_t>(k)])];
    const auto c = net.present(d, false, ignored);
    ++shown[static_cast<std::size_t>(d.label)];
    for (int j = 0; j < p.neurons; ++j) response[static_cast<std::size_t>(j)][static_cast<std::size_t>(d.label)] += c[static_cast<std::size_t>(j)];
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
  for (int i : split.test) {
    const digit& d = data[static_cast<std::size_t>(i)];
    const auto c = net.present(d, false, ignored);
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
    right += guess == d.label;
    if (guess >= 0) ++r.confusion[static_cast<std::size_t>(d.label)][static_cast<std::size_t>(guess)];
  }
  r.test_accuracy = static_cast<double>(right) / static_cast<double>(split.test.size());
}

}  // namespace

double train_snn_work(const snn_params& p, std::size_t train, std::size_t test) {
  const double devices = static_cast<double>(inputs) * p.neurons;
  const double n_train = p.train_limit > 0 ? std::min(static_cast<double>(p.train_limit), static_cast<double>(train))
                                           : static_cast<double>(train);
  const double n_label = p.label_limit > 0 ? std::min(static_cast<double>(p.label_limit), static_cast<double>(train))
                                           : static_cast<double>(train);
  // Each presentation: present + rest steps, every device read and updated;
  // after each epoch the network is labelled and tested.
  const double steps = static_cast<double>(p.present_steps) + p.rest_steps;
  return 2.0 * devices * steps * p.epochs * (n_train + n_label + static_cast<double>(test));
}

snn_report train_snn(const std::vector<digit>& data, const digit_split& split, const model::table& table,
                     double dt_m_s, const snn_params& p, const std::function<void(int, int)>& progress) {
  if (p.neurons < 1 || p.epochs < 1 || p.present_steps < 1 || p.rest_steps < 0 || !(p.max_rate > 0 && p.max_rate <= 1) ||
      !(p.input_spikes >= 0 && p.input_spikes <= inputs) || !(p.anneal > 0 && p.anneal <= 1))
    throw std::invalid_argument(
        "snn: neurons, epochs, present_steps >= 1, rest_steps >= 0, max_rate in (0, 1], input_spikes in [0, 64], "
        "anneal in (0, 1]");
  (void)dt_m_s;
  const auto t0 = std::chrono::steady_clock::now();
  network net(table, p);
  snn_report r;
  r.weights_before_s = net.weights();
  std::vector<int> train = split.train;
  if (p.train_limit > 0 && p.train_limit < static_cast<int>(train.size())) train.resize(static_cast<std::size_t>(p.train_limit));
  const int total = p.epochs * static_cast<int>(train.size());
  int done = 0;
  for (int e = 1; e <= p.epochs; ++e) {
    net.set_write_scale(write_scale(p, e));
    const auto order = permutation(static_cast<int>(train.size()),
                                   stream_seed(p.seed, draw_stream::train_order, static_cast<std::uint64_t>(e)));
    for (int k : order) {
      net.present(data[static_cast<std::size_t>(train[static_cast<std::size_t>(k)])], true, r.train_spikes);
      if (progress && ++done % 50 == 0) progress(done, total);
    }
    if (e < p.epochs) {
      // On a copy, so that the evaluation's draws and neuron states do not
      // change the training that follows.
      network copy = net;
      snn_report at_epoch;
      evaluate(copy, data, split, p, at_epoch);
      r.epoch_test_accuracy.push_back(at_epoch.test_accuracy);
    }
  }
  r.weights_after_s = net.weights();
  evaluate(net, data, split, p, r);
  r.epoch_test_accuracy.push_back(r.test_accuracy);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::vector<std::pair<int, double>> stdp_window(const model::table& table, const spike_waveform& w, double initial_state,
                                                int max_delta, int devices, bool noise, std::uint64_t seed) {
  std::vector<std::pair<int, double>> out;
  const int lead = w.pre_steps + 2;  // the earlier spike's waveform starts after this many quiet steps
  for (int delta = -max_delta; delta <= max_delta; ++delta) {
    // Index: the lag as a 64-bit two's complement word, so a lag's devices do
    // not depend on the window's width.
    const std::uint64_t lag = static_cast<std::uint64_t>(std::int64_t{delta});
    model::device_batch b = model::make_batch(static_cast<std::size_t>(devices),
                                              stream_seed(seed, draw_stream::stdp_window, lag),
                                              model::variation_params::none(), model::q_state::from_double(initial_state), noise);
    const std::vector<double> g0 = conductances_s(table, b);
    const int t_pre = lead + std::max(0, -delta), t_post = t_pre + delta;
    const int steps = std::max(t_pre, t_post) + w.pre_steps + 2;
    std::vector<std::int16_t> v(static_cast<std::size_t>(devices));
    for (int t = 0; t < steps; ++t) {
      const double volts = w.pre(t - t_pre) - w.post(t - t_post);
      std::fill(v.begin(), v.end(), model::q_volt::from_double(volts).raw());
      detail::step_devices(table.view(), b, v.data());
    }
    const std::vector<double> g1 = conductances_s(table, b);
    double mean = 0;
    for (int k = 0; k < devices; ++k) mean += (g1[static_cast<std::size_t>(k)] - g0[static_cast<std::size_t>(k)]) / devices;
    out.emplace_back(delta, mean);
  }
  return out;
}

}  // namespace ionrail::circuits
