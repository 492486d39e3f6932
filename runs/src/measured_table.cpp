// `ionrail calibrate` on a file with [measured_table]: the pulse trains read
// and checked, the table built from them (calibration/pulse_table.hpp), the
// held-out trains replayed, the table in every format with its record, the
// report and plots written.
#include <ionrail/runs/calibrate.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <sstream>

#include <ionrail/calibration/fidelity.hpp>
#include <ionrail/calibration/progress.hpp>
#include <ionrail/calibration/pulse_table.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/table_files.hpp>
#include <ionrail/runs/output.hpp>
#include <ionrail/runs/plot_text.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/runs/staged_dir.hpp>

namespace fs = std::filesystem;

namespace ionrail::runs {

using calibration::pulse_table_build;
using calibration::pulse_table_params;
using calibration::pulse_train;

namespace {

std::string amplitude_name(double v) { return v == 0 ? std::string("rest") : fmt::format("{:+g}V", v); }

}  // namespace

void run_measured_table(const config::run_config& cfg, const calibrate_options& options) {
  const std::string& path = cfg.path;
  const pulse_table_params& p = cfg.measured_table;
  if (p.trains.empty())
    throw input_error(path + ": [measured_table] has no [[measured_table.train]]: name the measured pulse trains "
                             "(docs/measurements.md)");
  if (options.resume)
    throw input_error(path + ": --resume: a table from measured trains has nothing to resume (it takes seconds)");
  if (options.checkpoint_every_s > 0)
    throw input_error(path + ": --checkpoint-every: a table from measured trains has nothing to checkpoint (it is "
                             "built again in the same time)");
  // Every train read and checked before anything is written.
  std::vector<pulse_train> trains;
  int held_out = 0;
  for (const auto& spec : p.trains) {
    trains.push_back(calibration::read_pulse_train(spec.file, spec, p));
    held_out += spec.held_out ? 1 : 0;
  }
  if (held_out == 0)
    throw input_error(path + ": no [[measured_table.train]] has held_out = true: hold out at least one train (not "
                             "used to build the table) to measure the table's fidelity on");
  if (held_out == static_cast<int>(trains.size()))
    throw input_error(path + ": every [[measured_table.train]] has held_out = true: at least one must build the table");
  // A held-out train that is also a build train is not held out: the same
  // file by any name, or a copy of one (the same reads, whatever the file).
  auto same_reads = [](const pulse_train& a, const pulse_train& b) {
    return a.rows.size() == b.rows.size() &&
           std::equal(a.rows.begin(), a.rows.end(), b.rows.begin(), [](const calibration::pulse_read& x, const calibration::pulse_read& y) {
             return x.t_s == y.t_s && x.v_v == y.v_v && x.width_s == y.width_s && x.g_s == y.g_s;
           });
  };
  std::vector<std::string> reused;
  for (std::size_t i = 0; i < trains.size(); ++i)
    if (p.trains[i].held_out)
      for (std::size_t j = 0; j < trains.size(); ++j) {
        std::error_code ec;
        if (!p.trains[j].held_out && (fs::equivalent(p.trains[i].file, p.trains[j].file, ec) || same_reads(trains[i], trains[j])) &&
            std::find(reused.begin(), reused.end(), p.trains[i].file) == reused.end())
          reused.push_back(p.trains[i].file);
      }
  // Memory, refused before anything is built: per (state, voltage) bin the
  // builder's drift, noise and fluctuation (doubles), samples and visited
  // flags, the fixed-point table, and table.csv's line (~190 characters)
  // while it is written; per read of the trains, their values.
  {
    const double states = (1 << p.state_bits) + 1.0, voltages = 2 * std::ceil(p.v_max_v / p.v_step_v - 1e-9) + 1;
    double reads = 0;
    for (const auto& t : trains) reads += static_cast<double>(t.rows.size());
    calibration::check_memory(states * voltages * (3 * 8 + 8 + 4 + 3 * 4 + 192) + reads * 64 + p.devices * 64.0,
                              fmt::format("{}: a table of 2^measured_table.state_bits + 1 = {:.0f} states x {:.0f} "
                                          "voltages (measured_table.v_step_v = {} V over +-v_max_v = {} V)",
                                          path, states, voltages, p.v_step_v, p.v_max_v));
  }
  // The replay's work, refused before anything runs: a model device step
  // costs about one hop attempt (docs/performance.md).
  double held_out_steps = 0;
  for (const auto& t : trains)
    if (t.held_out) held_out_steps += calibration::train_steps(t, p.dt_m_s);
  {
    const double device_steps = held_out_steps * p.devices;
    if (!(device_steps <= options.max_work))
      throw input_error(fmt::format("{}: replaying measured_table.devices = {} devices through the held-out trains "
                                    "({:.3g} model steps of dt_m_s = {:g} s) would take about {:.3g} device steps, "
                                    "beyond the limit of {:.3g}: fewer devices, a longer dt_m_s, or raise the limit "
                                    "with --max-work",
                                    path, p.devices, held_out_steps, p.dt_m_s, device_steps, options.max_work));
  }

  staged_dir dir(options.out_dir, options.force);
  const fs::path out = dir.path();
  pulse_table_build built = [&] {
    try {
      return calibration::build_pulse_table(trains, p);
    } catch (const input_error& e) {
      throw input_error(path + ": " + e.what());
    }
  }();
  for (const auto& f : reused)
    built.warnings.push_back(f + " is both a build train and held out: its fidelity figure is not on unseen data");
  // The replay is the only part that can take long (a long held-out train at
  // a short dt_m): a progress bar, and SIGINT/SIGTERM stop it (exit 130/143,
  // nothing written: there is nothing worth resuming).
  std::vector<calibration::pulse_replay> replays;
  std::vector<std::size_t> replayed;
  {
    std::unique_ptr<calibration::run_control> ctl;
    if (options.checkpoints) ctl = std::make_unique<calibration::run_control>(0.0, 1);
    calibration::progress_reporter progress(std::max(held_out_steps, 1.0), options.quiet);
    progress.begin_part(fmt::format("replaying {} held-out train(s) x {} model devices", held_out, p.devices));
    double before = 0;
    for (std::size_t k = 0; k < trains.size(); ++k)
      if (trains[k].held_out) {
        replays.push_back(calibration::replay_pulse_train(built, trains[k], p, [&](double steps) {
          progress.advance_to(before + steps);
          if (ctl && ctl->interrupted())
            throw calibration::interrupted(ctl->signal(), fmt::format("interrupted by {} while replaying the held-out "
                                                                      "trains: nothing written",
                                                                      calibration::signal_name(ctl->signal())),
                                          false);
        }));
        replayed.push_back(k);
        before += calibration::train_steps(trains[k], p.dt_m_s);
      }
    progress.finish("replayed");
  }
  bool meets_bar = true;
  for (const auto& r : replays) meets_bar = meets_bar && r.nrmse <= calibration::fidelity_nrmse_max;

  // Per amplitude, for table.json and the report: the mean noise over the state nodes.
  std::vector<double> mean_noise;
  for (const auto& a : built.amplitudes) {
    double mean = 0;
    for (double n : a.noise) mean += n / static_cast<double>(a.noise.size());
    mean_noise.push_back(mean);
  }
  // table.json's record.
  json_doc amplitudes = json_doc::array();
  for (std::size_t k = 0; k < built.amplitudes.size(); ++k) {
    const auto& a = built.amplitudes[k];
    amplitudes.push_back({{"v", a.v},
                          {"intervals", a.transitions},
                          {"state_nodes_measured", std::count(a.measured.begin(), a.measured.end(), 1)},
                          {"mean_noise_per_step", json_number(mean_noise[k], 6)}});
  }
  json_doc fidelity = {{"held_out", json_doc::array()}, {"nrmse", json_doc::array()}, {"band_coverage", json_doc::array()}};
  for (std::size_t k = 0; k < replays.size(); ++k) {
    fidelity["held_out"].push_back(trains[replayed[k]].file);
    fidelity["nrmse"].push_back(json_number(replays[k].nrmse, 4));
    fidelity["band_coverage"].push_back(json_number(replays[k].band_coverage, 4));
  }
  fidelity["bar"] = {{"nrmse_max", calibration::fidelity_nrmse_max}};
  fidelity["meets_bar"] = meets_bar;
  json_doc train_list = json_doc::array();
  for (const auto& t : trains)
    train_list.push_back({{"file", t.file}, {"label", t.label}, {"reads", t.rows.size()}, {"held_out", t.held_out}});
  const json_doc record = {{"source", "measured pulse trains"},
                           {"dt_m_s", p.dt_m_s},
                           {"s_eq", json_number(built.s_eq, 9)},
                           {"s_eq_rule", built.s_eq_rule},
                           {"g_lo_s", json_number(built.g_lo_s, 9)},
                           {"g_hi_s", json_number(built.g_hi_s, 9)},
                           {"read_noise_state", json_number(built.read_sigma, 6)},
                           {"read_noise_s", json_number(built.read_sigma * (built.g_hi_s - built.g_lo_s), 6)},
                           {"read_noise_pairs", built.read_pairs},
                           {"sinh_scale_v", {json_number(built.sinh_scale_neg_v, 6), json_number(built.sinh_scale_pos_v, 6)}},
                           {"amplitudes", amplitudes},
                           // No KMC behind this table: nothing to compare with, one measured device.
                           {"device_rails", 0},
                           {"initial_variance", 0},
                           {"initial_slow_variance", 0},
                           {"trains", train_list},
                           {"min_samples", p.min_samples},
                           {"devices", p.devices},
                           {"seed", p.seed},
                           {"git", git_hash()},
                           {"command", "ionrail calibrate " + path},
                           {"fidelity", fidelity},
                           {"parameters", parameters_json(cfg)}};
  model_io::table_record rec;
  rec.state_variables = 2;
  rec.samples = built.samples;
  rec.visited = built.visited;
  const json_doc noise_rule = {
      {"estimator",
       "read noise (fluct, rho = 0): -E[r_k r_(k+1)] of consecutive intervals' residuals; cycle-to-cycle noise per "
       "step: (E[r^2] - 2 read noise^2 - the rest's share) / steps, per state node with 4 x min_samples intervals, "
       "else the amplitude's pooled value"}};
  rec.json_members = {
      {"fill_rule",
       json_doc(fmt::format("state nodes with fewer than {} intervals at a measured amplitude take the nearest "
                            "measured state (a drift beyond the measured states never pointing further out); "
                            "voltages between amplitudes: the excess over the rest drift geometric in V (linear "
                            "where its sign changes); below the smallest: sinh(V/V_e) scaling; beyond the largest: "
                            "held",
                            p.min_samples))
           .dump()},
      {"noise_rule", noise_rule.dump()},
      {"visited_bins", std::to_string(std::count(built.visited.begin(), built.visited.end(), 1))},
      {"calibration", json_text(record)}};
  model_io::write_table(out.string(), built.table, rec);

  // drift.csv: per state node, each amplitude's drift and noise per step.
  {
    std::string csv = "s,g_s";
    for (const auto& a : built.amplitudes)
      csv += fmt::format(",drift_{0},noise_{0},intervals_{0}", amplitude_name(a.v));
    csv += "\n";
    const std::size_t ns = built.amplitudes.front().drift.size();
    for (std::size_t i = 0; i < ns; ++i) {
      const double s = static_cast<double>(i) / static_cast<double>(ns - 1);
      csv += fmt::format("{:.6g},{:.9g}", s, built.g_lo_s + (built.g_hi_s - built.g_lo_s) * s);
      for (const auto& a : built.amplitudes)
        csv += fmt::format(",{:.9g},{:.9g},{:.4g}", a.drift[i], a.noise[i], a.weight[i]);
      csv += "\n";
    }
    model_io::write_file_atomic(out / "drift.csv", csv);
  }
  for (std::size_t k = 0; k < replays.size(); ++k) {
    const auto& r = replays[k];
    std::string csv = "t_s,v_v,measured_s,model_mean_s,model_std_s\n";
    for (std::size_t i = 0; i < r.t_s.size(); ++i)
      csv += fmt::format("{:.9g},{:.6g},{:.9g},{:.9g},{:.9g}\n", r.t_s[i], r.v_v[i], r.measured_s[i], r.mean_s[i], r.std_s[i]);
    model_io::write_file_atomic(out / fmt::format("heldout{}.csv", k), csv);
  }
  {
    std::ostringstream gp;
    gp << "set encoding utf8\nset datafile separator ','\nset terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'\n"
          "set grid\nset key outside right top\n";
    gp << "set output 'drift.png'\nset title 'Drift per model step at each measured amplitude'\nset xlabel 'state s'\n"
          "set ylabel 'drift per step'\n";
    gp << "plot ";
    for (std::size_t a = 0; a < built.amplitudes.size(); ++a)
      gp << (a ? ", " : "") << fmt::format("'drift.csv' skip 1 using 1:{} with linespoints pt 7 ps 0.4 title '{}'",
                                           3 + 3 * a, amplitude_name(built.amplitudes[a].v));
    gp << "\n";
    for (std::size_t k = 0; k < replays.size(); ++k)
      gp << fmt::format("set output 'heldout{0}.png'\nset title '{1}'\nset xlabel 't (s)'\nset ylabel 'G (µS)'\n"
                        "plot 'heldout{0}.csv' skip 1 using 1:(1e6*($4-2*$5)):(1e6*($4+2*$5)) with filledcurves fs "
                        "transparent solid 0.25 lc rgb '#c0392b' title 'model ±2 sd', '' skip 1 using 1:($4*1e6) with "
                        "lines lw 2 lc rgb '#c0392b' title 'model mean', '' skip 1 using 1:($3*1e6) with points pt 7 "
                        "ps 0.4 lc rgb '#333333' title 'measured'\n",
                        k, gnuplot_quoted("held out: " + trains[replayed[k]].label));
    model_io::write_file_atomic(out / "plots.gp", gp.str());
  }
  const bool plotted = render_plots(out.string(), options.quiet);

  std::string md = fmt::format("# Response table from measured pulse trains: `{}`\n\n", path);
  md += fmt::format("Built from {} trains ({} reads), checked on {} held out. Model step dt_m = {:g} s; state "
                    "grid 1/{}; voltages ±{:g} V in steps of {:g} V. The state maps linearly onto the measured "
                    "conductance range: s = 0 at {:.6g} S, s = 1 at {:.6g} S. Rest state s_eq = {:.4f} ({}).\n\n",
                    trains.size() - replays.size(),
                    [&] {
                      std::size_t n = 0;
                      for (const auto& t : trains) n += t.held_out ? 0 : t.rows.size();
                      return n;
                    }(),
                    replays.size(), p.dt_m_s, 1 << p.state_bits, p.v_max_v, p.v_step_v, built.g_lo_s, built.g_hi_s,
                    built.s_eq, built.s_eq_rule);
  if (!built.warnings.empty()) {
    md += "## Warnings\n\n";
    for (const auto& w : built.warnings) md += "- **" + w + "**\n";
    md += "\n";
  }
  md += "## Fidelity on held-out trains\n\n| train | reads | NRMSE of the mean | within the model's ±2 sd |\n"
        "| --- | --- | --- | --- |\n";
  for (std::size_t k = 0; k < replays.size(); ++k)
    md += fmt::format("| {} (`{}`) | {} | {:.2f} % | {:.1f} % |\n", trains[replayed[k]].label, trains[replayed[k]].file,
                      replays[k].t_s.size(), 100 * replays[k].nrmse, 100 * replays[k].band_coverage);
  md += fmt::format("\n{} model devices (seed {}) start at the first read's state and take every pulse and rest of "
                    "the train; NRMSE is the RMS difference of their mean from the measured reads over the train's "
                    "range (bar: ≤ {:.0f} %, {}). About 95 % of the reads fall within the model's ±2 sd when its "
                    "noise matches the device's.\n\n",
                    p.devices, p.seed, 100 * calibration::fidelity_nrmse_max, meets_bar ? "met" : "**missed**");
  if (plotted)
    for (std::size_t k = 0; k < replays.size(); ++k)
      md += fmt::format("![held-out train {0}](heldout{0}.png)\n\n", k);
  md += fmt::format("## What was measured\n\nRead noise σ_r = {:.4g} (state units) = {:.4g} S, from {} pairs of "
                    "consecutive intervals; it is the table's fast fluctuation (independent at every read, ρ = 0).\n\n"
                    "| amplitude | intervals | state nodes measured | mean noise per step |\n| --- | --- | --- | --- |\n",
                    built.read_sigma, built.read_sigma * (built.g_hi_s - built.g_lo_s), built.read_pairs);
  for (std::size_t k = 0; k < built.amplitudes.size(); ++k) {
    const auto& a = built.amplitudes[k];
    md += fmt::format("| {} | {} | {} of {} | {:.3g} |\n", a.v == 0 ? std::string("0 V (rest)") : fmt::format("{:+g} V", a.v),
                      a.transitions, std::count(a.measured.begin(), a.measured.end(), 1), a.measured.size(),
                      mean_noise[k]);
  }
  auto scale_text = [](double v_e) { return v_e > 0 ? fmt::format("sinh(V / {:.3g} V)", v_e) : std::string("linear"); };
  md += fmt::format("\nBelow the smallest measured amplitude the excess drift scales as {} (positive) and {} "
                    "(negative), from the two smallest amplitudes of each sign.\n\n",
                    scale_text(built.sinh_scale_pos_v), scale_text(built.sinh_scale_neg_v));
  if (plotted) md += "![drift per step](drift.png)\n";
  else md += "(The plots were not drawn: gnuplot was not found, or it failed (plots.log); `ionrail plot DIR` draws them "
               "from plots.gp.)\n";
  model_io::write_file_atomic(out / "report.md", md);
  dir.commit();

  if (!options.quiet) {
    fmt::print(stderr, "ionrail calibrate: wrote {} from {} measured trains ({} of {} bins measured; read noise {:.3g} S)\n",
               options.out_dir, trains.size() - replays.size(), std::count(built.visited.begin(), built.visited.end(), 1),
               built.visited.size(), built.read_sigma * (built.g_hi_s - built.g_lo_s));
    for (std::size_t k = 0; k < replays.size(); ++k)
      fmt::print(stderr, "ionrail calibrate: held-out {}: NRMSE of mean G {:.2f} %, {:.1f} % of reads within ±2 sd\n",
                 trains[replayed[k]].label, 100 * replays[k].nrmse, 100 * replays[k].band_coverage);
  }
  for (const auto& w : built.warnings) fmt::print(stderr, "ionrail calibrate: warning: {}\n", w);
  if (!meets_bar)
    fmt::print(stderr, "ionrail calibrate: warning: {} misses the fidelity bar on held-out trains (NRMSE of mean G <= "
                       "{:.0f} %; table.json: meets_bar = false)\n",
               options.out_dir, 100 * calibration::fidelity_nrmse_max);
}

}  // namespace ionrail::runs
