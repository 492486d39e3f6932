#include <ionrail/app/runner.hpp>

#include <fmt/format.h>
#include <fmt/os.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include <ionrail/app/progress.hpp>
#include <ionrail/app/staged_dir.hpp>
#include <ionrail/kmc/protocol.hpp>

#include "build_info.hpp"

#if IONRAIL_CUDA_BUILT
#include <ionrail/gpu/cuda_backend.hpp>
#endif

namespace fs = std::filesystem;

namespace ionrail::app {
namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<int>(c));
    else out += c;
  }
  return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : "null"; }

std::vector<double> default_profile_times(const kmc::protocol_params& p, const kmc::protocol_drive& d) {
  if (p.kind == kmc::protocol_kind::relax) {
    const double r = p.relax.relax_s;
    return {0.0, d.drive_end_s, d.drive_end_s + 0.1 * r, d.drive_end_s + 0.3 * r, d.duration_s};
  }
  return {0.0, 0.25 * d.duration_s, 0.5 * d.duration_s, 0.75 * d.duration_s, d.duration_s};
}

// Reads in the gap after each pulse (and before the first), at 90 % of the gap.
std::vector<double> pulse_read_times(const kmc::pulses_protocol& q) {
  std::vector<double> t{0.9 * q.gap_s};
  const int pulses = q.n_pot + q.n_dep;
  for (int k = 0; k < pulses; ++k) t.push_back(q.gap_s + k * (q.width_s + q.gap_s) + q.width_s + 0.9 * q.gap_s);
  return t;
}

void write_trace(const fs::path& file, const std::vector<kmc::sample>& trace, int zones) {
  auto out = fmt::output_file(file.string());
  out.print("t_s,v,f_left,f_right,state,g_s,i_a,i_ion_a,energy_j");
  for (int z = 0; z < zones; ++z) out.print(",zone_{}", z);
  out.print("\n");
  for (const auto& s : trace) {
    out.print("{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g}", s.t_s, s.v, s.f_left, s.f_right,
              s.state, s.g_s, s.i_a, s.i_ion_a, s.energy_j);
    for (double z : s.zones) out.print(",{:.9g}", z);
    out.print("\n");
  }
}

// Site occupancy (mean ions per site over the rails) at the snapshot times:
// one row per site, one column per time.
struct snapshot {
  double t_s;
  std::vector<double> occupancy;
};

void write_profile(const fs::path& file, const std::vector<snapshot>& snaps, const kmc::device_params& d) {
  auto out = fmt::output_file(file.string());
  out.print("site,x_nm");
  for (const auto& s : snaps) out.print(",t_{:.4g}s", s.t_s);
  out.print("\n");
  for (int i = 0; i < d.sites; ++i) {
    out.print("{},{:.6g}", i, (i + 0.5) * d.thickness_nm / d.sites);
    for (const auto& s : snaps) out.print(",{:.6g}", s.occupancy[i]);
    out.print("\n");
  }
}

// backend "cuda" runs on the GPU or fails; "auto" uses the GPU when this build
// has the CUDA backend and a device is present, else the CPU.
bool use_cuda(const run_config& cfg) {
#if IONRAIL_CUDA_BUILT
  if (cfg.backend == "cuda" && !gpu::cuda_available())
    throw config_error("sim.backend = \"cuda\": no CUDA device is available (" + gpu::device_description() +
                       "); use \"cpu\" or \"auto\"");
  return cfg.backend == "cuda" || (cfg.backend == "auto" && cfg.sim.solver == kmc::method::sync && gpu::cuda_available());
#else
  (void)cfg;
  return false;
#endif
}

std::unique_ptr<kmc::engine> make_engine(const run_config& cfg, std::shared_ptr<const kmc::voltage_source> v) {
  const kmc::solver_factory backend = engine_backend(cfg);
  if (backend) return std::make_unique<kmc::engine>(cfg.device, cfg.sim, std::move(v), backend);
  return std::make_unique<kmc::engine>(cfg.device, cfg.sim, std::move(v));
}

