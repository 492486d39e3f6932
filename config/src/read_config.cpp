// load_run_config: the material and run file merged key by key, --set
// applied, every section read through the schema (schema_tables.hpp), then
// the checks across keys: kmc::validate, the temperatures, unique names, the waveform, the
// trace size and the sync step.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <ionrail/config/run_config.hpp>
#include <ionrail/kmc/params.hpp>
#include <ionrail/kmc/physics.hpp>
#include <ionrail/kmc/protocol.hpp>

#include "files.hpp"
#include "loader.hpp"
#include "message_text.hpp"
#include "overrides.hpp"
#include "schema_tables.hpp"

namespace ionrail::config {
namespace {

using namespace detail;
namespace fs = std::filesystem;

constexpr double max_trace_rows = 1e8;

bool contains(const key_list& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// The top level's keys, then its sections, as the "valid sections and keys" message lists them.
const key_list& top_level_keys() {
  static const key_list keys = [] {
    key_list out = section_named("").key_names;
    for (const auto& s : schema())
      if (!s.spec.name.empty() && !s.spec.nested) out.push_back(s.spec.name);
    return out;
  }();
  return keys;
}

// "[device], [[species]], [[rail_class]], [field] and [readout]"
std::string material_sections_text() {
  std::vector<std::string> names;
  for (const auto& s : schema())
    if (s.spec.in_material) names.push_back(s.spec.array_of_tables ? "[[" + std::string(s.spec.name) + "]]"
                                                                   : "[" + std::string(s.spec.name) + "]");
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : (i + 1 == names.size() ? " and " : ", ")) + names[i];
  return out;
}

bool in_material(std::string_view name) {
  for (const auto& s : schema())
    if (s.spec.in_material && s.spec.name == name) return true;
  return false;
}

// A loader-checked key that a file or --set gave must be in its range.
void check_range(const loader& l, const key_def& k, const toml::table& t, const std::string& path, const run_config& c,
                 std::size_t entry) {
  if (!k.bind || !k.spec.range || k.spec.checker != checked_by::loader) return;
  const toml::node* n = t.get(k.spec.name);
  if (!n) return;
  const auto ok = [&k](double v) { return k.spec.range->contains(v) && (!k.accept || k.accept(v)); };
  const std::string key = join(path, k.spec.name);
  const std::vector<double> values = k.bind->numbers(c, entry);
  if (k.spec.type == value_type::numbers) {
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!ok(values[i])) {
        const std::string at = indexed(key, i);
        l.fail_at(at, at + " = " + format_number(values[i]) + ": must be " + range_text(k.spec, false));
      }
  } else if (!values.empty() && !ok(values[0])) {
    l.fail(key, *n, "must be " + range_text(k.spec, false));
  }
}

// A key of another kind than the section's selector chose (protocol.kind) is an error.
void check_kind(const loader& l, const section_def& s, const toml::table& t, const std::string& path,
                const run_config& c) {
  const std::string chosen = s.find(s.selector)->bind->text(c, 0);
  const std::string selector = join(path, s.selector);
  for (auto&& [k, v] : t) {
    const key_def* key = s.find(k.str());
    if (!key || key->spec.kind.empty() || key->spec.kind == chosen) continue;
    const std::string name = join(path, k.str());
    std::string why = selector + " = " + quote(chosen);
    if (!t.contains(s.selector))
      why += " (the default)";
    else if (l.origin_of(selector).file != l.origin_of(name).file)
      why += " (from " + l.origin_of(selector).file + ")";
    l.fail_at(name, name + " is a " + std::string(key->spec.kind) + " key but " + why);
  }
}

void read_keys(const loader& l, const section_def& s, const toml::table& t, const std::string& path, run_config& c,
               std::size_t entry) {
  if (!s.selector.empty()) {
    s.find(s.selector)->bind->read(l, t, path, s.selector, c, entry);
    check_kind(l, s, t, path, c);
  }
  for (const auto& k : s.keys)
    if (k.bind && k.spec.name != s.selector) k.bind->read(l, t, path, k.spec.name, c, entry);
  if (s.read_more) s.read_more(l, t, path, c, entry);
  for (const auto& k : s.keys) check_range(l, k, t, path, c, entry);
}

void read_section(const loader& l, const section_def& s, run_config& c) {
  // The top level's one key, the material, is merged in before anything is read.
  if (s.spec.name.empty() || s.spec.nested || s.spec.foreign) return;
  const std::string name(s.spec.name);
  if (s.entries) {
    const auto list = l.tables_at(l.doc, "", name, s.key_names);
    if (!list) return;
    s.entries->reset(c, list->size());  // a given array replaces the defaults whole
    for (std::size_t i = 0; i < list->size(); ++i) read_keys(l, s, *(*list)[i], indexed(name, i), c, i);
  } else if (const auto* t = l.table_at(l.doc, "", name, s.key_names)) {
    read_keys(l, s, *t, name, c, 0);
  }
}

template <class Named>
void check_unique_names(const loader& l, const std::vector<Named>& items, const char* section) {
  for (std::size_t i = 0; i < items.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (items[i].name == items[j].name) {
        const std::string p = indexed(section, i) + ".name";
        const auto* n = l.doc.at_path(p).node();
        const std::string shown = n ? show(*n) : quote(items[i].name);
        l.fail_at(p, p + " = " + shown + ": duplicate of " + indexed(section, j) + ".name; names must be unique");
      }
}

// The values of a list of variants ([series] values, protocol.temperatures_k)
// must differ as numbers: two equal ones would be one variant run twice into
// one subdirectory, and equal temperatures leave an Arrhenius fit nothing to
// fit. (Labels and subdirectories show each value exactly, so values that
// differ as numbers never share one.)
void check_distinct(const loader& l, const std::vector<double>& values, const std::string& key) {
  for (std::size_t i = 0; i < values.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (values[i] == values[j])
        l.fail_at(key, key + ": " + indexed(key, j) + " = " + format_plain(values[j]) + " and " + indexed(key, i) +
                           " = " + format_plain(values[i]) + " are the same value; each variant needs its own");
}


// The lowest temperature at which every hop of the material still has a
// normal (not underflowed) base rate Γ0 exp(-Ea/kT): below it the slowest
// species (class) stops, and where every one does the automatic step becomes
// p_max / 0 = inf. Sets `slowest` to the hop that sets the bound; 0 if none does.
double lowest_temperature_k(const kmc::device_params& d, std::string& slowest) {
  constexpr double smallest_rate = std::numeric_limits<double>::min();
  double lowest = 0;
  for (std::size_t ci = 0; ci < d.classes.size(); ++ci)
    for (std::size_t si = 0; si < d.species.size(); ++si) {
      const double nu = d.species[si].attempt_frequency_hz * d.classes[ci].attempt_frequency_scale;
      const double ea = d.species[si].activation_energy_ev + d.classes[ci].activation_shift_ev;
      if (!(ea > 0) || !(nu > smallest_rate)) continue;
      const double exact = ea / (kmc::boltzmann_ev_per_k * (std::log(nu) - std::log(smallest_rate)));  // nu / min overflows
      // In tenths of a kelvin, rounded up until the engine's own rate (det_exp
      // flushes a little earlier than std::exp) is normal there.
      double tenths = std::ceil(exact * 10);
      for (int k = 0; k < 1000 && !(kmc::base_hop_rate(nu, ea, tenths / 10) >= smallest_rate); ++k) tenths += 1;
      const double t = tenths / 10;
      if (t > lowest) {
        lowest = t;
        slowest = indexed("species", si) + (d.classes.size() > 1 ? " on " + indexed("rail_class", ci) : "") +
                  " (Ea = " + format_plain(ea) + " eV, Γ0 = " + format_short(nu) + " Hz)";
      }
    }
  return lowest;
}

// A temperature the user gave (KEY = T) must leave the hop rates representable.
void check_temperature(const loader& l, const kmc::device_params& d, const std::string& key, double t,
                       const toml::node* node) {
  std::string slowest;
  const double lowest = lowest_temperature_k(d, slowest);
  if (!(t < lowest)) return;
  const std::string what = "hop rates underflow (Γ0 exp(-Ea/kT) < " + format_short(std::numeric_limits<double>::min()) +
                           " /s for " + slowest + "): the lowest temperature this material allows is " +
                           format_plain(lowest) + " K";
  if (node) l.fail(key, *node, what);
  l.fail_at(key, key + " = " + format_number(t) + ": " + what);
}

// What depends on several keys: the engine's ranges, names, distinct variant
// values, temperatures the material allows, the waveform's contents, the
// trace size and the sync step.
void check_across_keys(const loader& l, run_config& c) {
  const auto& p = c.protocol;
  check_distinct(l, c.series_values, "series.values");
  check_distinct(l, c.temperatures_k, "protocol.temperatures_k");
  l.checked([&] { kmc::validate(c.device); });
  // Before the step is derived from them: a rate that underflows would show
  // up as "sim.dt_s = inf", a key the user never set.
  if (c.temperatures_k.empty())
    check_temperature(l, c.device, "device.temperature_k", c.device.temperature_k,
                      l.doc.at_path("device.temperature_k").node());
  for (std::size_t i = 0; i < c.temperatures_k.size(); ++i)
    check_temperature(l, c.device, indexed("protocol.temperatures_k", i), c.temperatures_k[i], nullptr);
  check_unique_names(l, c.device.species, "species");
  check_unique_names(l, c.device.classes, "rail_class");
  l.checked([&] { kmc::validate(c.sim); });
  l.checked([&] { kmc::validate(c.device, c.sim); });
  l.checked([&] { kmc::validate(c.protocol); });
  kmc::protocol_drive drive;
  if (p.kind == kmc::protocol_kind::waveform) {
    try {
      drive = kmc::make_drive(p);
    } catch (const std::invalid_argument& e) {
      if (const auto* n = l.doc.at_path("protocol.waveform_csv").node())
        l.fail("protocol.waveform_csv", *n, one_line(e.what()));
      l.fail_at("protocol.waveform_csv", one_line(e.what()));
    }
  } else {
    drive = kmc::make_drive(p);
  }

  // The trace: one row per sample_every_s over the drive (held in memory).
  const double rows = drive.duration_s / p.sample_every_s;
  if (!(rows <= max_trace_rows)) {
    const std::string key = "protocol.sample_every_s";
    const std::string what = "gives " + format_short(std::floor(rows) + 1) + " trace rows over the " +
                             format_plain(drive.duration_s) + " s protocol; at most " + format_short(max_trace_rows) +
                             ": sample less often";
    if (const auto* n = l.doc.at_path(key).node()) l.fail(key, *n, what);
    l.fail_at(key, key + " = " + format_number(p.sample_every_s) + " (default): " + what);
  }

  // The time-averaged profile's window against the protocol's duration and sample times.
  l.checked([&] { kmc::validate_average_window(p, drive.duration_s); });

  // A given sync step must keep every hop probability below 1: (Γ+ + Γ−) dt
  // at the largest rate the applied field alone can give (space charge can
  // only raise it; the run still checks every rate table it builds).
  if (c.sim.solver == kmc::method::sync && c.sim.dt_s > 0) {
    const double volts = drive.voltage->max_abs_voltage();
    const double rate = kmc::max_rate_sum(c.device, volts / (c.device.thickness_nm * 1e-9));
    const double probability = rate * c.sim.dt_s;
    if (!(probability < 1)) {
      const std::string what = "the hop probability (rate right + rate left) x dt reaches " + format_short(probability) +
                               " at |V| = " + format_plain(volts) + " V (largest total hop rate " + format_short(rate) +
                               " /s at T = " + format_plain(c.device.temperature_k) + " K); must be < 1: dt_s < " +
                               format_short(1 / rate) + " s, or dt_s = 0 for the automatic step";
      if (const auto* n = l.doc.at_path("sim.dt_s").node()) l.fail("sim.dt_s", *n, what);
      l.fail_at("sim.dt_s", "sim.dt_s = " + format_number(c.sim.dt_s) + ": " + what);
    }
  }
}

// The material: the run file's `material`, unless --set names another;
// merged into the document first, so that the run file overrides it.
void merge_material(loader& l, run_config& c, const toml::table& run, const std::vector<override_item>& sets) {
  std::string material_ref, named_by = c.path;
  const toml::node* material_node = run.get("material");
  for (const auto& s : sets)
    if (s.key == "material") material_node = &s.value(), named_by = set_origin;
  if (material_node) {
    const auto* str = material_node->as_string();
    if (!str) {
      const std::string at = named_by == set_origin ? named_by : where({c.path, material_node->source().begin.line});
      throw config_error(at + ": material = " + show(*material_node) + ": expected a string (a material file)");
    }
    material_ref = str->get();
  }
  if (material_ref.empty()) return;
  const std::string at = named_by == set_origin ? named_by : where({c.path, material_node->source().begin.line});
  std::vector<std::string> tried;
  c.material_path = resolve(material_ref, named_by, tried);
  if (c.material_path.empty()) throw config_error(at + ": material = " + quote(material_ref) + ": " + tried_text(tried));
  std::string text, why;
  if (!read_text(c.material_path, text, why))
    throw config_error(at + ": material = " + quote(material_ref) + ": cannot open '" + c.material_path + "' (" + why +
                       ")");
  const toml::table material = parse_toml(c.material_path, text);
  for (auto&& [k, v] : material) {
    if (in_material(k.str())) continue;
    const std::string key(k.str());
    const origin o{c.material_path, v.source().begin.line};
    if (key == "material")
      throw config_error(where(o) + ": " + describe(key, v) + ": a material file cannot include another material");
    if (contains(top_level_keys(), key))
      throw config_error(where(o) + ": " + key + ": a material file holds only " + material_sections_text() + "; put [" +
                         key + "] in the run file");
  }
  l.merge(l.doc, material, "", c.material_path);
}

}  // namespace

run_config load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::vector<override_item> sets;
  for (const auto& text : overrides) sets.push_back(parse_override(text));

  run_config c;
  c.path = path;
  c.title = fs::path(path).stem().string();
  loader l(path);

  std::string text, why;
  if (!read_text(path, text, why)) throw config_error(path + ": cannot open the run file (" + why + ")");
  const toml::table run = parse_toml(path, text);
  for (auto&& [k, v] : run)
    if (v.is_table() || v.is_array_of_tables()) c.sections.emplace_back(k.str());
  merge_material(l, c, run, sets);
  l.merge(l.doc, run, "", path);
  for (const auto& s : sets) l.apply(s);

  for (auto&& [k, v] : l.doc)
    if (!contains(top_level_keys(), k.str())) l.unknown(std::string(k.str()), v, k.str(), "", top_level_keys());
  for (const auto& s : schema()) read_section(l, s, c);
  check_across_keys(l, c);
  return c;
}

}  // namespace ionrail::config
