// [fit], [[fit.curve]] and [[fit.parameter]]: a measurement file of
// `ionrail fit` (docs/measurements.md). The [fit] keys are read from their
// declarations; the curves and parameters by read_fit_lists, which checks
// each bound against the material key's own range (kmc::validate) and the
// start value against the bounds, naming the file and line.
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <ionrail/calibration/measurement.hpp>
#include <ionrail/kmc/params.hpp>

#include "message_text.hpp"
#include "schema_tables.hpp"

namespace ionrail::config::detail {
namespace {

using calibration::fit_curve_spec;
using calibration::fit_parameter_name;
using calibration::fit_parameter_spec;
using calibration::fit_scale;

const choices<fit_parameter_name>& parameter_names() {
  static const choices<fit_parameter_name> names{
      {"activation_energy_ev", fit_parameter_name::activation_energy_ev},
      {"attempt_frequency_hz", fit_parameter_name::attempt_frequency_hz},
      {"fill", fit_parameter_name::fill},
      {"ion_density_m3", fit_parameter_name::ion_density_m3},
      {"rel_permittivity", fit_parameter_name::rel_permittivity},
      {"g0_s", fit_parameter_name::g0_s},
      {"g1_s", fit_parameter_name::g1_s}};
  return names;
}

void require(const loader& l, const toml::table& e, const std::string& p, std::string_view key, const char* what) {
  if (!e.contains(key)) l.fail_at(p, p + "." + std::string(key) + " is missing: " + what);
}

void read_curves(const loader& l, const toml::table& t, const std::string& path, run_config& c) {
  const auto entries = l.tables_at(t, path, "curve", section_named("fit.curve").key_names);
  if (!entries) return;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const toml::table& e = *(*entries)[i];
    const std::string p = indexed(join(path, "curve"), i);
    fit_curve_spec s;
    require(l, e, p, "file", "every curve names its measured CSV");
    l.get_path(e, p, "file", false, s.file);
    l.get_path(e, p, "waveform", false, s.waveform);
    s.label = std::filesystem::path(s.file).stem().string();
    l.get(e, p, "label", s.label);
    if (l.get(e, p, "temperature_k", s.temperature_k) && !(s.temperature_k > 0 && s.temperature_k <= 5000))
      l.fail(p + ".temperature_k", *e.get("temperature_k"), "must be in (0, 5000] K");
    if (l.get(e, p, "weight", s.weight) && !(s.weight > 0 && std::isfinite(s.weight)))
      l.fail(p + ".weight", *e.get("weight"), "must be finite and > 0");
    c.fit.curves.push_back(s);
  }
}

void read_parameters(const loader& l, const toml::table& t, const std::string& path, run_config& c) {
  const auto entries = l.tables_at(t, path, "parameter", section_named("fit.parameter").key_names);
  if (!entries) return;
  // The bounds are checked against the material key's range by the engine's
  // own validation, on the material as given (if that is invalid, its own
  // error comes later from the loader, naming the material key).
  bool device_valid = true;
  try {
    kmc::validate(c.device);
  } catch (const std::invalid_argument&) {
    device_valid = false;
  }
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const toml::table& e = *(*entries)[i];
    const std::string p = indexed(join(path, "parameter"), i);
    fit_parameter_spec s;
    s.line = e.source().begin.line;
    require(l, e, p, "name", "every parameter names the material parameter it varies");
    require(l, e, p, "lower", "every parameter has bounds lower and upper");
    require(l, e, p, "upper", "every parameter has bounds lower and upper");
    l.get_choice(e, p, "name", parameter_names(), s.name);
    for (std::size_t j = 0; j < c.fit.parameters.size(); ++j)
      if (c.fit.parameters[j].name == s.name)
        l.fail(p + ".name", *e.get("name"), "already fitted by " + indexed(join(path, "parameter"), j));
    if (s.name == fit_parameter_name::fill && c.device.species.at(0).ions > 0)
      l.fail(p + ".name", *e.get("name"), "the material gives species[0].ions, not fill: fit fill only for a "
                                          "species given by fill");
    l.get(e, p, "lower", s.lower);
    l.get(e, p, "upper", s.upper);
    l.get_choice(e, p, "scale", choices<fit_scale>{{"linear", fit_scale::linear}, {"log", fit_scale::log}}, s.scale);
    if (!std::isfinite(s.lower)) l.fail(p + ".lower", *e.get("lower"), "must be finite");
    if (!std::isfinite(s.upper)) l.fail(p + ".upper", *e.get("upper"), "must be finite");
    if (!(s.lower < s.upper))
      l.fail(p + ".upper", *e.get("upper"), "must be > lower = " + format_number(s.lower));
    if (s.scale == fit_scale::log && !(s.lower > 0))
      l.fail(p + ".lower", *e.get("lower"), "must be > 0 for scale = \"log\"");
    if (device_valid)
      for (const char* bound : {"lower", "upper"}) {
        kmc::device_params d = c.device;
        const double v = std::string(bound) == "lower" ? s.lower : s.upper;
        calibration::set_parameter(d, s.name, v);
        try {
          kmc::validate(d);
        } catch (const std::invalid_argument& why) {
          l.fail(p + "." + bound, *e.get(bound),
                 std::string("outside the range of the material key ") + calibration::material_key(s.name) + " (" +
                     why.what() + ")");
        }
      }
    s.start = calibration::get_parameter(c.device, s.name);
    if (e.contains("start")) {
      l.get(e, p, "start", s.start);
      if (!(s.start >= s.lower && s.start <= s.upper))
        l.fail(p + ".start", *e.get("start"),
               "must be within the bounds [" + format_number(s.lower) + ", " + format_number(s.upper) + "]");
    } else if (!(s.start >= s.lower && s.start <= s.upper)) {
      l.fail_at(p, p + ": the material's " + calibration::material_key(s.name) + " = " + format_number(s.start) +
                       " (the start) is outside the bounds [" + format_number(s.lower) + ", " +
                       format_number(s.upper) + "]: give start, or bounds that contain it");
    }
    c.fit.parameters.push_back(s);
  }
}

