// Spike-timing-dependent change of one synapse by overlapping pulses: two
// ionrail::sc::pulse_generator modules shape a pre- and a post-synaptic
// spike into the same waveform (a short +4 V pulse and a −2 V tail that
// decays over 10 steps); the pre pulse drives the device's column line and
// the post pulse its row line, so the device (ionrail::sc::memristor, the
// calibrated polymer table, noise off, from its rest state) sees V = V_post
// − V_pre and steps every cycle (relaxing between pulses, as in a crossbar
// write with relax on). For each spike-time difference Δt = t_post − t_pre
// the program prints the change of the device state; the part that the two
// pulses do not produce apart ("overlap") is the timing-dependent one: the
// drift grows faster than linearly with |V|, so where the post peak meets
// the pre tail (Δt > 0) the device gains more than the two pulses give
// apart, and loses more for Δt < 0. A lif_neuron integrates the device
// current as a post-synaptic neuron would, and counts how often it fires.
//
// Usage: sc_stdp_pair [TABLE_DIR] | -h | --help
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>

#include <ionrail/model_io/table_files.hpp>
#include <ionrail/model/model.hpp>
#include <ionrail/sc/lif_neuron.hpp>
#include <ionrail/sc/memristor.hpp>
#include <ionrail/sc/pulse_generator.hpp>

#include "example_args.hpp"

namespace {

using namespace ionrail;

class synapse : public sc_core::sc_module {
 public:
  sc_core::sc_clock clk;
  sc_core::sc_signal<bool> rst{"rst"}, trig_pre{"trig_pre"}, trig_post{"trig_post"}, step_en{"step_en"},
      noise_en{"noise_en"}, spike{"spike"}, neuron_step{"neuron_step"};
  sc_core::sc_signal<sc::volt_t> v_col{"v_col"}, v_row{"v_row"}, v_dev{"v_dev"};
  sc_core::sc_signal<sc::state_t> state{"state"};
  sc_core::sc_signal<sc::fluct_t> fluct{"fluct"};
  sc_core::sc_signal<sc::rng_t> rng{"rng"};
  sc_core::sc_signal<sc::cond_t> g_eff{"g_eff"};
  sc_core::sc_signal<sc::current_t> current{"current"};
  sc_core::sc_signal<sc::membrane_t> v_mem{"v_mem"};
  sc_core::sc_signal<sc::refractory_t> refractory{"refractory"};
  sc::pulse_generator pre, post;
  sc::memristor dev;
  sc::lif_neuron neuron;

  synapse(sc_core::sc_module_name name, const model::table_view& t, double dt_m, const model::device& d0)
      : sc_core::sc_module(name), clk("clk", sc_core::sc_time(dt_m, sc_core::SC_SEC)),
        pre("pre", shape()), post("post", shape()), dev("dev", t, d0),
        // Leak 0.9 per step; 1 µA for one step lifts v by 2^-6; fires at 1.
        neuron("neuron", model::make_lif_params(0.9, 0.0, 0.0, 1.0, 2, 13)) {
    pre.clk(clk);
    pre.rst(rst);
    pre.trigger(trig_pre);
    pre.v(v_col);
    post.clk(clk);
    post.rst(rst);
    post.trigger(trig_post);
    post.v(v_row);
    dev.clk(clk);
    dev.rst(rst);
    dev.step_en(step_en);
    dev.noise_en(noise_en);
    dev.v(v_dev);
    dev.state(state);
    dev.fluct(fluct);
    dev.rng(rng);
    dev.g_eff(g_eff);
    dev.current(current);
    neuron.clk(clk);
    neuron.rst(rst);
    neuron.step_en(neuron_step);
    neuron.i_in(current);
    neuron.v(v_mem);
    neuron.refractory(refractory);
    neuron.spike(spike);
    SC_HAS_PROCESS(synapse);
    SC_METHOD(lines);
    sensitive << v_row << v_col;
  }

  static std::vector<model::q_volt> shape() {
    return sc::stdp_waveform(model::q_volt::from_double(4.0), 2, model::q_volt::from_double(-2.0), 10);
  }

 private:
  // The device between its row and column lines.
  void lines() {
    const std::int64_t v = v_row.read().to_int64() - v_col.read().to_int64();
    v_dev.write(sc::volt_t(v < -32768 ? -32768 : (v > 32767 ? 32767 : v)));
  }
};

struct pairing {
  int dt;  // t_post − t_pre in steps; pre_only / post_only below
  double ds = 0;
  double peak_v = 0;
  long long spikes = 0;
};
constexpr int pre_only = 1000, post_only = -1000;

class protocol : public sc_core::sc_module {
 public:
  std::vector<pairing> runs;