variant_result run_variant(const run_config& cfg, const fs::path& dir, progress_reporter& progress) {
  variant_result v;
  v.config = cfg;
  const kmc::protocol_drive drive = kmc::make_drive(cfg.protocol);
  v.drive_end_s = drive.drive_end_s;
  v.temperature_k = cfg.device.temperature_k;

  std::vector<double> times;
  for (int k = 0; k * cfg.protocol.sample_every_s <= drive.duration_s * (1 + 1e-12); ++k)
    times.push_back(k * cfg.protocol.sample_every_s);
  std::vector<double> profile_times =
      cfg.protocol.profile_times_s.empty() ? default_profile_times(cfg.protocol, drive) : cfg.protocol.profile_times_s;
  for (double& t : profile_times) t = std::min(t, drive.duration_s);
  if (cfg.protocol.kind == kmc::protocol_kind::pulses) v.read_times_s = pulse_read_times(cfg.protocol.pulses);
  times.insert(times.end(), profile_times.begin(), profile_times.end());
  times.insert(times.end(), v.read_times_s.begin(), v.read_times_s.end());
  times.push_back(drive.drive_end_s);
  times.push_back(drive.duration_s);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end(), [](double a, double b) { return std::fabs(a - b) < 1e-12; }),
              times.end());

  const auto start = std::chrono::steady_clock::now();
  const std::unique_ptr<kmc::engine> engine = make_engine(cfg, drive.voltage);
  kmc::engine& e = *engine;
  v.s_eq = e.model().readout().s_eq;
  std::vector<snapshot> snapshots;
  std::size_t next_profile = 0, next_read = 0;
  std::sort(profile_times.begin(), profile_times.end());
  for (double t : times) {
    e.advance_to(t);
    v.trace.push_back(e.take_sample());
    while (next_profile < profile_times.size() && profile_times[next_profile] <= t + 1e-12) {
      snapshots.push_back({v.trace.back().t_s, e.model().site_occupancy()});
      ++next_profile;
    }
    while (next_read < v.read_times_s.size() && v.read_times_s[next_read] <= t + 1e-12) {
      v.read_g_s.push_back(v.trace.back().g_s);
      ++next_read;
    }
    progress.advance_to(t);
  }
  v.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  v.info = e.info();
  v.transport = e.transport();
  v.loop = iv_loop(v.trace);
  v.relax = relaxation(v.trace, drive.drive_end_s, v.s_eq);

  fs::create_directories(dir);
  write_trace(dir / "trace.csv", v.trace, cfg.device.zones);
  write_profile(dir / "profile.csv", snapshots, cfg.device);
  v.snapshots = static_cast<int>(snapshots.size());
  if (!v.read_times_s.empty()) {
    auto out = fmt::output_file((dir / "reads.csv").string());
    out.print("pulse,t_s,g_s\n");
    for (std::size_t k = 0; k < v.read_g_s.size(); ++k) out.print("{},{:.9g},{:.9g}\n", k, v.read_times_s[k], v.read_g_s[k]);
  }
  return v;
}