void read_fit_lists(const loader& l, const toml::table& t, const std::string& path, run_config& c, std::size_t) {
  c.fit.curves.clear();
  c.fit.parameters.clear();
  read_curves(l, t, path, c);
  read_parameters(l, t, path, c);
  if ((t.contains("curve") || t.contains("parameter")) && (c.fit.curves.empty() || c.fit.parameters.empty()))
    l.fail_at(path, path + ": a fit needs at least one [[fit.curve]] and one [[fit.parameter]]");
}

// The curves and parameters in the resolved JSON: the checkpoint of a fit is
// resumed only with the same ones.
void write_fit_lists(toml::table& out, const run_config& c, std::size_t) {
  toml::array curves, parameters;
  for (const auto& s : c.fit.curves) {
    toml::table e;
    e.insert("file", s.file);
    e.insert("waveform", s.waveform);
    e.insert("label", s.label);
    e.insert("temperature_k", s.temperature_k);
    e.insert("weight", s.weight);
    curves.push_back(std::move(e));
  }
  for (const auto& s : c.fit.parameters) {
    toml::table e;
    e.insert("name", calibration::to_string(s.name));
    e.insert("lower", s.lower);
    e.insert("upper", s.upper);
    e.insert("scale", s.scale == fit_scale::log ? "log" : "linear");
    e.insert("start", s.start);
    parameters.push_back(std::move(e));
  }
  out.insert("curve", std::move(curves));
  out.insert("parameter", std::move(parameters));
}

}  // namespace

