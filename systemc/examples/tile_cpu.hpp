#pragma once
// A small "CPU" for the crossbar tile (used by examples/sc_tile_cpu.cpp and
// tests/test_sc_crossbar.cpp): an SC_THREAD that, only through the TLM
// socket, programs a conductance pattern with write-verify pulse loops (V/2
// scheme) and then multiplies input vectors by the array. Every operation it
// issues is also applied to a shadow model::crossbar (the C++ golden model)
// and every result read back is compared with the shadow's, bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <ionrail/model/crossbar.hpp>
#include <ionrail/model/formats.hpp>
#include <ionrail/model/table_view.hpp>
#include <ionrail/sc/tile_driver.hpp>

namespace ionrail::sc::example {

struct cpu_plan {
  std::vector<double> target_us;               // rows × cols target conductances, µS (row-major)
  double tolerance_us = 1.0;                   // write-verify stops within this
  model::q_volt v_read = model::q_volt::from_double(0.25);  // verify read voltage (row r only)
  model::q_volt v_set = model::q_volt::from_double(6.0);    // pulse across the selected device
  int max_pulses = 60;                         // per device and pass
  int passes = 3;                              // verify rounds over the whole array (half-select disturbs)
  std::vector<std::vector<model::q_volt>> inputs;  // row-voltage vectors to multiply
};

struct cpu_report {
  long long pulses = 0, verify_reads = 0, mismatches = 0;
  std::vector<double> programmed_us;                    // measured G after programming
  std::vector<std::vector<model::q_current>> products;  // tile's I_col for each input
  sc_core::sc_time programming_time, total_time;        // simulated
  std::uint64_t transactions = 0;
  bool finished = false;
};

class tile_cpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<tile_cpu> socket;

  // shadow: the tile's devices at the start (the golden model continues from them).
  tile_cpu(sc_core::sc_module_name name, const model::table_view& table, int rows, int cols,
           model::crossbar shadow, cpu_plan plan)
      : sc_core::sc_module(name), socket("socket"), table_(table), rows_(rows), cols_(cols),
        shadow_(std::move(shadow)), plan_(std::move(plan)) {
    SC_HAS_PROCESS(tile_cpu);
    SC_THREAD(run);
  }

  const cpu_report& report() const noexcept { return report_; }
  const model::crossbar& shadow() const noexcept { return shadow_; }

 private:
  std::vector<model::q_volt> zeros(int n) const { return std::vector<model::q_volt>(static_cast<std::size_t>(n)); }

  // A read through the tile, checked against the shadow.
  std::vector<model::q_current> read(tile_driver& bus, const std::vector<model::q_volt>& v_row) {
    const std::vector<model::q_current> got = bus.multiply(v_row, cols_);
    const std::vector<model::q_current> want = shadow_.read(table_, v_row);
    for (int c = 0; c < cols_; ++c)
      if (got[c].raw() != want[c].raw()) ++report_.mismatches;
    return got;
  }

  void pulse(tile_driver& bus, int r, int c, model::q_volt v) {
    std::vector<model::q_volt> vr = zeros(rows_), vc = zeros(cols_);
    model::half_select(rows_, cols_, r, c, v, vr.data(), vc.data());
    bus.pulse(vr, vc, false);
    shadow_.write(table_, vr.data(), vc.data(), false);
    ++report_.pulses;
  }

  // G of device (r, c) from a read with only row r driven: I_col[c] / V.
  double measure_us(tile_driver& bus, int r, int c) {
    std::vector<model::q_volt> vr = zeros(rows_);
    vr[r] = plan_.v_read;
    const std::vector<model::q_current> i = read(bus, vr);
    ++report_.verify_reads;
    return i[c].to_double() / plan_.v_read.to_double();
  }

  void run() {
    tile_driver bus(socket);
    const sc_core::sc_time t0 = bus.now();
    const model::q_volt v_reset = model::q_volt::from_raw(static_cast<std::int16_t>(-plan_.v_set.raw()));
    // Highest targets first: a device programmed later disturbs the earlier
    // ones through half-selection, and lower targets need fewer pulses.
    std::vector<int> order(static_cast<std::size_t>(rows_ * cols_));
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int>(k);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return plan_.target_us[static_cast<std::size_t>(a)] > plan_.target_us[static_cast<std::size_t>(b)];
    });
    for (int pass = 0; pass < plan_.passes; ++pass)
      for (const int k : order) {
        const int r = k / cols_, c = k % cols_;
        const double target = plan_.target_us[static_cast<std::size_t>(k)];
        for (int n = 0; n < plan_.max_pulses; ++n) {
          const double g = measure_us(bus, r, c);
          if (std::fabs(g - target) <= plan_.tolerance_us) break;
          pulse(bus, r, c, g < target ? plan_.v_set : v_reset);
        }
      }
    report_.programmed_us.assign(static_cast<std::size_t>(rows_ * cols_), 0.0);
    for (int k = 0; k < rows_ * cols_; ++k)
      report_.programmed_us[static_cast<std::size_t>(k)] = measure_us(bus, k / cols_, k % cols_);
    report_.programming_time = bus.now() - t0;
    for (const auto& v : plan_.inputs) report_.products.push_back(read(bus, v));
    bus.sync();
    report_.total_time = bus.now() - t0;
    report_.transactions = bus.transactions();
    report_.finished = true;
  }

  model::table_view table_;
  int rows_, cols_;
  model::crossbar shadow_;
  cpu_plan plan_;
  cpu_report report_;
};

}  // namespace ionrail::sc::example