std::string variant_json(const variant_result& v, const std::string& series_key) {
  const auto& i = v.info;
  const auto& t = v.transport;
  std::string s = "{";
  s += "\"label\": " + json_string(v.label) + ", \"dir\": " + json_string(v.subdir.empty() ? "." : v.subdir);
  if (!series_key.empty()) s += ", \"series_value\": " + json_number(v.series_value);
  s += ", \"temperature_k\": " + json_number(v.temperature_k);
  s += fmt::format(", \"seed\": {}, \"method\": {}, \"backend\": {}, \"device\": {}, \"dt_s\": {}, \"dt_min_s\": {}, "
                   "\"dt_max_s\": {}, \"dt_automatic\": {}, \"threads\": {}",
                   i.seed, json_string(kmc::to_string(i.solver)), json_string(i.backend), json_string(i.device),
                   json_number(i.dt_s), json_number(i.dt_min_s), json_number(i.dt_max_s), i.dt_automatic ? "true" : "false",
                   i.threads);
  s += fmt::format(", \"steps\": {}, \"events\": {}, \"attempts\": {}, \"max_hop_probability\": {}", i.steps, i.events,
                   json_number(i.attempts), json_number(i.max_hop_probability));
  s += ", \"wall_s\": " + json_number(v.wall_s);
  s += ", \"attempts_per_s\": " + json_number(v.wall_s > 0 ? i.attempts / v.wall_s : 0.0);
  s += ", \"events_per_s\": " + json_number(v.wall_s > 0 ? static_cast<double>(i.events) / v.wall_s : 0.0);
  s += ", \"transport\": {\"elapsed_s\": " + json_number(t.elapsed_s) + ", \"d_tracer_m2_s\": " + json_number(t.d_tracer_m2_s) +
       ", \"d_jump_m2_s\": " + json_number(t.d_jump_m2_s) + ", \"haven_ratio\": " + json_number(t.haven_ratio) +
       ", \"conductivity_s_m\": " + json_number(t.conductivity_s_m) +
       ", \"drift_velocity_m_s\": " + json_number(t.drift_velocity_m_s) + "}";
  s += ", \"energy_j\": " + json_number(v.trace.back().energy_j);
  const auto kind = v.config.protocol.kind;
  if (kind == kmc::protocol_kind::relax)
    s += ", \"relaxation\": {\"state_uniform\": " + json_number(v.s_eq) + ", \"excess_at_release\": " +
         json_number(v.relax.excess_at_start) + ", \"tau_s\": " + json_number(v.relax.tau_s) +
         ", \"retained_after_10s\": " + json_number(v.relax.retained_after_10s) +
         ", \"final_excess\": " + json_number(v.relax.final_excess) + ", \"fit_points\": " + std::to_string(v.relax.points) + "}";
  if (kind == kmc::protocol_kind::sweep || kind == kmc::protocol_kind::waveform)
    s += ", \"iv_loop\": {\"lobe_area_positive_av\": " + json_number(v.loop.lobe_area_positive) +
         ", \"lobe_area_negative_av\": " + json_number(v.loop.lobe_area_negative) +
         ", \"max_abs_current_a\": " + json_number(v.loop.max_abs_current_a) +
         ", \"max_abs_current_at_zero_v_a\": " + json_number(v.loop.max_abs_current_at_zero_v_a) + "}";
  if (!v.read_g_s.empty()) {
    const auto [lo, hi] = std::minmax_element(v.read_g_s.begin(), v.read_g_s.end());
    s += ", \"pulses\": {\"g_initial_s\": " + json_number(v.read_g_s.front()) + ", \"g_min_s\": " + json_number(*lo) +
         ", \"g_max_s\": " + json_number(*hi) + ", \"window\": " + json_number(*lo > 0 ? *hi / *lo : 0.0) + "}";
  }
  return s + "}";
}

void write_plot_script(const fs::path& dir, const experiment_result& r);

}  // namespace

std::string git_hash() { return IONRAIL_GIT_HASH; }

kmc::solver_factory engine_backend(const run_config& cfg) {
#if IONRAIL_CUDA_BUILT
  if (use_cuda(cfg)) return gpu::cuda_sync_backend();
#else
  (void)use_cuda(cfg);
#endif
  return {};
}

