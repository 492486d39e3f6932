// [measured_table] and [[measured_table.train]]: a response table built
// from measured pulse trains by `ionrail calibrate` (docs/measurements.md).
// The settings are read from their declarations; the trains by read_trains.
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <string>

#include <ionrail/calibration/pulse_table.hpp>

#include "schema_tables.hpp"

namespace ionrail::config::detail {
namespace {

void read_trains(const loader& l, const toml::table& t, const std::string& path, run_config& c, std::size_t) {
  c.measured_table.trains.clear();
  const auto entries = l.tables_at(t, path, "train", section_named("measured_table.train").key_names);
  if (!entries) return;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const toml::table& e = *(*entries)[i];
    const std::string p = indexed(join(path, "train"), i);
    calibration::pulse_train_spec s;
    if (!e.contains("file")) l.fail_at(p, p + ".file is missing: every train names its measured CSV");
    l.get_path(e, p, "file", false, s.file);
    s.label = std::filesystem::path(s.file).stem().string();
    l.get(e, p, "label", s.label);
    l.get(e, p, "held_out", s.held_out);
    c.measured_table.trains.push_back(s);
  }
}

void write_trains(toml::table& out, const run_config& c, std::size_t) {
  toml::array trains;
  for (const auto& s : c.measured_table.trains) {
    toml::table e;
    e.insert("file", s.file);
    e.insert("label", s.label);
    e.insert("held_out", s.held_out);
    trains.push_back(std::move(e));
  }
  out.insert("train", std::move(trains));
}

}  // namespace

section_def measured_table_section() {
  auto s = plain_section({"measured_table", "used by `ionrail calibrate`: a response table from measured pulse "
                                            "trains instead of the KMC (docs/measurements.md)"});
  s.read_more(read_trains).write_more(write_trains);
  s.key("dt_m_s", [](auto& c) -> auto& { return c.measured_table.dt_m_s; })
      .unit("s").range(closed(1e-9, 1e3)).interval("(0, 1000]")
      .doc("the compact model's step: every pulse width is a whole number of steps (a circuit's write pulse is one)");
  s.key("state_bits", [](auto& c) -> auto& { return c.measured_table.state_bits; })
      .range(closed(2, 10)).doc("state grid spacing 2^-state_bits over the measured conductance range");
  s.key("v_step_v", [](auto& c) -> auto& { return c.measured_table.v_step_v; })
      .unit("V").range(closed(1.0 / 2048, 8)).accept(power_of_two).phrase("a power of two volts in [2^-11, 8]")
      .doc("voltage grid spacing");
  s.key("v_max_v", [](auto& c) -> auto& { return c.measured_table.v_max_v; })
      .unit("V").range(closed(1e-3, 15.5)).interval("(0, 15.5]").note("(the model's voltage format holds ±16 V)")
      .doc("the table spans ±v_max_v; every measured pulse must be within it");
  s.key("min_samples", [](auto& c) -> auto& { return c.measured_table.min_samples; })
      .range(closed(1, 1e6)).doc("intervals a state node needs at an amplitude to count as measured (else filled)");
  s.key("devices", [](auto& c) -> auto& { return c.measured_table.devices; })
      .range(closed(2, 1e5)).doc("model devices replayed through each held-out train (their mean and spread)");
  s.key("seed", [](auto& c) -> auto& { return c.measured_table.seed; })
      .range(at_least(0)).doc("seed of the replayed devices' noise");
  s.hand("train", value_type::tables).note("see below").default_doc("none")
      .doc("the measured pulse trains, one entry each (at least one held out)");
  return s.done();
}

section_def measured_table_train_section() {
  auto s = plain_section({"measured_table.train", "a measured pulse train"});
  s.nested();
  s.hand("file", value_type::file).note("(*loader*)").default_doc("required")
      .doc("the CSV: t_s and g_s of every read, v_v and width_s of the pulse before it");
  s.hand("label", value_type::string).default_doc("the file's stem").doc("the train's name in the report");
  s.hand("held_out", value_type::boolean).default_doc("false")
      .doc("true: not used to build the table; the fidelity is measured on it");
  return s.done();
}

}  // namespace ionrail::config::detail