section_def fit_section() {
  auto s = plain_section({"fit", "used by `ionrail fit`: measured curves and the parameters fitted to them "
                                 "(docs/measurements.md)"});
  s.read_more(read_fit_lists).write_more(write_fit_lists);
  s.key("rails", [](auto& c) -> auto& { return c.fit.rails; })
      .unit("rails").range(closed(0, 1e7)).note("(0: device.rails)")
      .doc("rails of the model device at every evaluation: its ensemble, whose mean is compared with the data");
  s.key("seed", [](auto& c) -> auto& { return c.fit.seed; })
      .range(at_least(0)).doc("the one seed of every evaluation (common random numbers: a smooth objective)");
  s.key("max_evaluations", [](auto& c) -> auto& { return c.fit.max_evaluations; })
      .range(closed(1, 100000)).doc("optimiser evaluations at most (each runs every curve once)");
  s.choice("algorithm", [](auto& c) -> auto& { return c.fit.algorithm; },
           choices<calibration::fit_algorithm>{{"bobyqa", calibration::fit_algorithm::bobyqa},
                                               {"neldermead", calibration::fit_algorithm::neldermead},
                                               {"sbplx", calibration::fit_algorithm::sbplx},
                                               {"cobyla", calibration::fit_algorithm::cobyla}})
      .doc("NLopt's derivative-free algorithm (LN_BOBYQA, LN_NELDERMEAD, LN_SBPLX, LN_COBYLA)");
  s.key("rel_tolerance", [](auto& c) -> auto& { return c.fit.rel_tolerance; })
      .range(closed(1e-9, 0.5)).doc("stop once a step moves every parameter by less than this fraction of its range");
  s.key("jacobian_step", [](auto& c) -> auto& { return c.fit.jacobian_step; })
      .range(closed(1e-4, 0.25))
      .doc("finite-difference step of the uncertainties, as a fraction of each parameter's range (in its scale)");
  s.key("refine_steps", [](auto& c) -> auto& { return c.fit.refine_steps; })
      .range(closed(0, 20))
      .doc("Gauss-Newton steps at most from the optimiser's best point (each: a Jacobian, then the step; it stops "
           "when a step is below a quarter of every sigma): reach the bottom of a narrow valley that the KMC noise "
           "hides from the derivative-free search");
  s.key("replicates", [](auto& c) -> auto& { return c.fit.replicates; })
      .range(closed(0, 64))
      .doc("other seeds at the optimum whose spread gives the uncertainty due to the model's own draw (0: none)");
  s.key("replicate_steps", [](auto& c) -> auto& { return c.fit.replicate_steps; })
      .range(closed(1, 20))
      .doc("Gauss-Newton steps at most that each replicate seed walks from the optimum to its own fixed point (with "
           "the fit's Jacobian; it stops once a step is below a quarter of every sigma); 1: the linearised shift "
           "alone, which understates a weakly fixed direction's spread");
  s.key("device_rails", [](auto& c) -> auto& { return c.fit.device_rails; })
      .range(closed(0, 2000000000))
      .doc("rails of the measured device where it is itself a KMC ensemble (synthetic data): its own draw adds the "
           "model draw's covariance times fit.rails / device_rails to the uncertainties (0: none, a real device)");
  s.key("step_check_seeds", [](auto& c) -> auto& { return c.fit.step_check_seeds; })
      .range(closed(0, 64))
      .doc("seeds at which the optimum is evaluated again with the sync solver's step halved: the shift of every "
           "parameter to the continuous-time limit, warned about where it exceeds the parameter's sigma (0: no "
           "check)");
  s.key("profile", [](auto& c) -> auto& { return c.fit.profile; })
      .doc("also the profile likelihood of every identifiable parameter: held at ±1, ±2 and ±3 sigma, the others "
           "minimised again; its (possibly asymmetric) 1-sigma interval in fit.json and report.md");
  s.key("profile_evaluations", [](auto& c) -> auto& { return c.fit.profile_evaluations; })
      .range(closed(1, 10000)).doc("optimiser evaluations per profile point (6 points per parameter)");
  s.hand("curve", value_type::tables)
      .note("see below").default_doc("none")
      .doc("the measured curves, one entry each");
  s.hand("parameter", value_type::tables)
      .note("see below").default_doc("none")
      .doc("the material parameters fitted, one entry each");
  return s.done();
}

section_def fit_curve_section() {
  auto s = plain_section({"fit.curve", "a measured curve"});
  s.nested();
  s.hand("file", value_type::file).note("(*loader*)").default_doc("required")
      .doc("the measured CSV: t_s, the response g_s or i_a, optionally v_v and g_sigma_s / i_sigma_a");
  s.hand("waveform", value_type::file).note("(*loader*)").default_doc("none: the file's v_v column")
      .doc("the applied V(t) as a waveform CSV (time_s, volts), e.g. a pulse train read between pulses");
  s.hand("label", value_type::string).default_doc("the file's stem").doc("the curve's name in the report");
  s.hand("temperature_k", value_type::number)
      .unit("K").interval("(0, 5000]").note("(*loader*)").default_doc("device.temperature_k")
      .doc("the temperature it was measured at");
  s.hand("weight", value_type::number).interval("> 0").note("(*loader*)").default_doc("1")
      .doc("multiplies the curve's residuals");
  return s.done();
}

section_def fit_parameter_section() {
  auto s = plain_section({"fit.parameter", "a fitted material parameter"});
  s.nested();
  s.hand("name", value_type::string).note("(*loader*)").default_doc("required")
      .doc("activation_energy_ev, attempt_frequency_hz, fill (species[0]); ion_density_m3, rel_permittivity; g0_s, "
           "g1_s");
  s.hand("lower", value_type::number).interval("within the material key's range").note("(*loader*)")
      .default_doc("required").doc("lower bound");
  s.hand("upper", value_type::number).interval("> lower, within the material key's range").note("(*loader*)")
      .default_doc("required").doc("upper bound");
  s.hand("scale", value_type::string).note("linear or log (*loader*)").default_doc("linear")
      .doc("the optimiser's coordinate: the value, or its log10 (for a parameter spanning decades)");
  s.hand("start", value_type::number).interval("[lower, upper]").note("(*loader*)")
      .default_doc("the material's value").doc("where the optimiser starts");
  return s.done();
}

}  // namespace ionrail::config::detail
