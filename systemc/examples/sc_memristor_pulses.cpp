// One ionrail::sc::memristor on the calibrated polymer table (tables/polymer)
// driven by a pulse protocol: rest, a +6 V potentiating train, relaxation
// at 0 V, a −6 V depressing train. The clock period is the table's model
// step dt_m, so simulated time is device time. A shadow model::device
// stepped by model::step checks every step bit for bit.
//
// Usage: sc_memristor_pulses [TABLE_DIR] | -h | --help   (default: the source tree's tables/polymer)
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <systemc>

#include <ionrail/model_io/table_files.hpp>
#include <ionrail/model/model.hpp>
#include <ionrail/sc/memristor.hpp>

#include "example_args.hpp"

namespace {

using namespace ionrail;

struct phase {
  const char* name;
  double volts;
  int steps;
  int on, period;  // pulse train: `on` steps at `volts` in every `period`
};

class testbench : public sc_core::sc_module {
 public:
  sc_core::sc_clock clk;
  sc_core::sc_signal<bool> rst{"rst"}, step_en{"step_en"}, noise_en{"noise_en"};
  sc_core::sc_signal<sc::volt_t> v{"v"};
  sc_core::sc_signal<sc::state_t> state{"state"};
  sc_core::sc_signal<sc::fluct_t> fluct{"fluct"};
  sc_core::sc_signal<sc::rng_t> rng{"rng"};
  sc_core::sc_signal<sc::cond_t> g_eff{"g_eff"};
  sc_core::sc_signal<sc::current_t> current{"current"};
  sc::memristor dev;
  long long steps = 0, mismatches = 0;

  testbench(sc_core::sc_module_name name, const model::table_view& t, double dt_m)
      : sc_core::sc_module(name), clk("clk", sc_core::sc_time(dt_m, sc_core::SC_SEC)),
        dev("dev", t, 2024, model::variation_params::from_si(0.03, 0.5e-6), model::q_state::from_double(0.25)),
        table_(t), dt_m_(dt_m), shadow_(dev.device()) {
    dev.clk(clk);
    dev.rst(rst);
    dev.step_en(step_en);
    dev.noise_en(noise_en);
    dev.v(v);
    dev.state(state);
    dev.fluct(fluct);
    dev.rng(rng);
    dev.g_eff(g_eff);
    dev.current(current);
    SC_HAS_PROCESS(testbench);
    SC_THREAD(run);
  }

 private:
  void run() {
    const std::vector<phase> protocol{{"rest", 0.0, 20, 1, 1},
                                      {"potentiate +6 V", 6.0, 60, 1, 2},
                                      {"relax 0 V", 0.0, 60, 1, 1},
                                      {"depress -6 V", -6.0, 60, 1, 2}};
    std::printf("%6s %8s %-16s %6s %9s %10s %9s %11s\n", "step", "t (s)", "phase", "V", "s", "delta", "G (uS)",
                "I (uA)");
    for (const phase& p : protocol) {
      for (int k = 0; k < p.steps; ++k) {
        const double volts = (k % p.period) < p.on ? p.volts : 0.0;
        const model::q_volt vq = model::q_volt::from_double(volts);
        wait(clk.negedge_event());  // inputs change between edges (none before the first)
        v.write(sc::to_port(vq));
        step_en.write(true);
        noise_en.write(true);
        wait(clk.posedge_event());  // the device steps at vq
        shadow_.noise = true;
        model::step(table_, shadow_, vq);
        ++steps;
        wait(sc_core::SC_ZERO_TIME);  // the outputs of this edge
        if (state.read().to_int64() != shadow_.state.raw() || fluct.read().to_int64() != shadow_.fluct.raw() ||
            rng.read().to_uint64() != shadow_.rng ||
            current.read().to_int64() != model::read_current(table_, shadow_, vq).raw())
          ++mismatches;
        if (steps % 10 == 5)  // inside the trains: the pulse steps
          std::printf("%6lld %8.2f %-16s %6.2f %9.6f %10.2e %9.4f %11.5f\n", steps, static_cast<double>(steps) * dt_m_,
                      p.name, vq.to_double(), sc::from_port<model::q_state>(state.read()).to_double(),
                      sc::from_port<model::q_fluct>(fluct.read()).to_double(),
                      sc::from_port<model::q_cond>(g_eff.read()).to_double(),
                      sc::from_port<model::q_current>(current.read()).to_double());
      }
    }
    sc_core::sc_stop();
  }

  model::table_view table_;
  double dt_m_;
  model::device shadow_;
};

}  // namespace

int sc_main(int argc, char** argv) {
  try {
    // sc_stop() would report "Simulation stopped by user" as an info message.
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    const std::string dir = sc_examples::table_dir_arg(argc, argv, "sc_memristor_pulses",
                                                            "One memristor driven by potentiating and depressing pulse trains, checked against model::step.");
    const model::table table = model_io::load_table(dir, model_io::table_format::hex);
    const double dt_m = model_io::table_metadata(dir, "dt_m_s");
    std::printf("table %s (checksum %016llx), dt_m = %g s\n", dir.c_str(),
                static_cast<unsigned long long>(table.checksum()), dt_m);
    testbench tb("tb", table.view(), dt_m);
    sc_core::sc_start();
    std::printf("%lld steps, simulated %s, %lld differences from model::step\n", tb.steps,
                sc_core::sc_time_stamp().to_string().c_str(), tb.mismatches);
    if (tb.mismatches != 0) return 1;
    std::printf("PASS sc_memristor_pulses\n");
    return 0;
  } catch (const sc_examples::usage_exit& u) {
    return u.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sc_memristor_pulses: %s\n", e.what());
    return 1;
  }
}
