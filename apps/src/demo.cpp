#include <ionrail/app/data_dir.hpp>
#include <ionrail/app/demo.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <ionrail/calibration/run_control.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/runs/staged_dir.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/runs/runner.hpp>

namespace fs = std::filesystem;

namespace ionrail::app {
using namespace ::ionrail::runs;  // the library these commands drive

// The libraries this command layer calls.
using namespace ionrail::calibration;
using namespace ionrail::config;
using namespace ionrail::model_io;
namespace {

std::string ordered(const std::vector<double>& v) {
  std::string s;
  for (double x : v) s += fmt::format("{}{:.4g}", s.empty() ? "" : ", ", x);
  return s;
}

bool strictly_increasing(const std::vector<double>& v) {
  for (std::size_t k = 1; k < v.size(); ++k)
    if (!(v[k] > v[k - 1])) return false;
  return true;
}

// State excess over uniform at a time after the voltage was removed.
double excess_after(const variant_result& v, double after_s) { return state_at(v.trace, v.drive_end_s + after_s) - v.s_eq; }

}  // namespace

std::vector<claim> relax_claims(const experiment_result& by_voltage, const experiment_result& by_time) {
  std::vector<claim> out;
  for (const auto* r : {&by_voltage, &by_time}) {
    const std::string what = r == &by_voltage ? "pulse voltage" : "pulse time";
    std::vector<double> peak, later, final_excess, tau;
    for (const auto& v : r->variants) {
      peak.push_back(v.relax.excess_at_start);
      later.push_back(excess_after(v, 5.0));
      final_excess.push_back(std::fabs(v.relax.final_excess) / std::max(1e-12, std::fabs(v.relax.excess_at_start)));
      tau.push_back(v.relax.tau_s);
    }
    out.push_back({"relaxation curves are ordered by " + what + " (excess at release rises with it)", strictly_increasing(peak),
                   "excess over uniform at release: " + ordered(peak)});
    out.push_back({"the order holds 5 s into relaxation", strictly_increasing(later), "excess 5 s after release: " + ordered(later)});
    bool converged = true;
    for (double f : final_excess) converged = converged && f < 0.15;
    out.push_back({"every curve decays back towards uniform filling (below 15 % of its excess at the end)", converged,
                   "final excess / excess at release: " + ordered(final_excess)});
    bool fitted = true;
    for (double t : tau) fitted = fitted && t > 0;
    out.push_back({"the decay is roughly exponential (a time constant fits)", fitted, "tau (s): " + ordered(tau)});
  }
  return out;
}

std::vector<claim> iv_claims(const experiment_result& by_rate) {
  std::vector<claim> out;
  std::vector<double> rates, area, pinch;
  bool pinched = true;
  for (const auto& v : by_rate.variants) {
    rates.push_back(v.series_value);
    area.push_back(v.loop.lobe_area_positive + v.loop.lobe_area_negative);
    const double ratio = v.loop.max_abs_current_at_zero_v_a / std::max(1e-300, v.loop.max_abs_current_a);
    pinch.push_back(ratio);
    pinched = pinched && ratio < 1e-3;
  }
  out.push_back({"loops are pinched at the origin (|I| at V = 0 below 1e-3 of the peak |I|)", pinched,
                 "|I(V=0)| / max |I| per rate: " + ordered(pinch)});
  bool falling = true;
  for (std::size_t k = 1; k < area.size(); ++k) falling = falling && (rates[k] > rates[k - 1]) == (area[k] < area[k - 1]);
  out.push_back({"lobe area falls strictly with sweep rate", falling,
                 "rates (V/s): " + ordered(rates) + "; lobe areas (A V): " + ordered(area)});
  return out;
}

std::vector<claim> pulse_claims(const experiment_result& pulses) {
  std::vector<claim> out;
  const auto& v = pulses.variants.front();
  const auto& q = v.config.protocol.pulses;
  const auto& g = v.read_g_s;  // g[0] before any pulse, g[k] after pulse k
  bool rising = true, falling = true;
  for (int k = 1; k <= q.n_pot; ++k) rising = rising && g[k] >= g[k - 1];
  for (int k = q.n_pot + 1; k <= q.n_pot + q.n_dep; ++k) falling = falling && g[k] <= g[k - 1];
  const double up = g[q.n_pot] - g[0];
  const double down = g[q.n_pot] - g[q.n_pot + q.n_dep];
  out.push_back({"conductance rises over the potentiation pulses", rising && up > 0,
                 fmt::format("G before: {:.4g} S, after {} pulses: {:.4g} S", g[0], q.n_pot, g[q.n_pot])});
  out.push_back({"conductance falls over the depression pulses", falling && down > 0,
                 fmt::format("G after {} depression pulses: {:.4g} S", q.n_dep, g[q.n_pot + q.n_dep])});
  out.push_back({"potentiation and depression are asymmetric", std::fabs(up - down) > 0.05 * std::fabs(up),
                 fmt::format("rise {:.4g} S vs fall {:.4g} S", up, down)});
  return out;
}

std::string find_experiments_dir(const std::string& hint) {
  std::vector<fs::path> candidates;
  // A directory the user names is used or refused, never silently replaced by another.
  if (!hint.empty()) {
    if (!fs::exists(fs::path(hint) / "relax_voltage.toml"))
      throw config_error("--experiments " + hint + ": no relax_voltage.toml there (not an experiments directory)");
    return hint;
  }
  const fs::path shipped = shipped_data_dir();
  if (!shipped.empty() && fs::exists(shipped / "experiments" / "relax_voltage.toml"))
    return (shipped / "experiments").string();
  throw config_error("demo: no experiments directory with relax_voltage.toml found (looked in $IONRAIL_DATA_DIR/"
                     "experiments and PREFIX/share/ionrail/experiments next to this program's bin/); pass "
                     "--experiments DIR");
}

int run_demo(const demo_options& options) {
  const fs::path exp = find_experiments_dir(options.experiments_dir);
  // Every experiment planned before DIR is touched: a file of another kind
  // (the pulse claims read a pulse train's reads: a relaxation there
  // crashed the demo after its runs) or a bad key is refused up front, and
  // the files the runs read are known when --force is checked.
  const std::pair<const char*, kmc::protocol_kind> wanted[] = {{"relax_voltage", kmc::protocol_kind::relax},
                                                               {"relax_time", kmc::protocol_kind::relax},
                                                               {"iv_rates", kmc::protocol_kind::sweep},
                                                               {"potentiation_depression", kmc::protocol_kind::pulses}};
  for (const auto& [name, kind] : wanted) {
    run_options o;
    o.out_dir = (fs::path(options.out_dir) / name).string();
    o.overrides = options.overrides;
    const std::string file = (exp / (std::string(name) + ".toml")).string();
    const experiment_plan plan = plan_experiment(file, o);
    if (plan.base.protocol.kind != kind)
      throw config_error(fmt::format("{}: [protocol] kind = \"{}\": the demo's {} experiment needs kind = \"{}\"", file,
                                     kmc::to_string(plan.base.protocol.kind), name, kmc::to_string(kind)));
  }
  // Everything goes to DIR.partial-PID, renamed to DIR at the end.
  staged_dir staged(options.out_dir, options.force);
  const fs::path out = staged.path();
  auto run = [&](const std::string& name) {
    run_options o;
    o.out_dir = (out / name).string();
    o.quiet = options.quiet;
    o.overrides = options.overrides;
    if (!options.quiet) fmt::print(stderr, "ionrail demo: {}\n", name);
    return run_experiment((exp / (name + ".toml")).string(), o);
  };
  const auto by_voltage = run("relax_voltage");
  const auto by_time = run("relax_time");
  const auto by_rate = run("iv_rates");
  const auto pulses = run("potentiation_depression");

  std::vector<claim> claims = relax_claims(by_voltage, by_time);
  for (auto& c : iv_claims(by_rate)) claims.push_back(c);
  for (auto& c : pulse_claims(pulses)) claims.push_back(c);

  const auto& material = by_voltage.variants.front().config;
  std::string md;
  md += "# ionrail demo report\n\n";
  md += fmt::format("Material: `{}` ({} nm film, {} sites, {} rails simulated, T = {} K, Ea = {} eV, c0 = {:g} m^-3). "
                    "Engine {}, git {}. Every figure below is regenerated by `ionrail demo`; each experiment's data, "
                    "summary.json and plots.gp are in its directory.\n\n",
                    material.material_path.empty() ? material.path : material.material_path, material.device.thickness_nm,
                    material.device.sites, material.device.rails, material.device.temperature_k,
                    material.device.species[0].activation_energy_ev, material.device.ion_density_m3,
                    kmc::engine_version(), git_hash());
  auto table = [&](const experiment_result& r, const char* key) {
    std::string t = fmt::format("| {} | excess at release | tau (s) | retained after 10 s |\n|---|---|---|---|\n", key);
    for (const auto& v : r.variants)
      t += fmt::format("| {:g} | {:.4f} | {:.2f} | {} |\n", v.series_value, v.relax.excess_at_start, v.relax.tau_s,
                       std::isfinite(v.relax.retained_after_10s) ? fmt::format("{:.0f} %", 100 * v.relax.retained_after_10s)
                                                                 : std::string("run ends sooner"));
    return t;
  };
  md += "## 1. Relaxation after pulses of different voltage (fixed pulse time)\n\n";
  md += "![relaxation by voltage](relax_voltage/relax.png)\n\n*Readout state (fraction of ions in the electrode zone) while "
        "polarising and after the voltage is removed; the dashed line is uniform filling.*\n\n";
  md += table(by_voltage, "pulse V") + "\n";
  md += "![conductance by voltage](relax_voltage/conductance.png)\n\n*The same runs as conductance.*\n\n";
  md += "## 2. Relaxation after pulses of different length (fixed voltage)\n\n";
  md += "![relaxation by pulse time](relax_time/relax.png)\n\n*Longer pulses push more ions into the electrode zone; "
        "all curves return to uniform filling.*\n\n";
  md += table(by_time, "pulse s") + "\n";
  md += "## 3. I–V loops at four sweep rates\n\n![I-V loops](iv_rates/iv.png)\n\n*Pinched hysteresis loops; slower sweeps "
        "give the ions time to follow, so the lobes are larger.*\n\n";
  md += "| rate (V/s) | lobe area + (A V) | lobe area − (A V) | max abs I (A) |\n|---|---|---|---|\n";
  for (const auto& v : by_rate.variants)
    md += fmt::format("| {:g} | {:.4g} | {:.4g} | {:.4g} |\n", v.series_value, v.loop.lobe_area_positive,
                      v.loop.lobe_area_negative, v.loop.max_abs_current_a);
  md += "\n![state during sweeps](iv_rates/state.png)\n\n*Readout state during the sweeps.*\n\n";
  md += "## 4. Potentiation and depression\n\n![pulses](potentiation_depression/pulses.png)\n\n*Conductance read in the gap after "
        "each pulse: potentiating pulses, then depressing pulses of opposite sign.*\n\n";
  const auto& g = pulses.variants.front().read_g_s;
  const auto [lo, hi] = std::minmax_element(g.begin(), g.end());
  md += fmt::format("Conductance window over the train: {:.4g} S to {:.4g} S (ratio {:.2f}).\n\n", *lo, *hi, *hi / *lo);
  md += "![pulse trace](potentiation_depression/trace.png)\n\n*Voltage and conductance against time.*\n\n";
  md += "## Zone profiles\n\n![profiles](relax_voltage/voltage_v_10/profile.png)\n\n*Ions per site across the film at "
        "the start, at the end of the 10 V pulse and during relaxation.*\n\n";
  md += "## Physics claims checked\n\n| claim | holds | evidence |\n|---|---|---|\n";
  bool all = true;
  for (const auto& c : claims) {
    md += fmt::format("| {} | {} | {} |\n", c.text, c.holds ? "yes" : "**NO**", c.evidence);
    all = all && c.holds;
  }
  write_file_atomic(out / "report.md", md);
  staged.commit();
  const fs::path report = fs::path(options.out_dir) / "report.md";
  if (!options.quiet) fmt::print(stderr, "ionrail demo: wrote {}\n", report.string());
  if (!all) {
    fmt::print(stderr, "ionrail demo: a physics claim did not hold; see the table in {}\n", report.string());
    return 3;
  }
  return 0;
}

}  // namespace ionrail::app
