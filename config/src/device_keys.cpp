// [device], [[species]], [[rail_class]], [[device.site_energy]], [field] and
// [readout]: the kmc::device_params a material gives. kmc::validate()
// (kmc/src/params.cpp) checks their ranges, and relates them to each other;
// the ranges here say the same for the docs and test_config_schema.
#include <cstddef>
#include <string>

#include <ionrail/kmc/params.hpp>

#include "schema_tables.hpp"

namespace ionrail::config::detail {
namespace {

// The landscape (a CSV or ranges) and the initial profile: read after the
// declared keys, since ranges are laid onto device.sites sites.
void read_device_files(const loader& l, const toml::table& t, const std::string& path, run_config& c, std::size_t) {
  auto& d = c.device;
  if (t.contains("site_energy_csv") && t.contains("site_energy"))
    l.fail_at("device.site_energy",
              "device.site_energy and device.site_energy_csv are mutually exclusive: give the landscape one way");
  if (t.contains("site_energy_csv"))
    d.site_energy_ev = l.values_csv(t, path, "site_energy_csv");
  else
    d.site_energy_ev = l.ranges(t, path, d.sites, section_named("device.site_energy").key_names);
  d.initial_profile = l.values_csv(t, path, "initial_profile_csv");
}

// What the files and ranges gave, and numbers derived from the keys.
void write_device_extras(toml::table& out, const run_config& c, std::size_t) {
  const auto& d = c.device;
  field_traits<std::vector<double>>::write(out, "site_energy_ev", d.site_energy_ev);
  field_traits<std::vector<double>>::write(out, "initial_profile", d.initial_profile);
  out.insert("ions_per_rail", d.ions_per_rail());
  out.insert("spacing_nm", d.thickness_nm / d.sites);
}

void read_class_landscape(const loader& l, const toml::table& t, const std::string& path, run_config& c,
                          std::size_t entry) {
  c.device.classes[entry].site_energy_ev =
      l.ranges(t, path, c.device.sites, section_named("device.site_energy").key_names);
}

// A species gives its ions one way: per site (fill) or per rail (ions).
void check_species_count(const loader& l, const toml::table& t, const std::string& path, run_config&, std::size_t) {
  if (t.contains("fill") && t.contains("ions"))
    l.fail_at(path + ".ions", path + ".fill and " + path + ".ions are mutually exclusive: give the ions of a species "
                              "one way, per site (fill) or per rail (ions)");
}

void write_class_landscape(toml::table& out, const run_config& c, std::size_t entry) {
  field_traits<std::vector<double>>::write(out, "site_energy_ev", c.device.classes[entry].site_energy_ev);
}

}  // namespace

section_def device_section() {
  auto s = plain_section({"device", "the film, its sites and rails"});
  s.in_material().engine_checked().read_more(read_device_files).write_more(write_device_extras);
  s.key("thickness_nm", [](auto& c) -> auto& { return c.device.thickness_nm; })
      .unit("nm").range(greater_than(0)).doc("film thickness d between the two blocking electrodes");
  s.key("sites", [](auto& c) -> auto& { return c.device.sites; })
      .range(closed(2, 65533)).doc("trapping sites per rail L; spacing a = d / L");
  s.key("rails", [](auto& c) -> auto& { return c.device.rails; })
      .range(closed(1, kmc::max_rails))
      .doc("independent 1-D rails simulated (and within the machine's memory: see below)");
  s.key("temperature_k", [](auto& c) -> auto& { return c.device.temperature_k; })
      .unit("K").range(greater_than(0)).doc("temperature T in Γ0 = ν0 exp(−Ea / kB T)");
  s.key("zones", [](auto& c) -> auto& { return c.device.zones; })
      .range(closed(1, 65533)).interval("[1, sites]")
      .doc("equal zones of the occupancy histogram; the first and last give f_L and f_R");
  s.key("area_um2", [](auto& c) -> auto& { return c.device.area_um2; })
      .unit("µm²").range(open_closed(0, 1e12)).doc("device area, scales the per-rail ionic current to the device (at most 1 m²: "
                                                   "a current past that overflowed)");
  s.key("rails_per_area_m2", [](auto& c) -> auto& { return c.device.rails_per_area_m2; })
      .unit("m⁻²").range(closed(0, 1e30))
      .doc("rails per area for that scaling; 0: c0·d / n if `ion_density_m3` > 0, else 1/a²");
  s.hand("site_energy_csv", value_type::file)
      .note("one finite value per site").default_doc("none")
      .doc("site energies ε_i (eV) from a file; `\"\"`: flat");
  s.hand("initial_profile_csv", value_type::file)
      .note("one weight ≥ 0 per site; at least n sites with weight > 0").default_doc("none (uniform)")
      .doc("relative weight of each site when placing the initial ions");
  s.hand("site_energy", value_type::tables)
      .note("see below").default_doc("none (flat)")
      .doc("site energies as ranges instead of a CSV (mutually exclusive with `site_energy_csv`)");
  return s.done();
}

section_def site_energy_section() {
  auto s = plain_section({"device.site_energy", "a range of sites with an energy added"});
  s.nested();
  s.hand("first_site", value_type::integer)
      .interval("[0, sites − 1]").note("(*loader*)").default_doc("required")
      .doc("first site of the range (sites count from 0)");
  s.hand("last_site", value_type::integer)
      .interval("[first_site, sites − 1]").note("(*loader*)").default_doc("required")
      .doc("last site, inclusive");
  s.hand("energy_ev", value_type::number)
      .unit("eV").interval("finite").note("(*loader*)").default_doc("required")
      .doc("ε added to every site of the range (negative: a trap)");
  return s.done();
}

section_def species_section() {
  auto s = table_list_section({"species", "the mobile ions"}, [](auto& c) -> auto& { return c.device.species; });
  s.in_material().engine_checked().read_more(check_species_count);
  s.key("name", [](auto& e) -> auto& { return e.name; }).note("unique among species (*loader*)").doc("label in outputs");
  s.key("charge", [](auto& e) -> auto& { return e.charge; })
      .unit("e").range(closed(-8, 8)).note("and not 0").doc("charge number z");
  s.key("activation_energy_ev", [](auto& e) -> auto& { return e.activation_energy_ev; })
      .unit("eV").range(closed(0, 10)).doc("activation energy Ea");
  s.key("attempt_frequency_hz", [](auto& e) -> auto& { return e.attempt_frequency_hz; })
      .unit("Hz").range(greater_than(0)).doc("attempt frequency ν0");
  s.key("fill", [](auto& e) -> auto& { return e.fill; })
      .unit("ions per site").range(closed(0, 1)).doc("ions per rail n_s = round(fill · sites)");
  s.key("ions", [](auto& e) -> auto& { return e.ions; })
      .unit("ions per rail").range(at_least(1)).interval("[1, sites]").checked_by_loader()
      .note("and not given with `fill`").default_doc("none (from `fill`)")
      .doc("ions per rail n_s directly, instead of `fill`; the resolved parameters show 0 when `fill` gave them");
  return s.done();
}

section_def rail_class_section() {
  auto s = table_list_section({"rail_class", "rails with kinetics of their own"},
                              [](auto& c) -> auto& { return c.device.classes; });
  s.in_material().engine_checked().read_more(read_class_landscape).write_more(write_class_landscape);
  s.key("name", [](auto& e) -> auto& { return e.name; }).note("unique among classes (*loader*)").doc("label in outputs");
  s.key("fraction", [](auto& e) -> auto& { return e.fraction; })
      .range(open_closed(0, 1)).note("and the fractions sum to 1; round(fraction · rails) ≥ 1")
      .doc("share of the rails in this class (a contiguous block)");
  s.key("activation_shift_ev", [](auto& e) -> auto& { return e.activation_shift_ev; })
      .unit("eV").range(closed(-10, 10)).note("and Ea + shift ≥ 0").doc("added to every species' Ea on these rails");
  s.key("attempt_frequency_scale", [](auto& e) -> auto& { return e.attempt_frequency_scale; })
      .range(greater_than(0)).doc("multiplies every species' ν0 on these rails");
  s.hand("site_energy", value_type::tables)
      .note("as for the device").default_doc("none")
      .doc("this class's own landscape; replaces the device landscape on these rails (none: the device landscape)");
  return s.done();
}

section_def field_section() {
  auto s = plain_section({"field", "mean-field space charge"});
  s.in_material().engine_checked();
  s.key("ion_density_m3", [](auto& c) -> auto& { return c.device.ion_density_m3; })
      .unit("m⁻³").range(closed(0, 1e30)).doc("mobile-ion density c0; 0 switches space charge off");
  s.key("rel_permittivity", [](auto& c) -> auto& { return c.device.rel_permittivity; })
      .range(greater_than(0)).doc("relative permittivity εr of the film");
  s.key("per_class", [](auto& c) -> auto& { return c.device.field_per_class; })
      .doc("average the occupancy per rail class instead of over all rails");
  s.key("field_every", [](auto& c) -> auto& { return c.sim.field_every; })
      .unit("steps").range(at_least(1)).doc("`sync`: refresh the field every this many steps");
  return s.done();
}

section_def readout_section() {
  auto s = plain_section({"readout", "electronic conductance"});
  s.in_material().engine_checked();
  s.choice("source", [](auto& c) -> auto& { return c.device.readout.source; },
           choices<kmc::readout_source>{{"f_right", kmc::readout_source::f_right},
                                        {"f_left", kmc::readout_source::f_left}})
      .doc("state s read from the last or the first zone");
  s.key("g0_s", [](auto& c) -> auto& { return c.device.readout.g0_s; })
      .unit("S").range(closed(-1e3, 1e3)).doc("conductance at uniform filling");
  s.key("g1_s", [](auto& c) -> auto& { return c.device.readout.g1_s; })
      .unit("S").range(closed(-1e3, 1e3)).doc("dG/ds: G = clamp(g0 + g1 (s − s_eq), g_min, g_max)");
  s.key("g_min_s", [](auto& c) -> auto& { return c.device.readout.g_min_s; })
      .unit("S").range(closed(0, 1e3)).doc("lower clamp");
  s.key("g_max_s", [](auto& c) -> auto& { return c.device.readout.g_max_s; })
      .unit("S").range(closed(0, 1e3)).interval("[g_min_s, 1000]").doc("upper clamp");
  return s.done();
}

}  // namespace ionrail::config::detail
