// The configuration schema (config/src/*_keys.cpp): every declared key can
// be set with --set and comes back in the resolved-parameters JSON (so it is
// part of the checkpoint fingerprint), every declared range is refused just
// past both ends (by the loader or by kmc::validate), and the generated docs
// refuse a template that leaves keys out. docs/config.md and
// tests/fuzz/config.dict being up to date is the config_docs_up_to_date test.
#include <gtest/gtest.h>

#include <ionrail/config/run_config.hpp>
#include <ionrail/config/schema.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "scratch.hpp"

namespace {

namespace fs = std::filesystem;
using ionrail::config::checked_by;
using ionrail::config::config_error;
using ionrail::config::key_spec;
using ionrail::config::load_run_config;
using ionrail::config::schema_keys;
using ionrail::config::schema_sections;
using ionrail::config::value_type;
using json = nlohmann::json;

// A fresh directory per test (tests/support/scratch.hpp).
struct scratch : ionrail_test::scratch {
  scratch() : ionrail_test::scratch("ionrail_schema_") {}
};

std::string full_name(const key_spec& k) {
  return k.section.empty() ? std::string(k.name) : std::string(k.section) + "." + std::string(k.name);
}

bool is_array_section(std::string_view name) {
  for (const auto& s : schema_sections())
    if (s.name == name) return s.array_of_tables;
  return false;
}

// The dotted key --set takes: species[0].fill for an array of tables.
std::string set_key(const key_spec& k) {
  if (k.section.empty()) return std::string(k.name);
  return std::string(k.section) + (is_array_section(k.section) ? "[0]." : ".") + std::string(k.name);
}

// Where the key's value is in the resolved JSON.
const json& json_value(const json& root, const key_spec& k) {
  if (k.section.empty()) return root.at(std::string(k.name));
  const json& section = root.at(std::string(k.section));
  return (section.is_array() ? section.at(0) : section).at(std::string(k.name));
}

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool integral(const key_spec& k) { return k.type == value_type::integer || k.type == value_type::count; }

// A loaded run file with nothing in it but what every key needs to show in
// the JSON: a crossbar and snn table, a series.
struct fixture {
  scratch s;
  std::string run = s.write("run.toml", "");
  std::string table = s.mkdir("table");
  std::vector<std::string> base{"crossbar.table=" + table, "snn.table=" + table, "series.key=device.rails",
                                "series.values=[10]"};