experiment_result run_experiment(const std::string& path, const run_options& options) {
  const run_config base = load_run_config(path, options.overrides);
  if (base.backend == "cuda" && !IONRAIL_CUDA_BUILT)
    throw config_error("sim.backend = \"cuda\": this build has no CUDA backend; use \"cpu\" or \"auto\" "
                       "(auto runs on the CPU when no CUDA backend or GPU is present)");
  use_cuda(base);  // refuses "cuda" without a device before anything is written
  experiment_result result;
  result.out_dir = options.out_dir;
  result.series_key = base.series_key;

  staged_dir staged(options.out_dir, options.force);
  const fs::path partial = staged.path();
  {
    std::vector<double> series = base.series_values.empty() ? std::vector<double>{0.0} : base.series_values;
    std::vector<double> temperatures =
        base.temperatures_k.empty() ? std::vector<double>{base.device.temperature_k} : base.temperatures_k;
    struct plan {
      run_config config;
      std::string label, subdir;
      double series_value;
    };
    std::vector<plan> plans;
    double total_time = 0;
    for (double value : series)
      for (double temperature : temperatures) {
        std::vector<std::string> overrides = options.overrides;
        std::string label, subdir;
        const std::string short_key = base.series_key.substr(base.series_key.rfind('.') + 1);
        if (!base.series_key.empty()) {
          overrides.push_back(fmt::format("{}={}", base.series_key, value));
          label = fmt::format("{} = {:g}", short_key, value);
          subdir = fmt::format("{}_{:g}", short_key, value);
        }
        if (!base.temperatures_k.empty()) {
          overrides.push_back(fmt::format("device.temperature_k={}", temperature));
          label += fmt::format("{}T = {:g} K", label.empty() ? "" : ", ", temperature);
          subdir += fmt::format("{}T_{:g}K", subdir.empty() ? "" : "_", temperature);
        }
        run_config cfg = overrides.size() == options.overrides.size() ? base : load_run_config(path, overrides);
        if (label.empty()) label = cfg.title;
        total_time += kmc::make_drive(cfg.protocol).duration_s;
        plans.push_back({std::move(cfg), label, subdir, value});
      }

    progress_reporter progress(total_time, options.quiet);
    for (const auto& p : plans) {
      progress.begin_part(p.label);
      variant_result v = run_variant(p.config, partial / p.subdir, progress);
      v.label = p.label;
      v.subdir = p.subdir;
      v.series_value = p.series_value;
      result.variants.push_back(std::move(v));
    }
    progress.finish();

    if (temperatures.size() >= 2 && base.protocol.kind == kmc::protocol_kind::relax) {
      // Arrhenius: τ = τ0 exp(Ea / kB T)  =>  ln τ is linear in 1/T with slope Ea / kB.
      std::vector<double> x, y;
      for (const auto& v : result.variants)
        if (v.relax.tau_s > 0) x.push_back(1.0 / v.temperature_k), y.push_back(std::log(v.relax.tau_s));
      if (x.size() >= 2) {
        result.arrhenius = true;
        result.arrhenius_fit = fit_line(x, y);
        result.arrhenius_ea_ev = result.arrhenius_fit.slope * kmc::boltzmann_ev_per_k;
        result.arrhenius_ea_error_ev = result.arrhenius_fit.slope_error * kmc::boltzmann_ev_per_k;
        auto arr = fmt::output_file((partial / "arrhenius.csv").string());
        arr.print("temperature_k,inv_t_per_k,tau_s,ln_tau\n");
        for (std::size_t k = 0; k < x.size(); ++k) arr.print("{:.9g},{:.9g},{:.9g},{:.9g}\n", 1 / x[k], x[k], std::exp(y[k]), y[k]);
      }
    }

    std::string json = "{\n";
    json += "  \"engine\": " + json_string(kmc::engine_version()) + ",\n";
    json += "  \"git\": " + json_string(git_hash()) + ",\n";
    json += "  \"input\": " + json_string(path) + ",\n";
    json += "  \"protocol\": " + json_string(kmc::to_string(base.protocol.kind)) + ",\n";
    if (!base.series_key.empty()) json += "  \"series_key\": " + json_string(base.series_key) + ",\n";
    double wall = 0;
    for (const auto& v : result.variants) wall += v.wall_s;
    json += "  \"wall_s\": " + json_number(wall) + ",\n";
    if (result.arrhenius)
      json += "  \"arrhenius\": {\"activation_energy_ev\": " + json_number(result.arrhenius_ea_ev) +
              ", \"standard_error_ev\": " + json_number(result.arrhenius_ea_error_ev) +
              ", \"configured_activation_energy_ev\": " + json_number(base.device.species[0].activation_energy_ev) +
              ", \"from\": \"relaxation time constants\"},\n";
    json += "  \"runs\": [\n";
    for (std::size_t k = 0; k < result.variants.size(); ++k)
      json += "    " + variant_json(result.variants[k], base.series_key) + (k + 1 < result.variants.size() ? ",\n" : "\n");
    json += "  ],\n";
    json += "  \"parameters\": " + resolved_parameters_json(base) + "\n}\n";
    std::ofstream(partial / "summary.json") << json;

    write_plot_script(partial, result);
    if (base.plots) result.plotted = render_plots(partial.string(), options.quiet);

    staged.commit();
  }
  return result;
}

bool render_plots(const std::string& dir, bool quiet) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    if (!quiet) fmt::print(stderr, "ionrail: gnuplot not found: no plots drawn; the data are in {} (apt-get install gnuplot-nox)\n", dir);
    return false;
  }
  const std::string cmd = fmt::format("cd '{}' && gnuplot plots.gp", dir);
  if (std::system(cmd.c_str()) != 0) {
    fmt::print(stderr, "ionrail: gnuplot failed on {}/plots.gp\n", dir);
    return false;
  }
  return true;
}