  protocol(sc_core::sc_module_name name, synapse& s, std::vector<int> dts) : sc_core::sc_module(name), s_(s) {
    for (int dt : dts) runs.push_back({dt});
    SC_HAS_PROCESS(protocol);
    SC_THREAD(run);
  }

 private:
  void cycle() { wait(s_.clk.negedge_event()); }

  void run() {
    for (pairing& p : runs) {
      // Reset device, generators and neuron; then spikes at steps 10 + ...
      cycle();
      s_.rst.write(true);
      s_.step_en.write(false);
      s_.trig_pre.write(false);
      s_.trig_post.write(false);
      s_.neuron_step.write(false);
      cycle();
      s_.rst.write(false);
      s_.step_en.write(true);
      s_.neuron_step.write(true);
      const long long spikes0 = s_.neuron.spikes();
      const double s0 = sc::from_port<model::q_state>(s_.state.read()).to_double();
      const int t_pre = p.dt == post_only ? -1 : (p.dt < 0 ? 10 - p.dt : 10);
      const int t_post = p.dt == pre_only ? -1 : (p.dt < 0 ? 10 : 10 + p.dt);
      for (int k = 0; k < 50; ++k) {
        s_.trig_pre.write(k == t_pre);
        s_.trig_post.write(k == t_post);
        cycle();
        const double v = sc::from_port<model::q_volt>(s_.v_dev.read()).to_double();
        if (v > p.peak_v || -v > p.peak_v) p.peak_v = v < 0 ? -v : v;
      }
      p.ds = sc::from_port<model::q_state>(s_.state.read()).to_double() - s0;
      p.spikes = s_.neuron.spikes() - spikes0;
    }
    sc_core::sc_stop();
  }

  synapse& s_;
};

}  // namespace

int sc_main(int argc, char** argv) {
  try {
    // sc_stop() would report "Simulation stopped by user" as an info message.
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    const std::string dir = sc_examples::table_dir_arg(argc, argv, "sc_stdp_pair",
                                                            "Spike-timing-dependent change of one synapse by overlapping pre and post pulses.");
    const model::table table = model_io::load_table(dir, model_io::table_format::hex);
    const double dt_m = model_io::table_metadata(dir, "dt_m_s");
    const model::device d0 =
        model::make_device(7, model::variation_params::none(), model::q_state::from_double(0.25), false);
    synapse s("synapse", table.view(), dt_m, d0);
    std::vector<int> dts{pre_only, post_only};
    for (int dt = -12; dt <= 12; dt += 2) dts.push_back(dt);
    protocol proto("protocol", s, dts);
    sc_core::sc_start();

    const double apart = proto.runs[0].ds + proto.runs[1].ds;  // what the two pulses do separately
    std::printf("pulse: %zu steps of %.3f V ... %.3f V; device from s = %.3f; dt_m = %g s\n",
                synapse::shape().size(), synapse::shape().front().to_double(),
                synapse::shape().back().to_double(), d0.state.to_double(), dt_m);
    std::printf("pre pulse alone: ds = %+.6f; post pulse alone: ds = %+.6f\n", proto.runs[0].ds, proto.runs[1].ds);
    std::printf("%8s %10s %10s %11s %10s %7s\n", "dt", "dt (s)", "ds", "overlap", "peak |V|", "spikes");
    double ltp = 0, ltd = 0;
    for (std::size_t k = 2; k < proto.runs.size(); ++k) {
      const pairing& p = proto.runs[k];
      const double overlap = p.ds - apart;
      std::printf("%8d %10.2f %+10.6f %+11.6f %10.3f %7lld\n", p.dt, p.dt * dt_m, p.ds, overlap, p.peak_v, p.spikes);
      if (p.dt == 2) ltp = overlap;
      if (p.dt == -2) ltd = overlap;
    }
    // Post after pre: the post peak meets the pre tail (a larger V across
    // the device: more potentiation than apart); post before pre: the reverse.
    if (!(ltp > 0 && ltd < 0)) {
      std::printf("FAIL: no timing-dependent potentiation/depression around dt = 0\n");
      return 1;
    }
    std::printf("PASS sc_stdp_pair\n");
    return 0;
  } catch (const sc_examples::usage_exit& u) {
    return u.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sc_stdp_pair: %s\n", e.what());
    return 1;
  }
}
