// BM_systemc_crossbar: simulated clock cycles per second of wall time of a
// 16 × 16 crossbar driven with random writes and reads, at signal level
// (ionrail::sc::crossbar with a clock, a driver thread on its ports) and as
// the TLM-2.0 tile (ionrail::sc::crossbar_tile, a CPU thread with temporal
// decoupling, 1 µs quantum); lanes 1 (sequential, 17 cycles per operation)
// and 16 (parallel, 2 cycles). A TLM "cycle" is simulated time / clock
// period, bus transfers included.
//
// SystemC elaborates once per process, so every configuration is built in
// one elaboration; each has its own clock, gated by the benchmark (an idle
// one schedules nothing), and each iteration runs sc_start() until the
// active one has done its share and the simulation starves.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <ionrail/model/model.hpp>
#include <ionrail/sc/crossbar.hpp>
#include <ionrail/sc/crossbar_tile.hpp>
#include <ionrail/sc/tile_driver.hpp>

namespace {

using namespace ionrail;

constexpr int n = 16;
const sc_core::sc_time period(10, sc_core::SC_NS);

// Pre-drawn drives, so the loops spend their time in the simulation.
struct drives {
  std::vector<std::vector<model::q_volt>> rows, cols;
  std::vector<bool> write;
  explicit drives(std::uint64_t seed) {
    std::uint64_t s = seed;
    for (int k = 0; k < 256; ++k) {
      std::vector<model::q_volt> r(n), c(n);
      for (auto& v : r) v = model::q_volt::from_raw(static_cast<std::int16_t>(model::splitmix64(s) % 8192) - 4096);
      for (auto& v : c) v = model::q_volt::from_raw(static_cast<std::int16_t>(model::splitmix64(s) % 8192) - 4096);
      rows.push_back(r);
      cols.push_back(c);
      write.push_back(model::splitmix64(s) % 2 == 0);
    }
  }
};

model::table bench_table() {
  model::table t = model::make_table(
      model::default_grid, [](double s, double v) { return 1e-3 * (0.3 + 0.05 * v - s); },
      [](double, double) { return 1e-4; }, [](double s) { return 1.0 + 99.0 * s; });
  model::add_fluct(t, [](double, double) { return 2e-3; }, 0.8);
  return t;
}

// A clock that ticks only while it has cycles to give.
class gated_clock : public sc_core::sc_module {
 public:
  sc_core::sc_signal<bool> clk{"clk"};
  long long ticked = 0;
  explicit gated_clock(sc_core::sc_module_name name) : sc_core::sc_module(name) {
    SC_HAS_PROCESS(gated_clock);
    SC_THREAD(run);
  }
  void give(long long cycles) {
    budget_ += cycles;
    go_.notify(sc_core::SC_ZERO_TIME);
  }

 private:
  void run() {
    for (;;) {
      while (budget_ <= 0) wait(go_);
      clk.write(true);
      wait(period / 2);
      clk.write(false);
      wait(period / 2);
      --budget_;
      ++ticked;
    }
  }
  long long budget_ = 0;
  sc_core::sc_event go_;
};

// Signal level: a driver thread issues an operation whenever the crossbar
// is idle (start at the falling edge, new drive every operation).
class signal_rig : public sc_core::sc_module {
 public:
  using X = sc::crossbar<n, n>;
  gated_clock clock;
  sc_core::sc_signal<bool> rst{"rst"}, cfg_we{"cfg_we"}, cfg_noise{"cfg_noise"}, start{"start"}, op_write{"op_write"},
      relax{"relax"}, busy{"busy"}, done{"done"};
  sc_core::sc_signal<X::row_index_t> cfg_row{"cfg_row"};
  sc_core::sc_signal<X::col_index_t> cfg_col{"cfg_col"};
  sc_core::sc_signal<sc::state_t> cfg_state{"cfg_state"};
  sc_core::sc_signal<sc::fluct_t> cfg_fluct{"cfg_fluct"};
  sc_core::sc_signal<sc::gain_t> cfg_gain{"cfg_gain"};
  sc_core::sc_signal<sc::cond_t> cfg_offset{"cfg_offset"};
  sc_core::sc_signal<sc::rng_t> cfg_rng{"cfg_rng"};
  sc_core::sc_vector<sc_core::sc_signal<sc::volt_t>> v_row{"v_row", n}, v_col{"v_col", n};
  sc_core::sc_vector<sc_core::sc_signal<sc::current_t>> i_col{"i_col", n};
  X x;
  long long ops = 0;