  json load(const std::vector<std::string>& sets) const {
    std::vector<std::string> all = base;
    all.insert(all.end(), sets.begin(), sets.end());
    return json::parse(ionrail::config::resolved_parameters_json(load_run_config(run, all)));
  }
  // What a kind-specific key needs set beside it. [crossbar] serves two
  // learners and refuses a key the one trained would not read
  // (docs/config.md): the network's keys need `hidden`, MNIST's an IDX
  // directory as `data`.
  std::vector<std::string> companions(const key_spec& k) const {
    if (k.section == "crossbar") {
      static const std::set<std::string_view> network{"tile_rows",          "tile_cols",       "rule",
                                                      "learning_rate",      "epsilon_s",       "max_pulses",
                                                      "transfer_threshold", "learning_rate_decay",
                                                      "hidden_gain",        "output_gain",     "adc_span",
                                                      "active_input",       "pulse_train_gain", "float_baseline"};
      if (network.count(k.name)) return {"crossbar.hidden=[10]"};
      if (k.name == "pool" || k.name == "test_images") return {"crossbar.data=" + s.mkdir("mnist")};
    }
    if (k.kind.empty()) return {};
    std::vector<std::string> out{std::string(k.section) + ".kind=" + std::string(k.kind)};
    if (k.kind == "waveform")  // (a --set of waveform_csv itself comes later and wins)
      out.push_back(std::string(k.section) + ".waveform_csv=" + s.write("wave.csv", "0,0\n1,1\n"));
    return out;
  }
};

// ---------------------------------------------------------------- declarations

TEST(ConfigSchema, EveryKeyIsDeclaredOnceWithItsMeaning) {
  std::set<std::string> seen;
  std::set<std::string_view> sections;
  for (const auto& s : schema_sections()) EXPECT_TRUE(sections.insert(s.name).second) << s.name;
  std::size_t keys = 0;
  for (const auto& k : schema_keys()) {
    ++keys;
    EXPECT_TRUE(seen.insert(full_name(k)).second) << full_name(k) << " declared twice";
    EXPECT_TRUE(sections.count(k.section)) << full_name(k) << ": no section " << k.section;
    EXPECT_FALSE(k.doc.empty()) << full_name(k) << " has no doc line";
    EXPECT_FALSE(k.default_text.empty()) << full_name(k) << " has no default text";
    if (k.type == value_type::choice) {
      EXPECT_GE(k.choices.size(), 2u) << full_name(k);
    }
    if (k.range) {
      EXPECT_LE(k.range->lo, k.range->hi) << full_name(k);
    }
  }
  EXPECT_GE(keys, 120u);
  // The loader names these in messages the tests above check.
  for (const char* key : {"device.sites", "sim.method", "protocol.kind", "species.fill", "rail_class.site_energy",
                          "device.site_energy.energy_ev", "crossbar.table", "snn.window_steps", "material"})
    EXPECT_TRUE(seen.count(key)) << key;
}

TEST(ConfigSchema, DocsTemplateMustPlaceEverySection) {
  EXPECT_THROW(ionrail::config::config_markdown("# only prose\n"), std::invalid_argument);
  EXPECT_THROW(ionrail::config::config_markdown("{{keys nowhere}}\n"), std::invalid_argument);
  const std::string dict = ionrail::config::fuzz_dictionary();
  for (const char* word : {"\"[device]\"", "\"[[species]]\"", "\"[[rail_class.site_energy]]\"", "\"window_steps\"",
                           "\"\\\"waveform\\\"\"", "\"nan\""})
    EXPECT_NE(dict.find(word), std::string::npos) << word;
}

// ---------------------------------------------------------------- round trips

// Keys read by code of their own: what to set and where it shows in the JSON.
struct special_case {
  std::vector<std::string> sets;
  std::function<void(const json&)> check;
};

std::map<std::string, special_case> hand_read_cases(const fixture& f) {
  std::string energies, weights;
  for (int i = 0; i < 100; ++i) {
    energies += std::to_string(i % 7) + "e-2\n";
    weights += "1\n";
  }
  const std::string material = f.s.write("m.toml", "[device]\nsites = 30\n");
  const std::string energy_csv = f.s.write("e.csv", energies);
  const std::string profile_csv = f.s.write("p.csv", weights);
  const special_case ranges{
      {"device.site_energy[0].first_site=3", "device.site_energy[0].last_site=4", "device.site_energy[0].energy_ev=0.25"},
      [](const json& j) {
        const auto& e = j.at("device").at("site_energy_ev");
        EXPECT_EQ(e.at(3), 0.25);
        EXPECT_EQ(e.at(4), 0.25);
        EXPECT_EQ(e.at(5), 0.0);
      }};
  // [[fit.curve]] and [[fit.parameter]] (a fit needs both): every key of both.
  const std::string fit_csv = f.s.write("fit.csv", "t_s,v_v,g_s\n0,0,1e-5\n1,1,2e-5\n");
  const std::string fit_wave = f.s.write("fit_wave.csv", "0,0\n1,1\n");
  const special_case fit_lists{
      {"fit.curve=[{file = \"" + fit_csv + "\", waveform = \"" + fit_wave +
           "\", label = \"lab\", temperature_k = 310, weight = 2}]",
       "fit.parameter=[{name = \"g1_s\", lower = 1e-5, upper = 1e-3, scale = \"log\", start = 2e-4}]"},
      [fit_csv, fit_wave](const json& j) {
        const auto& c = j.at("fit").at("curve").at(0);
        EXPECT_EQ(c.at("file"), fit_csv);
        EXPECT_EQ(c.at("waveform"), fit_wave);
        EXPECT_EQ(c.at("label"), "lab");
        EXPECT_EQ(c.at("temperature_k"), 310.0);
        EXPECT_EQ(c.at("weight"), 2.0);
        const auto& p = j.at("fit").at("parameter").at(0);
        EXPECT_EQ(p.at("name"), "g1_s");
        EXPECT_EQ(p.at("lower"), 1e-5);
        EXPECT_EQ(p.at("upper"), 1e-3);
        EXPECT_EQ(p.at("scale"), "log");
        EXPECT_EQ(p.at("start"), 2e-4);
      }};
  // [[measured_table.train]]: every key.
  const std::string train_csv = f.s.write("train.csv", "t_s,v_v,width_s,g_s\n0,0,0,1e-5\n0.1,4,0.05,2e-5\n");
  const special_case trains{
      {"measured_table.train=[{file = \"" + train_csv + "\", label = \"lab\", held_out = true}]"},
      [train_csv](const json& j) {
        const auto& t = j.at("measured_table").at("train").at(0);
        EXPECT_EQ(t.at("file"), train_csv);
        EXPECT_EQ(t.at("label"), "lab");
        EXPECT_EQ(t.at("held_out"), true);
      }};
  return {
      {"measured_table.train", trains},
      {"measured_table.train.file", trains},
      {"measured_table.train.label", trains},
      {"measured_table.train.held_out", trains},
      {"fit.curve", fit_lists},
      {"fit.parameter", fit_lists},
      {"fit.curve.file", fit_lists},
      {"fit.curve.waveform", fit_lists},
      {"fit.curve.label", fit_lists},
      {"fit.curve.temperature_k", fit_lists},
      {"fit.curve.weight", fit_lists},
      {"fit.parameter.name", fit_lists},
      {"fit.parameter.lower", fit_lists},
      {"fit.parameter.upper", fit_lists},
      {"fit.parameter.scale", fit_lists},
      {"fit.parameter.start", fit_lists},
      {"material",
       {{"material=" + material},
        [material](const json& j) {
          EXPECT_EQ(j.at("material"), material);
          EXPECT_EQ(j.at("device").at("sites"), 30);
        }}},
      {"device.site_energy_csv",
       {{"device.site_energy_csv=" + energy_csv},
        [](const json& j) { EXPECT_EQ(j.at("device").at("site_energy_ev").at(13), 0.06); }}},
      {"device.initial_profile_csv",
       {{"device.initial_profile_csv=" + profile_csv},
        [](const json& j) { EXPECT_EQ(j.at("device").at("initial_profile").size(), 100u); }}},
      {"device.site_energy", ranges},
      {"device.site_energy.first_site", ranges},
      {"device.site_energy.last_site", ranges},
      {"device.site_energy.energy_ev", ranges},
      {"rail_class.site_energy",
       {{"rail_class[0].site_energy=[{first_site = 2, last_site = 2, energy_ev = -0.125}]"},
        [](const json& j) { EXPECT_EQ(j.at("rail_class").at(0).at("site_energy_ev").at(2), -0.125); }}},
  };
}

// A number near the default, in range, that keeps the run valid.
double other_number(const key_spec& k, double v) {
  // Values the generic rule gets wrong: a sync step must keep hops rare, one
  // class holds every rail.
  if (full_name(k) == "sim.dt_s") return 1e-12;
  if (full_name(k) == "rail_class.fraction") return 1;
  if (integral(k)) return k.range && !k.range->contains(v + 1) ? v - 1 : v + 1;
  if (v != 0) {
    // Half the default, or, where that is out of range (a range that does
    // not reach down to half of it), halfway to the top.
    if (!k.range || k.range->contains(v / 2)) return v / 2;
    return std::isfinite(k.range->hi) ? (v + k.range->hi) / 2 : 2 * v;
  }
  return k.range && std::isfinite(k.range->hi) ? std::min(k.range->hi, 1.0) / 2 : 0.5;
}

TEST(ConfigSchema, EveryKeyRoundTripsThroughSetAndTheJson) {
  fixture f;
  const json defaults = f.load({});
  const auto special = hand_read_cases(f);
  std::size_t checked = 0;
  for (const auto& k : schema_keys()) {
    const std::string name = full_name(k);
    SCOPED_TRACE(name);
    std::vector<std::string> sets = f.companions(k);
    if (k.hand_read) {
      const auto it = special.find(name);
      ASSERT_NE(it, special.end()) << name << " is read by hand: give it a case in hand_read_cases";
      sets.insert(sets.end(), it->second.sets.begin(), it->second.sets.end());
      it->second.check(f.load(sets));
      ++checked;
      continue;
    }
    const json before = sets.empty() ? json_value(defaults, k) : json_value(f.load(sets), k);
    json expected;
    std::string text;
    switch (k.type) {
      case value_type::boolean:
        expected = !before.get<bool>();
        text = expected.dump();
        break;
      case value_type::string:
        expected = name == "series.key" ? "protocol.voltage_v" : "round trip";
        text = expected.dump();
        break;
      case value_type::choice:
        for (auto c : k.choices)
          if (expected.is_null() && std::string(c) != before.get<std::string>()) expected = std::string(c);
        text = expected.get<std::string>();  // a bare word, as on a command line
        break;
      case value_type::integer:
      case value_type::count:
        expected = static_cast<std::int64_t>(other_number(k, before.get<double>()));
        text = expected.dump();
        break;
      case value_type::number:
        expected = other_number(k, before.get<double>());
        text = number_text(expected.get<double>());
        break;
      case value_type::numbers:
        // Temperatures must keep the hop rates representable (not below ~12 K
        // here); hidden layer sizes are whole numbers.
        expected = name == "protocol.temperatures_k" ? json::array({250.5, 350.5})
                   : name == "crossbar.hidden"       ? json::array({16.0, 8.0})
                                                     : json::array({1.5, 2.5});
        text = name == "protocol.temperatures_k" ? "[250.5, 350.5]" : name == "crossbar.hidden" ? "[16, 8]" : "[1.5, 2.5]";
        break;
      case value_type::file:
        text = f.s.write("file_" + std::string(k.name), "0,0\n1,2\n");  // a waveform too
        expected = text;
        break;
      case value_type::directory:
        text = f.s.mkdir("dir_" + std::string(k.name));
        expected = text;
        break;
      case value_type::tables: FAIL() << "an array of tables is read by hand";
    }
    if (k.range && (k.type == value_type::number || integral(k))) {
      EXPECT_TRUE(k.range->contains(expected.get<double>())) << "test value " << expected << " out of range";
    }
    if (name != "rail_class.fraction") {
      EXPECT_NE(expected, before) << "the test value is the default";
    }
    sets.push_back(set_key(k) + "=" + text);
    try {
      EXPECT_EQ(json_value(f.load(sets), k), expected);
    } catch (const config_error& e) {
      ADD_FAILURE() << "refused: " << e.what();
    }
    ++checked;
  }
  EXPECT_EQ(checked, schema_keys().size());
}

// ---------------------------------------------------------------- ranges

// The message of the error loading with SETS gives ("" if it loads).
std::string refusal(const fixture& f, const std::vector<std::string>& sets) {
  try {
    f.load(sets);
  } catch (const config_error& e) {
    return e.what();
  }
  return {};
}

TEST(ConfigSchema, EveryRangeIsRefusedJustPastBothEnds) {
  fixture f;
  std::size_t ends = 0;
  for (const auto& k : schema_keys()) {
    if (!k.range || k.hand_read) continue;
    const std::string name = full_name(k);
    const auto& r = *k.range;
    const auto value_text = [&k](double v) {
      const std::string t = integral(k) ? std::to_string(static_cast<long long>(v)) : number_text(v);
      return k.type == value_type::numbers ? "[" + t + "]" : t;
    };
    const auto expect_refused = [&](double v, const char* end) {
      std::vector<std::string> sets = f.companions(k);
      sets.push_back(set_key(k) + "=" + value_text(v));
      const std::string message = refusal(f, sets);
      EXPECT_NE(message.find(std::string(k.name)), std::string::npos)
          << name << " = " << value_text(v) << " (" << end << " end) is not refused by name: '" << message << "'";
      ++ends;
    };
    const auto expect_accepted = [&](double v) {
      std::vector<std::string> sets = f.companions(k);
      sets.push_back(set_key(k) + "=" + value_text(v));
      EXPECT_EQ(refusal(f, sets), "") << name << " = " << value_text(v) << " is in its range";
    };
    if (std::isfinite(r.lo))
      expect_refused(r.lo_open ? r.lo : (integral(k) ? r.lo - 1 : std::nextafter(r.lo, -HUGE_VAL)), "low");
    if (std::isfinite(r.hi))
      expect_refused(r.hi_open ? r.hi : (integral(k) ? r.hi + 1 : std::nextafter(r.hi, HUGE_VAL)), "high");
    else if (!integral(k))
      expect_refused(HUGE_VAL, "high");  // ranges are finite
    // The loader's own ranges include their closed ends (the engine's relate
    // keys to each other, so an end alone may not load).
    if (k.checker == checked_by::loader) {
      if (std::isfinite(r.lo) && !r.lo_open) expect_accepted(r.lo);
      if (std::isfinite(r.hi) && !r.hi_open) expect_accepted(r.hi);
    }
  }
  EXPECT_GE(ends, 150u);
}

}  // namespace
