// The run itself: the top level (the material), [sim], [protocol],
// [output], [series] and [sweep]. kmc::validate() checks the [sim] and
// [protocol] ranges (kmc/src/params.cpp, protocol.cpp); the ranges here say
// the same for the docs and test_config_schema.
#include <cstddef>
#include <string>

#include <ionrail/kmc/params.hpp>
#include <ionrail/kmc/protocol.hpp>

#include "message_text.hpp"
#include "schema_tables.hpp"

namespace ionrail::config::detail {
namespace {

// The material is read (and merged under the run file) before anything else:
// load_run_config; here it only goes out with the run file's path.
void write_paths(toml::table& out, const run_config& c, std::size_t) {
  out.insert("path", c.path);
  out.insert("material", c.material_path);
}

// [series] key must be a key a run file can set, and both parts are needed.
void check_series(const loader& l, const toml::table& t, const std::string&, run_config& c, std::size_t) {
  const auto dot = c.series_key.find('.');
  bool known = false;
  if (dot != std::string::npos)
    for (const auto& s : schema())
      if (!s.spec.name.empty() && !s.spec.nested && s.spec.name != "series" &&
          s.spec.name == c.series_key.substr(0, dot) && s.find(c.series_key.substr(dot + 1)))
        known = true;
  // (Found by fuzzing: a [series] without key or values.)
  if (!t.get("key")) l.fail_at("series", "series.key is missing: [series] needs key and values");
  if (!t.get("values")) l.fail_at("series", "series.values is missing: [series] needs key and values");
  if (!known) l.fail("series.key", *t.get("key"), "must name a numeric key as section.key, e.g. \"protocol.voltage_v\"");
  if (c.series_values.empty()) l.fail("series.values", *t.get("values"), "must list at least one value");
}

}  // namespace

section_def top_level_section() {
  auto s = plain_section({"", "the run file's top level"});
  s.write_more(write_paths);
  s.hand("material", value_type::file).default_doc("none").doc("material file to include (rules above)");
  return s.done();
}

section_def sim_section() {
  auto s = plain_section({"sim", "how the device is simulated"});
  s.engine_checked();
  s.choice("method", [](auto& c) -> auto& { return c.sim.solver; },
           choices<kmc::method>{{"sync", kmc::method::sync}, {"bkl", kmc::method::bkl}})
      .doc("fixed-step parity sweeps (fast) or exact rejection-free BKL (reference, CPU only)");
  s.key("dt_s", [](auto& c) -> auto& { return c.sim.dt_s; })
      .unit("s").range(closed(0, 1e9)).note("and (Γ+ + Γ−) dt < 1 (*loader*)")
      .doc("`sync` step; 0: automatic from `p_max`. A given step is refused if the hop probability reaches 1 at the "
           "protocol's largest |V| and the run's temperature (the message gives the largest valid dt_s); space "
           "charge can raise the rates further, which the run checks at every rate table (exit 1)");
  s.key("p_max", [](auto& c) -> auto& { return c.sim.p_max; })
      .range(open(0, 1)).doc("bound on (Γ+ + Γ−) dt for the automatic step; 0.5 leaves strong-pulse responses up to 5 % high (0.125: about 1 %) and relaxation time constants 6–10 % short (0.0625: converged) (docs/engine.md)");
  s.key("dt_max_s", [](auto& c) -> auto& { return c.sim.dt_max_s; })
      .unit("s").range(closed(0, 1e9))
      .doc("cap on the automatic step (0: none). Automatic steps end on the drive's breakpoints, so a pulse is "
           "never stepped over; the cap bounds the step where slow rates (a retentive material at rest) would make "
           "it longer than the time resolution wanted. `ionrail calibrate` caps it at dt_m / 4 when 0");
  s.key("rate_change_max", [](auto& c) -> auto& { return c.sim.rate_change_max; })
      .range(closed(0, 10))
      .doc("largest change of ln Γ that the applied field may make over one automatic step as the drive moves "
           "(0: no bound): the field term of ln Γ is z V / (2 L kT/e), so a step moves V by at most "
           "rate_change_max · 2 L (kT/e) / z, 10.4 mV for the polymer material at 300 K. Automatic steps also end "
           "on the drive's breakpoints, and every step on the sample times");
  s.key("seed", [](auto& c) -> auto& { return c.sim.seed; })
      .range(at_least(0)).doc("Philox seed; same seed, same result on any thread count or backend");
  s.key("threads", [](auto& c) -> auto& { return c.sim.threads; })
      .range(closed(0, 4096)).doc("OpenMP threads; 0: the OpenMP default");
  s.choice("backend", [](auto& c) -> auto& { return c.backend; },
           choices<std::string>{{"cpu", "cpu"}, {"cuda", "cuda"}, {"auto", "auto"}})
      .doc("where `sync` runs; `auto`: CUDA if available");
  return s.done();
}

section_def protocol_section() {
  auto s = plain_section({"protocol", "the drive"});
  s.engine_checked().selector("kind");
  s.choice("kind", [](auto& c) -> auto& { return c.protocol.kind; },
           choices<kmc::protocol_kind>{{"relax", kmc::protocol_kind::relax},
                                       {"sweep", kmc::protocol_kind::sweep},
                                       {"pulses", kmc::protocol_kind::pulses},
                                       {"waveform", kmc::protocol_kind::waveform}})
      .doc("the drive V(t) on the left electrode (the right one is grounded)");
  s.key("sample_every_s", [](auto& c) -> auto& { return c.protocol.sample_every_s; })
      .unit("s").range(greater_than(0)).note("and at most 1e8 rows over the protocol (*loader*)")
      .doc("spacing of the trace rows");
  s.key("profile_times_s", [](auto& c) -> auto& { return c.protocol.profile_times_s; })
      .unit("s").range(at_least(0)).doc("times of zone-profile snapshots; empty: start, end of the drive, end");
  s.key("average_window_s", [](auto& c) -> auto& { return c.protocol.average_window_s; })
      .unit("s").range(at_least(0))
      .note("in `[from]` or `[from, to]`, with from < to ≤ the protocol's duration and at least 2 sample "
            "times inside (*loader*)")
      .default_doc("none (no averaged profile)")
      .doc("window of the time-averaged site profile `profile_average.csv`: the mean over the sample times "
           "k · `sample_every_s` in [from, to] (to: the end when not given)");
  s.key("temperatures_k", [](auto& c) -> auto& { return c.temperatures_k; })
      .unit("K").range(greater_than(0)).checked_by_loader()
      .doc("temperatures to run the protocol at (e.g. for an Arrhenius fit); empty: just `device.temperature_k`");

  s.key("voltage_v", [](auto& c) -> auto& { return c.protocol.relax.voltage_v; })
      .kind("relax").unit("V").range(closed(-1000, 1000)).doc("polarising voltage");
  s.key("pulse_s", [](auto& c) -> auto& { return c.protocol.relax.pulse_s; })
      .kind("relax").unit("s").range(greater_than(0)).doc("time held at `voltage_v`");
  s.key("relax_s", [](auto& c) -> auto& { return c.protocol.relax.relax_s; })
      .kind("relax").unit("s").range(at_least(0)).doc("time at V = 0 afterwards");

  s.key("v_max_v", [](auto& c) -> auto& { return c.protocol.sweep.v_max_v; })
      .kind("sweep").unit("V").range(open_closed(0, 1000)).doc("triangle 0 → +v_max → 0 → −v_max → 0");
  s.key("rate_v_per_s", [](auto& c) -> auto& { return c.protocol.sweep.rate_v_per_s; })
      .kind("sweep").unit("V/s").range(greater_than(0)).doc("sweep rate");
  s.key("cycles", [](auto& c) -> auto& { return c.protocol.sweep.cycles; })
      .kind("sweep").range(closed(1, 100000)).doc("triangles in a row");

  s.key("n_pot", [](auto& c) -> auto& { return c.protocol.pulses.n_pot; })
      .kind("pulses").range(closed(0, 1e6)).doc("potentiating pulses (first)");
  s.key("n_dep", [](auto& c) -> auto& { return c.protocol.pulses.n_dep; })
      .kind("pulses").range(closed(0, 1e6)).note("and n_pot + n_dep ≥ 1").doc("depressing pulses (after)");
  s.key("v_pot_v", [](auto& c) -> auto& { return c.protocol.pulses.v_pot_v; })
      .kind("pulses").unit("V").range(closed(-1000, 1000)).doc("potentiating pulse height");
  s.key("v_dep_v", [](auto& c) -> auto& { return c.protocol.pulses.v_dep_v; })
      .kind("pulses").unit("V").range(closed(-1000, 1000)).doc("depressing pulse height");
  s.key("width_s", [](auto& c) -> auto& { return c.protocol.pulses.width_s; })
      .kind("pulses").unit("s").range(greater_than(0)).doc("pulse width");
  s.key("gap_s", [](auto& c) -> auto& { return c.protocol.pulses.gap_s; })
      .kind("pulses").unit("s").range(greater_than(0)).doc("gap after each pulse (and before the first), at `read_v`");
  s.key("read_v", [](auto& c) -> auto& { return c.protocol.pulses.read_v; })
      .kind("pulses").unit("V").range(closed(-1000, 1000)).doc("read voltage in the gaps");

  s.path("waveform_csv", [](auto& c) -> auto& { return c.protocol.waveform_csv; }, path_kind::optional_file)
      .kind("waveform").note("required").doc("piecewise-linear V(t) from a CSV");
  return s.done();
}

section_def output_section() {
  auto s = plain_section({"output", "what is written"});
  s.key("title", [](auto& c) -> auto& { return c.title; })
      .default_doc("the run file's name without extension").doc("title of the run in outputs and plots");
  s.key("plots", [](auto& c) -> auto& { return c.plots; }).doc("write plots as well as data");
  return s.done();
}

section_def series_section() {
  auto s = plain_section({"series", "one run per value of one key"});
  s.read_more(check_series).in_json([](const run_config& c) { return !c.series_key.empty(); });
  s.key("key", [](auto& c) -> auto& { return c.series_key; })
      .note("a numeric key as `section.key`, e.g. `\"protocol.voltage_v\"`").doc("the key to vary");
  s.key("values", [](auto& c) -> auto& { return c.series_values; })
      .note("at least one").default_doc("none").doc("the values; each run is the file with `--set key=value` applied");
  return s.done();
}

section_def sweep_section() {
  auto s = plain_section({"sweep", "read by `ionrail sweep` (docs/scaling.md); a run ignores it"});
  s.foreign();
  return s.done();
}

}  // namespace ionrail::config::detail