  signal_rig(sc_core::sc_module_name name, const model::table_view& t, int lanes, const drives& d)
      : sc_core::sc_module(name), clock("clock"), x("x", t, lanes), d_(d) {
    sc::bind_crossbar_inputs(x, clock.clk, *this);
    x.busy(busy);
    x.done(done);
    x.i_col(i_col);
    model::crossbar init(n, n, 1, model::variation_params::from_si(0.03, 0.0), model::q_state::from_double(0.3), true);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) x.set_device(r, c, init.at(r, c));
    SC_HAS_PROCESS(signal_rig);
    SC_THREAD(drive);
  }

 private:
  void drive() {
    for (std::size_t k = 0;; ++k) {
      wait(clock.clk.negedge_event());
      if (busy.read() || start.read()) {
        start.write(false);
        continue;
      }
      const std::size_t i = k % d_.rows.size();
      for (int r = 0; r < n; ++r) v_row[r].write(sc::to_port(d_.rows[i][r]));
      for (int c = 0; c < n; ++c) v_col[c].write(sc::to_port(d_.cols[i][c]));
      op_write.write(d_.write[i]);
      start.write(true);
      ++ops;
    }
  }
  const drives& d_;
};

// TLM: a CPU thread runs operations through the socket until its time is up.
class tlm_rig : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<tlm_rig> socket;
  sc::crossbar_tile<n, n> tile;
  long long ops = 0;

  tlm_rig(sc_core::sc_module_name name, const model::table_view& t, int lanes, const drives& d)
      : sc_core::sc_module(name), socket("socket"),
        tile("tile", t, 1, model::variation_params::from_si(0.03, 0.0), model::q_state::from_double(0.3), true,
             timing(lanes)),
        d_(d) {
    socket.bind(tile.socket);
    SC_HAS_PROCESS(tlm_rig);
    SC_THREAD(run);
  }
  void give(long long cycles) {
    budget_ += period * static_cast<double>(cycles);
    go_.notify(sc_core::SC_ZERO_TIME);
  }
  sc_core::sc_time simulated() const { return done_; }

 private:
  static sc::tile_timing timing(int lanes) {
    sc::tile_timing tt;
    tt.clock = period;
    tt.lanes = lanes;
    return tt;
  }
  void run() {
    sc::tile_driver bus(socket);
    const sc_core::sc_time t0 = bus.now();
    for (std::size_t k = 0;; ++k) {
      while (bus.now() - t0 >= budget_) {
        bus.sync();
        done_ = bus.now() - t0;
        wait(go_);
      }
      const std::size_t i = k % d_.rows.size();
      if (d_.write[i]) {
        bus.pulse(d_.rows[i], d_.cols[i]);
      } else {
        benchmark::DoNotOptimize(bus.multiply(d_.rows[i], n));
      }
      ++ops;
    }
  }
  const drives& d_;
  sc_core::sc_time budget_ = sc_core::SC_ZERO_TIME, done_ = sc_core::SC_ZERO_TIME;
  sc_core::sc_event go_;
};

constexpr long long cycles_per_iteration = 4000;

void run_signal(benchmark::State& state, signal_rig* rig) {
  const long long c0 = rig->clock.ticked, o0 = rig->ops;
  for (auto _ : state) {
    rig->clock.give(cycles_per_iteration);
    sc_core::sc_start();
  }
  state.counters["cycles/s"] = benchmark::Counter(static_cast<double>(rig->clock.ticked - c0), benchmark::Counter::kIsRate);
  state.counters["ops/s"] = benchmark::Counter(static_cast<double>(rig->ops - o0), benchmark::Counter::kIsRate);
}

void run_tlm(benchmark::State& state, tlm_rig* rig) {
  const sc_core::sc_time t0 = rig->simulated();
  const long long o0 = rig->ops;
  for (auto _ : state) {
    rig->give(cycles_per_iteration);
    sc_core::sc_start();
  }
  const double cycles = (rig->simulated() - t0) / period;
  state.counters["cycles/s"] = benchmark::Counter(cycles, benchmark::Counter::kIsRate);
  state.counters["ops/s"] = benchmark::Counter(static_cast<double>(rig->ops - o0), benchmark::Counter::kIsRate);
}

}  // namespace

int sc_main(int argc, char** argv) {
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_US));
  const model::table table = bench_table();
  const drives d(0xbe4c);
  signal_rig sig1("signal_lanes1", table.view(), 1, d), sig16("signal_lanes16", table.view(), n, d);
  tlm_rig tlm1("tlm_lanes1", table.view(), 1, d), tlm16("tlm_lanes16", table.view(), n, d);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  benchmark::RegisterBenchmark("BM_systemc_crossbar/signal/lanes:1", run_signal, &sig1)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_systemc_crossbar/signal/lanes:16", run_signal, &sig16)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_systemc_crossbar/tlm/lanes:1", run_tlm, &tlm1)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_systemc_crossbar/tlm/lanes:16", run_tlm, &tlm16)->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
