// A 4 × 4 crossbar tile (ionrail::sc::crossbar_tile, TLM-2.0 loosely timed)
// on the calibrated polymer table and a small CPU (examples/tile_cpu.hpp)
// that, through the socket only, programs a conductance pattern with
// write-verify V/2 pulses and multiplies two input vectors by it. The CPU's
// shadow C++ crossbar (model::crossbar) checks every read bit for bit.
//
// Usage: sc_tile_cpu [TABLE_DIR] | -h | --help
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include <ionrail/model_io/table_files.hpp>
#include <ionrail/model/model.hpp>
#include <ionrail/sc/crossbar_tile.hpp>

#include "example_args.hpp"
#include "tile_cpu.hpp"

int sc_main(int argc, char** argv) {
  using namespace ionrail;
  try {
    const std::string dir = sc_examples::table_dir_arg(argc, argv, "sc_tile_cpu",
                                                            "A 4 x 4 TLM crossbar tile programmed and read by a small CPU, checked bit for bit.");
    const model::table table = model_io::load_table(dir, model_io::table_format::hex);
    const model::table_view t = table.view();
    // A 100 MHz digital tile whose write pulses last one model step.
    sc::tile_timing timing;
    timing.clock = sc_core::sc_time(10, sc_core::SC_NS);
    timing.lanes = 2;
    timing.pulse_width = sc_core::sc_time(model_io::table_metadata(dir, "dt_m_s"), sc_core::SC_SEC);
    const auto var = model::variation_params::from_si(0.03, 0.2e-6);
    sc::crossbar_tile<4, 4> tile("tile", t, 11, var, model::q_state::from_double(0.25), true, timing);

    sc::example::cpu_plan plan;
    plan.target_us = {6, 8, 10, 12, 8, 10, 12, 14, 10, 12, 14, 6, 12, 14, 6, 8};
    plan.inputs = {std::vector<model::q_volt>(4, model::q_volt::from_double(0.2)),
                   {model::q_volt::from_double(0.1), model::q_volt::from_double(-0.2),
                    model::q_volt::from_double(0.3), model::q_volt::zero()}};
    sc::example::tile_cpu cpu("cpu", t, 4, 4, tile.array(), plan);
    cpu.socket.bind(tile.socket);
    // Temporal decoupling: the CPU runs ahead up to 1 ms before it yields.
    tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_MS));
    sc_core::sc_start();

    const sc::example::cpu_report& rep = cpu.report();
    if (!rep.finished) throw std::runtime_error("the CPU did not finish");
    std::printf("programmed G (uS), target in brackets:\n");
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 4; ++c)
        std::printf("  %6.2f [%2.0f]", rep.programmed_us[static_cast<std::size_t>(r * 4 + c)],
                    plan.target_us[static_cast<std::size_t>(r * 4 + c)]);
      std::printf("\n");
    }
    std::printf("%lld pulses, %lld verify reads, %llu transactions, programming took %.3f s (simulated)\n",
                rep.pulses, rep.verify_reads, static_cast<unsigned long long>(rep.transactions),
                rep.programming_time.to_seconds());
    for (std::size_t k = 0; k < rep.products.size(); ++k) {
      std::printf("I = G^T v for v = [");
      for (const auto v : plan.inputs[k]) std::printf(" %.4f", v.to_double());
      std::printf(" ] V:");
      for (const auto i : rep.products[k]) std::printf(" %9.5f", i.to_double());
      std::printf(" uA\n");
    }
    std::printf("simulated %.6f s in all; reads differing from model::crossbar: %lld\n", rep.total_time.to_seconds(),
                rep.mismatches);
    bool same = rep.mismatches == 0;
    for (int i = 0; i < 16; ++i) {
      const model::device& a = tile.array().data()[i];
      const model::device& b = cpu.shadow().data()[i];
      same = same && a.state.raw() == b.state.raw() && a.fluct.raw() == b.fluct.raw() && a.rng == b.rng;
    }
    if (!same) {
      std::printf("FAIL: the tile differs from model::crossbar\n");
      return 1;
    }
    std::printf("PASS sc_tile_cpu\n");
    return 0;
  } catch (const sc_examples::usage_exit& u) {
    return u.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sc_tile_cpu: %s\n", e.what());
    return 1;
  }
}
