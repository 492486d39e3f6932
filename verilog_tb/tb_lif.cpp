// Verilator bench of ionrail_lif against model::lif_step, every cycle.
//
// Random mode (--steps N, 10^6 unless given): the parameters change every
// few hundred cycles (full raw ranges, or a working neuron: decay in [0, 1],
// threshold above rest, refractory 0, 1, a few or up to 65535 steps, input
// shift 0, 7, 62, 63 or any), with a reset now and then; input currents are
// crossbar-sized, the ends of int64 or anything; step enable is random.
// After every edge v, the refractory counter and the spike pulse are
// compared with the model. Known-answer mode (--kat FILE) replays
// tests/kat/lif.kat. Any difference prints the cycle, the inputs and both
// outputs, and fails.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include <ionrail/model/lif.hpp>

#include "Vlif.h"
#include <ionrail/kat/kat.hpp>
#include "tb_common.hpp"

namespace {

using namespace ionrail;

struct lif_in {
  bool rst = false, step_en = false;
  std::int64_t i_in = 0;
  model::lif_params p{};
  int shift_input = 0;  // what drives the 6-bit port (63 is legal there; the model clamps it to 62)
};

void apply(Vlif& top, const lif_in& in) {
  top.rst = in.rst;
  top.step_en = in.step_en;
  top.i_in = static_cast<std::uint64_t>(in.i_in);
  top.decay = static_cast<std::uint32_t>(in.p.decay.raw());
  top.v_rest = static_cast<std::uint32_t>(in.p.v_rest.raw());
  top.v_reset = static_cast<std::uint32_t>(in.p.v_reset.raw());
  top.threshold = static_cast<std::uint32_t>(in.p.threshold.raw());
  top.refractory_steps = static_cast<std::uint16_t>(in.p.refractory_steps);
  top.input_shift = static_cast<std::uint8_t>(in.shift_input);
}

bool same(std::uint64_t cycle, const lif_in& in, const model::lif_state& before, Vlif& top, const model::lif_state& n,
          bool spike) {
  const auto v = static_cast<std::int32_t>(top.v);
  if (v == n.v.raw() && top.refractory == n.refractory && (top.spike != 0) == spike) return true;
  std::fprintf(stderr,
               "MISMATCH at cycle %" PRIu64 "\n  inputs rst=%d step_en=%d i_in=%" PRId64 " decay=%" PRId32 " v_rest=%" PRId32
               " v_reset=%" PRId32 " threshold=%" PRId32 " refractory_steps=%" PRId32 " input_shift=%d\n"
               "  neuron before: v=%" PRId32 " refractory=%" PRId32 "\n  RTL    v=%" PRId32 " refractory=%d spike=%d\n"
               "  model  v=%" PRId32 " refractory=%" PRId32 " spike=%d\n",
               cycle, in.rst, in.step_en, in.i_in, in.p.decay.raw(), in.p.v_rest.raw(), in.p.v_reset.raw(),
               in.p.threshold.raw(), in.p.refractory_steps, in.shift_input, before.v.raw(), before.refractory, v,
               top.refractory, top.spike, n.v.raw(), n.refractory, spike);
  return false;
}

int run_random(tb::clocked<Vlif>& sim, const tb::options& o) {
  const long long target = o.count > 0 ? o.count : 1000000;
  kat::rand64 r{0x6c6966ULL ^ (o.seed * 0x9E3779B97F4A7C15ULL)};
  lif_in in;
  model::lif_state n{};
  bool have = false;
  long long steps = 0, cycles = 0, spikes = 0, refractory = 0, saturated = 0, clamped_shift = 0;
  while (steps < target) {
    if (!have || r.chance(1, 300)) {
      in.p = kat::stimulus_lif_params(r);
      in.shift_input = r.chance(1, 8) ? 63 : in.p.input_shift;
      in.p.input_shift = in.shift_input;  // the model clamps 63 to 62 as the RTL does
    }
    in.rst = !have || r.chance(1, 1000);
    in.step_en = r.chance(7, 8);
    in.i_in = kat::stimulus_current(r, in.p.input_shift);
    apply(sim.top(), in);
    sim.tick();
    const model::lif_state before = n;
    bool spike = false;
    if (in.rst) {
      n = model::lif_init(in.p);
      have = true;
    } else if (in.step_en) {
      spike = model::lif_step(in.p, n, model::q_current::from_raw(in.i_in));
      ++steps;
      spikes += spike;
      refractory += before.refractory > 0;
      saturated += n.v.raw() == INT32_MAX || n.v.raw() == INT32_MIN;
      clamped_shift += in.shift_input == 63;
    }
    if (!same(sim.cycle(), in, before, sim.top(), n, spike)) return 1;
    ++cycles;
  }
  std::printf("tb_lif: %lld steps compared with the C++ model over %lld cycles: %lld spikes, %lld refractory steps, "
              "%lld at a saturated potential, %lld with input_shift 63\n",
              steps, cycles, spikes, refractory, saturated, clamped_shift);
  // Every value matched: bit-exact. The corners are a separate check.
  std::string missing;
  tb::need(missing, spikes, "spikes");
  tb::need(missing, refractory, "refractory-steps");
  tb::need(missing, saturated, "saturated-potential");
  tb::need(missing, clamped_shift, "input_shift-63");
  return tb::verdict("tb_lif", "lif", o, missing, "steps");
}

int run_kat(tb::clocked<Vlif>& sim, const std::string& file) {
  const auto lines = kat::read_lines(file);
  lif_in in;
  model::lif_state before{};
  long long steps = 0;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    const auto& w = lines[k];
    if (w[0] == "neuron") {
      in.p.decay = model::q_coeff::from_raw(static_cast<std::int32_t>(kat::num(w, 1)));
      in.p.v_rest = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 2)));
      in.p.v_reset = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 3)));
      in.p.threshold = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 4)));
      in.p.refractory_steps = static_cast<std::int32_t>(kat::num(w, 5));
      in.p.input_shift = in.shift_input = static_cast<int>(kat::num(w, 6));
      in.rst = true;
      in.step_en = false;
      apply(sim.top(), in);
      sim.tick();
      before = model::lif_init(in.p);
      continue;
    }
    if (w[0] != "step") {
      std::fprintf(stderr, "%s: unknown line '%s'\n", file.c_str(), w[0].c_str());
      return 1;
    }
    in.rst = false;
    in.step_en = true;
    in.i_in = kat::num(w, 1);
    apply(sim.top(), in);
    sim.tick();
    model::lif_state want{model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 3))),
                          static_cast<std::int32_t>(kat::num(w, 4))};
    if (!same(sim.cycle(), in, before, sim.top(), want, kat::num(w, 2) != 0)) return 1;
    before = want;
    ++steps;
  }
  std::printf("PASS tb_lif: %lld known-answer steps of %s\n", steps, file.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const tb::bench_help help{"--steps", "models: lif"};
  const tb::options o = tb::parse(argc, argv, help);
  if (o.model != "lif") tb::usage_error(argv[0], help, "unknown model '" + o.model + "'");
  try {
    tb::clocked<Vlif> sim(o);
    return sim.finish(o.kat.empty() ? run_random(sim, o) : run_kat(sim, o.kat));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tb_lif: %s\n", e.what());
    return 1;
  }
}