namespace {

void write_plot_script(const fs::path& dir, const experiment_result& r) {
  std::ofstream gp(dir / "plots.gp");
  gp << "# Regenerate with: ionrail plot DIR  (or: cd DIR && gnuplot plots.gp)\n"
        "set datafile separator ','\nset terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'\n"
        "set key outside right top\nset grid\n";
  const auto kind = r.variants.front().config.protocol.kind;
  const double s_eq = r.variants.front().s_eq;
  auto path = [&](const variant_result& v, const char* file) {
    return (v.subdir.empty() ? std::string(file) : v.subdir + "/" + file);
  };
  auto each = [&](const std::string& fmt_cols) {
    std::string s = "plot ";
    for (std::size_t k = 0; k < r.variants.size(); ++k) {
      const auto& v = r.variants[k];
      s += fmt::format("'{}' {} title '{}'", path(v, "trace.csv"), fmt_cols, v.label);
      if (k + 1 < r.variants.size()) s += ", \\\n     ";
    }
    return s + "\n";
  };
  // Per variant: voltage and conductance against time, and zone profiles.
  for (const auto& v : r.variants) {
    // Fixed margins keep the two panels' time axes aligned.
    gp << fmt::format("set output '{}'\nset lmargin 14\nset rmargin 18\nset multiplot layout 2,1 title '{}'\n",
                      path(v, "trace.png"), v.label);
    gp << "set ylabel 'V (V)'\nunset xlabel\nplot '" << path(v, "trace.csv") << "' every ::1 using 1:2 with lines lw 2 title 'V(t)'\n";
    gp << "set ylabel 'G (S)'\nset xlabel 't (s)'\nplot '" << path(v, "trace.csv")
       << "' every ::1 using 1:6 with lines lw 2 title 'G(t)'\nunset multiplot\nunset lmargin\nunset rmargin\n";
    gp << fmt::format("set output '{}'\nset title 'Ion occupancy across the film, {}'\nset xlabel 'x (nm), left electrode at 0'\n"
                      "set ylabel 'ions per site (mean over rails)'\nset style data lines\n",
                      path(v, "profile.png"), v.label);
    gp << fmt::format("plot for [c=3:{}] '{}' using 2:c lw 2 title columnheader(c)\n", 2 + v.snapshots, path(v, "profile.csv"));
  }
  gp << "set style data lines\n";
  if (kind == kmc::protocol_kind::relax) {
    gp << "set output 'relax.png'\nset title 'Readout state: polarisation and relaxation'\nset xlabel 't (s)'\n"
          "set ylabel 'state s (fraction of ions in the readout zone)'\n";
    gp << fmt::format("set arrow from graph 0, first {0} to graph 1, first {0} nohead dt 2\n", s_eq);
    gp << each("every ::1 using 1:5 lw 2") << "unset arrow\n";
    gp << "set output 'conductance.png'\nset title 'Conductance'\nset ylabel 'G (S)'\n" << each("every ::1 using 1:6 lw 2");
  }
  if (kind == kmc::protocol_kind::sweep || kind == kmc::protocol_kind::waveform) {
    gp << "set output 'iv.png'\nset title 'I-V loops'\nset xlabel 'V (V)'\nset ylabel 'I (A)'\n" << each("every ::1 using 2:7 lw 2");
    gp << "set output 'state.png'\nset title 'Readout state during the sweep'\nset xlabel 't (s)'\nset ylabel 'state s'\n"
       << each("every ::1 using 1:5 lw 2");
  }
  if (kind == kmc::protocol_kind::pulses) {
    gp << "set output 'pulses.png'\nset title 'Conductance read after each pulse'\nset xlabel 'pulse'\nset ylabel 'G (S)'\n"
          "set style data linespoints\nplot ";
    for (std::size_t k = 0; k < r.variants.size(); ++k)
      gp << fmt::format("'{}' every ::1 using 1:3 pt 7 title '{}'{}", path(r.variants[k], "reads.csv"), r.variants[k].label,
                        k + 1 < r.variants.size() ? ", \\\n     " : "\n");
    gp << "set style data lines\n";
  }
  if (r.arrhenius) {
    gp << "set output 'arrhenius.png'\nset title 'Arrhenius plot of the relaxation time'\nset xlabel '1/T (1/K)'\n"
          "set ylabel 'ln(tau / s)'\nset style data points\n";
    gp << fmt::format("plot 'arrhenius.csv' every ::1 using 2:4 pt 7 ps 1.5 title 'KMC', {} + {}*x with lines title "
                      "'fit: Ea = {:.3f} +- {:.3f} eV'\n",
                      r.arrhenius_fit.intercept, r.arrhenius_fit.slope, r.arrhenius_ea_ev, r.arrhenius_ea_error_ev);
  }
}

}  // namespace
}  // namespace ionrail::app
