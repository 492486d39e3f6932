#include <ionrail/runs/file_kind.hpp>
#include <ionrail/app/crossbar_run.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <ionrail/app/circuit_report.hpp>
#include <ionrail/app/cost_report.hpp>
#include <ionrail/app/training_signals.hpp>
#include <ionrail/config/hardware_file.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/calibration/progress.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/runs/crossbar_network.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/runs/staged_dir.hpp>
#include <ionrail/model_io/table_files.hpp>

#include <ionrail/runs/output.hpp>

namespace ionrail::app {
using namespace ::ionrail::runs;  // the library these commands drive

// The libraries this command layer calls.
using namespace ionrail::calibration;
using namespace ionrail::config;
using namespace ionrail::model_io;
namespace {

// Devices without a conductance spread read as equal weights: a twin started there
// keeps its units identical under SGD and is no float baseline.
const std::string twin_symmetric_note =
    "**The float64 twin is no baseline here**: it starts from the devices' initial weights, which are all equal in "
    "a layer (no spread of the devices' conductance: offset_sigma_s = 0), so its units stay identical under SGD; "
    "the crossbar escapes that through its devices' noise. Set crossbar.offset_sigma_s (e.g. 0.5e-6 S) for a twin "
    "that learns.";

// The float64 twin's accuracy, or "off" (float_baseline = false: NaN).
std::string percent_or_off(double accuracy) {
  return std::isfinite(accuracy) ? fmt::format("{:.1f} %", 100 * accuracy) : std::string("off");
}

// The write energy of an epoch per full-voltage cell pulse (half-selected
// cells' share included); NaN (null) for an epoch without a pulse.
double energy_per_pulse_j(const circuits::epoch_record& e) {
  return e.pulses > 0 ? e.energy_j / static_cast<double>(e.pulses) : std::numeric_limits<double>::quiet_NaN();
}

void write_plots(const std::filesystem::path& dir, const circuits::learning_report& r, const std::string& cost_plots) {
  std::ostringstream gp;
  // One colour scale for all ten digits, symmetric about 0, so that colours
  // compare across panels; its unit is the write pulse.
  double w_max = 0;
  for (double w : r.device.weights) w_max = std::max(w_max, std::fabs(w));
  w_max = w_max > 0 ? std::ceil(w_max) : 1.0;
  gp << "set encoding utf8\nset datafile separator ','\nset terminal pngcairo noenhanced size 900,560 font 'DejaVu Sans,11'\nset grid\n"
        "set output 'accuracy.png'\nset title 'Accuracy per epoch: test (solid), training (dashed)'\nset xlabel 'epoch'\n"
        "set ylabel 'digits classified correctly (%)'\nset yrange [0:100]\nset key bottom right\n"
        "plot 'epochs.csv' every ::1 using ($2==0?$1:1/0):($4*100) with linespoints lw 2 title 'crossbar (compact model)', "
        "'' every ::1 using ($2==1?$1:1/0):($4*100) with linespoints lw 2 title 'crossbar (ideal devices)', "
        "'' every ::1 using ($2==2?$1:1/0):($4*100) with linespoints lw 2 title 'float64 baseline', "
        "'' every ::1 using ($2==0?$1:1/0):($3*100) with lines dt 2 lc 1 notitle, "
        "'' every ::1 using ($2==1?$1:1/0):($3*100) with lines dt 2 lc 2 notitle, "
        "'' every ::1 using ($2==2?$1:1/0):($3*100) with lines dt 2 lc 3 notitle\n"
        // Per epoch (left axis) and per device update (right axis): the
        // first falls as fewer weights need a pulse, the second is what one
        // polymer write costs.
        "set output 'energy.png'\nset title 'Energy of the write pulses'\nset ylabel 'energy per epoch (J)'\n"
        "set y2label 'energy per cell pulse (µJ)'\nset ytics nomirror\nset y2tics\nset autoscale y\nset autoscale y2\n"
        "set key top right\n"
        "plot 'epochs.csv' every ::1 using ($2==0?$1:1/0):5 with linespoints lw 2 title "
        "'per epoch, compact model', '' every ::1 using ($2==1?$1:1/0):5 with linespoints lw 2 title "
        "'per epoch, ideal devices', '' every ::1 using ($2==0&&$6>0?$1:1/0):($5/$6*1e6) axes x1y2 with linespoints lw 2 dt 2 "
        "lc 1 title 'per cell pulse, compact model', '' every ::1 using ($2==1&&$6>0?$1:1/0):($5/$6*1e6) axes x1y2 with "
        "linespoints lw 2 dt 2 lc 2 title 'per cell pulse, ideal devices'\n"
        "unset y2label\nunset y2tics\nset ytics mirror\n"
        "set output 'conductance.png'\nset title 'Device conductances before and after training'\n"
        "set xlabel 'G (µS)'\nset ylabel 'devices'\nset style fill transparent solid 0.5\nset autoscale\n"
        "plot 'conductance.csv' every ::1 using ($1*1e6):2 with boxes title 'before', '' every ::1 using ($1*1e6):3 "
        "with boxes title 'after'\n"
        "set output 'confusion.png'\nset title 'Confusion matrix, crossbar (compact model), test set'\n"
        "set xlabel 'predicted digit'\nset ylabel 'true digit'\nset cblabel 'test digits'\nset xrange [-0.5:9.5]\n"
        "set yrange [9.5:-0.5]\nset cbrange [0:*]\n"
        "set palette defined (0 'white', 1 '#08519c')\nunset key\n"
        "plot 'confusion.csv' every ::1 using 2:1:3 with image, '' every ::1 using 2:1:(sprintf('%d',$3)) with labels "
        "font ',9'\nunset cblabel\n"
        "set terminal pngcairo noenhanced size 1000,420 font 'DejaVu Sans,10'\nset output 'receptive_fields.png'\n"
        "unset xlabel\nunset ylabel\nunset xtics\nunset ytics\nset palette defined (-1 '#b2182b', 0 'white', 1 "
        "'#2166ac')\n"
     << fmt::format("set cbrange [{0}:{1}]\nset multiplot layout 2,5 title 'Learned weights G+ − G− of each digit, "
                    "crossbar (compact model); colour: write pulses (1 pulse ≈ {2:.3g} µS at rest)'\n",
                    -w_max, w_max, r.pulse_step_s * 1e6);
  for (int d = 0; d < 10; ++d)
    gp << "set title '" << d << "'\nset xrange [-0.5:7.5]\nset yrange [7.5:-0.5]\nset datafile separator whitespace\n"
       << "plot 'receptive_fields.dat' index " << d << " matrix with image\n";
  gp << "unset multiplot\n" << cost_plots;
  // One 8 × 8 matrix block per digit (gnuplot `index`), the compact-model
  // crossbar's weights in pulse units.
  std::ostringstream m;
  for (int d = 0; d < 10; ++d) {
    m << "# digit " << d << "\n";
    for (int y = 0; y < 8; ++y) {
      for (int xx = 0; xx < 8; ++xx) m << (xx ? " " : "") << r.device.weights[static_cast<std::size_t>(y * 8 + xx) * 10 + d];
      m << "\n";
    }
    m << "\n\n";
  }
  write_file_atomic(dir / "plots.gp", gp.str());
  write_file_atomic(dir / "receptive_fields.dat", m.str());
}

}  // namespace

circuits::learning_report run_crossbar(const std::string& path, const crossbar_options& o) {
  const run_config cfg = load_run_config(path, o.overrides);
  check_file_is_for(cfg, "crossbar");
  const auto& x = cfg.crossbar;
  if (x.table_dir.empty()) throw config_error(path + ": [crossbar] table: a table directory is required");
  if (x.data_file.empty()) throw config_error(path + ": [crossbar] data: the digits file is required");
  const model::table table = load_table_consistent(x.table_dir);
  runs::check_write_voltages(cfg, table, path);
  const circuits::crossbar_params array = runs::crossbar_array_of(cfg);
  circuits::learning_params learning = x.learning;
  learning.seed = cfg.sim.seed;
  const auto data = circuits::load_digits(x.data_file);
  const auto split = split_digits_checked(path, "crossbar.test_count", data, learning.test_count, cfg.sim.seed, x.data_file);
  // Work: refused before the output directory exists (a device update costs
  // about what a KMC hop attempt does, so the same limit applies).
  const double work = circuits::train_digits_work(learning, array, split.train.size(), split.test.size());
  if (!(work <= o.max_work))
    throw input_error(fmt::format("{}: this training would take about {:.3g} device updates ({} epochs of {} digits, "
                                  "crossbar.rest_steps = {}, crossbar.pulse_train_length = {}, crossbar.retention_s = {} s "
                                  "of the table's dt_m_s = {} s, {} wires), beyond the limit of {:.3g}: lower these, or raise "
                                  "the limit with --max-work",
                                  path, work, learning.epochs,
                                  learning.train_limit > 0 ? std::min<std::size_t>(learning.train_limit, split.train.size())
                                                           : split.train.size(),
                                  learning.rest_steps, learning.pulse_train_length, learning.retention_s, array.dt_m_s,
                                  array.wire_ohm > 0 ? "resistive" : "ideal", o.max_work));
  try {
    circuits::check_retention_steps(learning, array);
  } catch (const std::invalid_argument& e) {
    throw config_error(fmt::format("{}: {}", path, e.what()));
  }
  // The hardware file is read before anything is written: its errors exit 2.
  std::optional<hardware_file> hw;
  if (!x.hardware_file.empty()) hw = load_hardware_file(x.hardware_file);
  training_signals signals("crossbar");  // before the staging: its cleanup runs with the signal caught
  staged_dir dir(o.out_dir, o.force);

  progress_reporter progress(learning.epochs, o.quiet);
  progress.begin_part(fmt::format("crossbar: {} epochs of {} digits", learning.epochs,
                                  learning.train_limit > 0 ? learning.train_limit : static_cast<int>(split.train.size())));
  const auto rep = signals.run([&](circuits::training_stop stop) {
    return circuits::train_digits(
        data, split, table, array, learning,
        [&](int epoch, const circuits::learning_report&) { progress.advance_to(epoch); }, stop);
  });
  progress.finish();

  const circuits::learner_result* all[3] = {&rep.device, &rep.ideal, &rep.baseline};
  {
    std::string csv = "epoch,learner,train_accuracy,test_accuracy,energy_j,cell_pulses\n";
    for (int l = 0; l < 3; ++l)
      for (const auto& e : all[l]->epochs)
        csv += fmt::format("{},{},{:.6f},{:.6f},{:.6g},{}\n", e.epoch, l, e.train_accuracy, e.test_accuracy, e.energy_j, e.pulses);
    write_file_atomic(dir.path() / "epochs.csv", csv);
  }
  write_confusion_csv(dir.path() / "confusion.csv", rep.device.confusion);
  write_conductance_histogram(dir.path() / "conductance.csv", rep.g_before_s, rep.g_after_s);
  {
    std::string csv = "learner,input,output,weight_pulses\n";
    for (int l = 0; l < 3; ++l)
      for (int i = 0; i < 65; ++i)
        for (int j = 0; j < 10; ++j) csv += fmt::format("{},{},{},{:.6g}\n", l, i, j, all[l]->weights[static_cast<std::size_t>(i) * 10 + j]);
    write_file_atomic(dir.path() / "weights.csv", csv);
  }
  const auto& d = rep.device.epochs.back();
  std::string cost_md, cost_plots;  // the hardware cost section, when [crossbar] hardware names a file
  {
    json_doc js = {{"config", path},
                   {"seed", cfg.sim.seed},
                   {"git", git_hash()},
                   {"train_digits", learning.train_limit > 0 ? learning.train_limit : static_cast<int>(split.train.size())},
                   {"test_digits", split.test.size()}};
    const char* keys[3] = {"device", "ideal", "baseline"};
    for (int l = 0; l < 3; ++l)
      js[keys[l]] = {{"test_accuracy", json_number(all[l]->epochs.back().test_accuracy, 4)},
                     {"test_after_retention", json_number(all[l]->test_after_retention, 4)},
                     {"energy_last_epoch_j", json_number(all[l]->epochs.back().energy_j, 6)},
                     {"energy_per_cell_pulse_last_epoch_j", json_number(energy_per_pulse_j(all[l]->epochs.back()), 6)}};
    js["pulse_step_s"] = json_number(rep.pulse_step_s, 6);
    js["seconds_per_epoch"] = json_number(rep.seconds_per_epoch, 4);
    js["parameters"] = parameters_json(runs::crossbar_as_run(cfg, array));  // initial_state as run
    write_json(dir.path() / "summary.json", js);
  }
  {
    if (hw) {
      const int n_train = learning.train_limit > 0 ? std::min<int>(learning.train_limit, static_cast<int>(split.train.size()))
                                                   : static_cast<int>(split.train.size());
      const circuits::cost_layout layout{1, 65, 10, array.adc_bits, array.dt_m_s, 650.0, 0};
      const auto cost = crossbar_cost(rep, layout, hw->params, n_train, static_cast<int>(split.test.size()));
      cost_md = write_cost_report(dir.path(), cost, *hw, cost_plots);
    }
    // One epoch runs at v_write_v alone (the schedule's first point).
    const double v_last =
        learning.v_write_final_v > 0 && learning.epochs > 1 ? learning.v_write_final_v : learning.v_write_v;
    const std::string write_text =
        (v_last != learning.v_write_v ? fmt::format("write {} V → {} V", learning.v_write_v, v_last)
                                      : fmt::format("write {} V", learning.v_write_v)) +
        (array.selector == circuits::cell_selector::transistor
             ? " (1T1R: only the selected cells see it, one model step per write)"
             : " (V/2 scheme: half-selected cells see half)");
    double g_mean_s = 0;
    for (double g : rep.g_after_s) g_mean_s += g / static_cast<double>(std::max<std::size_t>(1, rep.g_after_s.size()));
    std::ostringstream md;
    md << "# Crossbar learning: 8×8 digits\n\n"
       << fmt::format("Config `{}`, seed {}, table `{}` (git {}). {} training digits, {} test digits (stratified, "
                      "fixed seed). A 65 × 10 crossbar of differential pairs ({} devices), "
                      "DAC {} bits, ADC {} bits, read {} V, {}, one write pulse = {:.3g} µS "
                      "at rest; device variation: gain σ {}, offset σ {} µS; noise {}. Rule: {}.\n\n",
                      path, cfg.sim.seed, x.table_dir, git_hash(),
                      learning.train_limit > 0 ? learning.train_limit : static_cast<int>(split.train.size()),
                      split.test.size(), 2 * 65 * 10, array.dac_bits, array.adc_bits, array.v_read_v, write_text,
                      rep.pulse_step_s * 1e6, array.gain_sigma, array.offset_sigma_s * 1e6, array.noise ? "on" : "off",
                      learning.pulse_train_length > 0
                          ? fmt::format("stochastic pulse trains of {} slots per sample", learning.pulse_train_length)
                          : std::string("Manhattan (one signed pulse per weight and sample)"))
       << "| epoch | compact model train / test | ideal devices train / test | float64 baseline train / test | "
          "write energy (J) | per cell pulse (µJ) |\n| ---: | --- | --- | --- | ---: | ---: |\n";
    for (std::size_t e = 0; e < rep.device.epochs.size(); ++e)
      md << fmt::format("| {} | {:.1f} % / {:.1f} % | {:.1f} % / {:.1f} % | {:.1f} % / {:.1f} % | {:.3g} | {:.3g} |\n", e + 1,
                        100 * rep.device.epochs[e].train_accuracy, 100 * rep.device.epochs[e].test_accuracy,
                        100 * rep.ideal.epochs[e].train_accuracy, 100 * rep.ideal.epochs[e].test_accuracy,
                        100 * rep.baseline.epochs[e].train_accuracy, 100 * rep.baseline.epochs[e].test_accuracy,
                        rep.device.epochs[e].energy_j, 1e6 * energy_per_pulse_j(rep.device.epochs[e]));
    md << fmt::format("\nFinal test accuracy: compact-model crossbar **{:.1f} %**, ideal devices {:.1f} %, float64 "
                      "baseline {:.1f} %; after {} s at 0 V the compact-model crossbar scores {:.1f} % (the devices "
                      "relax). Wall time {:.3f} s per epoch for the compact-model crossbar.\n\n",
                      100 * d.test_accuracy, 100 * rep.ideal.epochs.back().test_accuracy,
                      100 * rep.baseline.epochs.back().test_accuracy, learning.retention_s,
                      100 * rep.device.test_after_retention, rep.seconds_per_epoch)
       << fmt::format("Energy: {:.3g} µJ per cell pulse in the last epoch (the write energy Σ G V² dt of the "
                      "epoch, half-selected cells included, over its {} full-voltage cell pulses). A polymer device "
                      "switches by drifting ions across its film, which takes pulses of the table's model step "
                      "dt_m_s = {} s at several volts, so one pulse through the devices' mean conductance costs "
                      "V² G t = ({} V)² × {:.3g} µS × {} s ≈ {:.2g} µJ, and the V/2 scheme adds the half-selected cells "
                      "of the same lines: 10^6–10^7 × the pJ of a 10–100 ns oxide RRAM pulse. Fewer, shorter or "
                      "lower-voltage pulses (a faster material: thinner film, lower activation energy) are what "
                      "would bring it down.\n\n",
                      1e6 * energy_per_pulse_j(d), d.pulses, array.dt_m_s,
                      v_last, 1e6 * g_mean_s, array.dt_m_s, 1e6 * v_last * v_last * g_mean_s * array.dt_m_s)
       << cost_md << "![accuracy](accuracy.png)\n\n![energy](energy.png)\n\n![confusion](confusion.png)\n\n"
          "![conductances](conductance.png)\n\n![receptive fields](receptive_fields.png)\n";
    write_file_atomic(dir.path() / "report.md", md.str());
  }
  write_plots(dir.path(), rep, cost_plots);
  render_plots(dir.path().string(), o.quiet);
  signals.check();
  dir.commit();
  return rep;
}

}  // namespace ionrail::app

namespace ionrail::app {
using namespace ::ionrail::runs;
using namespace ionrail::config;
using namespace ionrail::model_io;

namespace {

const char* rule_text(circuits::mlp_rule r) {
  switch (r) {
    case circuits::mlp_rule::manhattan: return "Manhattan (one signed pulse per weight and sample)";
    case circuits::mlp_rule::pulse_train: return "stochastic pulse trains";
    case circuits::mlp_rule::mixed_precision: return "mixed precision (float32 accumulator, threshold transfer)";
  }
  return "";
}

}  // namespace

bool crossbar_is_network(const std::string& path, const crossbar_options& o) {
  const run_config cfg = load_run_config(path, o.overrides);
  check_file_is_for(cfg, "crossbar");
  return cfg.crossbar.trains_network();
}

circuits::mlp_report run_crossbar_network(const std::string& path, const crossbar_options& o) {
  const run_config cfg = load_run_config(path, o.overrides);
  check_file_is_for(cfg, "crossbar");
  const auto& x = cfg.crossbar;
  network_setup setup = load_network_setup(cfg, path);
  const circuits::mlp_params& mp = setup.mlp;
  const circuits::crossbar_params& array = setup.array;
  const model::table& table = setup.table;
  const circuits::mlp_data& data = setup.data;
  const std::string& data_text = setup.data_text;
  // The training samples of an epoch (train_limit applied).
  const std::size_t n_train =
      mp.train_limit > 0 ? std::min<std::size_t>(static_cast<std::size_t>(mp.train_limit), data.train.size())
                         : data.train.size();
  // Work, refused before anything is written: per training sample a read
  // of every device and at least the rule's writes (one or two model steps
  // each by the cell, write_outer_steps; mixed precision may need more, see
  // report), per epoch a read of the test set.
  {
    double devices = 0;
    std::vector<int> sizes{data.dim};
    sizes.insert(sizes.end(), mp.hidden.begin(), mp.hidden.end());
    sizes.push_back(10);
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) devices += 2.0 * (sizes[l] + 1) * sizes[l + 1];
    const double steps = static_cast<double>(circuits::write_outer_steps(array.selector)) *
                         (mp.rule == circuits::mlp_rule::pulse_train ? mp.pulse_train_length : 1);
    const double read = array.wire_ohm > 0 ? circuits::ir_drop_read_cost : 1.0;
    const double work = devices * mp.epochs * (static_cast<double>(n_train) * (read + steps) + static_cast<double>(data.test.size()) * read);
    if (!(work <= o.max_work))
      throw input_error(fmt::format("{}: this training would take about {:.3g} device updates ({} epochs of {} "
                                    "samples, {:.0f} devices), beyond the limit of {:.3g}: lower these, or raise the "
                                    "limit with --max-work",
                                    path, work, mp.epochs, n_train, devices, o.max_work));
    // Memory, refused before anything is allocated: every tile holds its own
    // copy of the table (as a chip's tile holds its own periphery), so small
    // tiles of a wide layer cost far more than their devices (1 x 1 tiles of
    // a 512-wide layer took 3.6 GB). Per device its state, voltages and the
    // training's weight, gradient and accumulator (doubles).
    double tiles = 0;
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
      tiles += std::ceil((sizes[l] + 1.0) / mp.tile_rows) * std::ceil(static_cast<double>(sizes[l + 1]) / mp.tile_cols);
    const double table_bytes =
        static_cast<double>(table.drift.size() + table.noise.size() + table.fluct.size() + table.g.size()) * 4.0;
    check_memory(tiles * (table_bytes + 1024.0) + devices * (sizeof(model::device) + 4.0 + 3 * 8.0),
                 fmt::format("{}: {:.0f} tiles of crossbar.tile_rows x tile_cols = {} x {} cells (each with its own "
                             "copy of the table, {:.0f} kB) and {:.0f} devices in {} layers (crossbar.hidden)",
                             path, tiles, mp.tile_rows, mp.tile_cols, table_bytes / 1024, devices, sizes.size() - 1));
  }
  // The hardware file is read before anything is written: its errors exit 2.
  std::optional<hardware_file> hw;
  if (!x.hardware_file.empty()) {
    if (array.adc_bits == 0)
      throw config_error(path + ": crossbar.hardware: the cost model prices a real ADC; crossbar.adc_bits = 0 (ideal) "
                                "has none, expected adc_bits in [2, 24]");
    hw = load_hardware_file(x.hardware_file);
  }
  training_signals signals("crossbar");  // before the staging: its cleanup runs with the signal caught
  staged_dir dir(o.out_dir, o.force);
  progress_reporter progress(mp.epochs, o.quiet);
  progress.begin_part(fmt::format("crossbar network: {} epochs", mp.epochs));
  const auto rep = signals.run([&](circuits::training_stop stop) {
    return circuits::train_mlp(data, table, array, mp, [&](int epoch) { progress.advance_to(epoch); }, stop);
  });
  progress.finish();

  std::string sizes_text;
  for (std::size_t k = 0; k < rep.sizes.size(); ++k) sizes_text += (k ? "-" : "") + std::to_string(rep.sizes[k]);
  {
    std::string csv =
        "epoch,train_accuracy,test_accuracy,float64_test_accuracy,seconds,write_steps,cell_pulses,energy_j,"
        "threads_mean\n";
    for (const auto& e : rep.epochs)
      csv += fmt::format("{},{:.6f},{:.6f},{},{:.4f},{},{},{:.6g},{:.3f}\n", e.epoch, e.train_accuracy,
                         e.test_accuracy,
                         std::isfinite(e.float_test_accuracy) ? fmt::format("{:.6f}", e.float_test_accuracy) : "",
                         e.seconds, e.write_steps, e.cell_pulses, e.energy_j, e.threads_mean);  // empty: no twin
    write_file_atomic(dir.path() / "epochs.csv", csv);
  }
  std::array<std::array<int, 10>, 10> confusion{};
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j) confusion[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = rep.confusion[i][j];
  write_confusion_csv(dir.path() / "confusion.csv", confusion);
  write_conductance_histogram(dir.path() / "conductance.csv", rep.g_before_s, rep.g_after_s);
  const auto& last = rep.epochs.back();
  const double accumulator_bytes = static_cast<double>(rep.accumulator_bits) * static_cast<double>(rep.weights) / 8;
  {
    json_doc js = {{"config", path},       {"seed", cfg.sim.seed}, {"git", git_hash()},
                   {"network", sizes_text}, {"rule", rep.rule},     {"train_samples", n_train},
                   {"test_samples", data.test.size()}};
    js["test_accuracy"] = json_number(last.test_accuracy, 4);
    js["float64_test_accuracy"] = json_number(last.float_test_accuracy, 4);
    if (rep.float_twin_symmetric) js["float64_twin_note"] = twin_symmetric_note;
    js["seconds_per_epoch"] = json_number(last.seconds, 4);
    js["threads_mean"] = json_number(last.threads_mean, 3);
    js["epsilon_s"] = json_number(rep.epsilon_s, 6);
    js["pulse_step_s"] = json_number(rep.pulse_step_s, 6);
    js["weights"] = rep.weights;
    js["accumulator_bits_per_weight"] = rep.accumulator_bits;
    js["accumulator_bytes"] = accumulator_bytes;
    js["parameters"] = parameters_json(runs::crossbar_as_run(cfg, array));  // initial_state as run
    write_json(dir.path() / "summary.json", js);
  }
  std::string cost_md, cost_plots;  // the hardware cost section, when [crossbar] hardware names a file
  if (hw) {
    std::vector<circuits::cost_layout> layouts;
    for (std::size_t l = 0; l + 1 < rep.sizes.size(); ++l) {
      const int rows = rep.sizes[l] + 1, cols = rep.sizes[l + 1];  // bias row
      const int down = (rows + mp.tile_rows - 1) / mp.tile_rows, across = (cols + mp.tile_cols - 1) / mp.tile_cols;
      layouts.push_back({down * across, mp.tile_rows, mp.tile_cols, array.adc_bits, array.dt_m_s,
                         static_cast<double>(rows) * cols, rep.accumulator_bits});
    }
    const auto cost = network_cost(rep, layouts, hw->params, static_cast<int>(n_train), static_cast<int>(data.test.size()));
    cost_md = write_cost_report(dir.path(), cost, *hw, cost_plots);
  }
  {
    std::ostringstream md;
    md << "# Crossbar network: " << sizes_text << "\n\n"
       << fmt::format("Config `{}`, seed {}, table `{}` (git {}). Data: {}, {} training and {} test samples. Network "
                      "{} ({} weights with bias rows, {} devices), sigmoid hidden layers (gain {}), softmax output "
                      "(gain {}), tiles of {} × {} weights with their own {}-bit DAC and {}-bit ADC, wires {} Ω per "
                      "cell, device variation gain σ {}, offset σ {} µS, noise {}. Rule: {}, η = {} (× {} per epoch), "
                      "max {} pulses per weight and sample, transfer threshold {} ε; write {} V ({}); ε = {:.4g} µS "
                      "(one write on a pair; a device "
                      "step at rest is {:.4g} µS). Accumulator: {} bits per weight, {:.0f} bytes in all.\n\n",
                      path, cfg.sim.seed, x.table_dir, git_hash(), data_text,
                      n_train,
                      data.test.size(), sizes_text, rep.weights, rep.devices, mp.hidden_gain, mp.output_gain,
                      mp.tile_rows, mp.tile_cols, array.dac_bits, array.adc_bits, array.wire_ohm, array.gain_sigma,
                      array.offset_sigma_s * 1e6, array.noise ? "on" : "off", rule_text(mp.rule), mp.learning_rate,
                      mp.learning_rate_decay, mp.max_pulses, mp.transfer_threshold, mp.v_write_v,
                      array.selector == circuits::cell_selector::transistor
                          ? "1T1R cells: only the selected cells see it"
                          : "passive cells, V/2 scheme: half-selected cells see V/2",
                      rep.epsilon_s * 1e6, rep.pulse_step_s * 1e6, rep.accumulator_bits,
                      accumulator_bytes)
       << "| epoch | crossbar train | crossbar test | float64 test | seconds | write steps | cell pulses | write "
          "energy (J) |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& e : rep.epochs)
      md << fmt::format("| {} | {:.1f} % | {:.1f} % | {} | {:.1f} | {} | {} | {:.3g} |\n", e.epoch,
                        100 * e.train_accuracy, 100 * e.test_accuracy, percent_or_off(e.float_test_accuracy), e.seconds,
                        e.write_steps, e.cell_pulses, e.energy_j);
    md << fmt::format("\nFinal test accuracy: crossbar **{:.1f} %**, float64 twin {}.\n\n",
                      100 * last.test_accuracy, percent_or_off(last.float_test_accuracy))
       << (rep.float_twin_symmetric ? twin_symmetric_note + "\n\n" : std::string())
       << cost_md << "![accuracy](accuracy.png)\n\n![confusion](confusion.png)\n\n![conductances](conductance.png)\n";
    write_file_atomic(dir.path() / "report.md", md.str());
  }
  {
    std::ostringstream gp;
    gp << "set encoding utf8\nset datafile separator ','\nset terminal pngcairo noenhanced size 900,560 font 'DejaVu Sans,11'\n"
          "set grid\nset output 'accuracy.png'\nset title 'Test accuracy per epoch'\nset xlabel 'epoch'\n"
          "set ylabel 'test digits classified correctly (%)'\nset yrange [0:100]\nset key bottom right\n"
          "plot 'epochs.csv' every ::1 using 1:($3*100) with linespoints lw 2 title 'crossbar', '' every ::1 using "
          "1:($4*100) with linespoints lw 2 title 'float64 twin', '' every ::1 using 1:($2*100) with lines dt 2 title "
          "'crossbar, training (on the fly)'\n"
          "set output 'conductance.png'\nset title 'Device conductances before and after training'\n"
          "set xlabel 'G (µS)'\nset ylabel 'devices'\nset style fill transparent solid 0.5\nset autoscale\n"
          "plot 'conductance.csv' every ::1 using ($1*1e6):2 with boxes title 'before', '' every ::1 using ($1*1e6):3 "
          "with boxes title 'after'\n"
          "set output 'confusion.png'\nset title 'Confusion matrix, crossbar network, test set'\n"
          "set xlabel 'predicted digit'\nset ylabel 'true digit'\nset cblabel 'test digits'\nset xrange [-0.5:9.5]\n"
          "set yrange [9.5:-0.5]\nset cbrange [0:*]\nset palette defined (0 'white', 1 '#08519c')\nunset key\n"
          "plot 'confusion.csv' every ::1 using 2:1:3 with image, '' every ::1 using 2:1:(sprintf('%d',$3)) with labels "
          "font ',9'\n"
       << cost_plots;
    write_file_atomic(dir.path() / "plots.gp", gp.str());
  }
  render_plots(dir.path().string(), o.quiet);
  signals.check();
  dir.commit();
  return rep;
}

std::string run_crossbar_command(const std::string& path, const crossbar_options& o) {
  if (crossbar_is_network(path, o)) {
    const auto r = run_crossbar_network(path, o);
    return fmt::format("ionrail crossbar: network test accuracy {:.1f} % (float64 twin {}{}), {:.1f} s per epoch; "
                       "wrote {}",
                       100 * r.epochs.back().test_accuracy, percent_or_off(r.epochs.back().float_test_accuracy),
                       r.float_twin_symmetric ? ": no baseline, its start is symmetric (report.md)" : "",
                       r.epochs.back().seconds, o.out_dir);
  }
  const auto r = run_crossbar(path, o);
  return fmt::format("ionrail crossbar: test accuracy {:.1f} % (ideal devices {:.1f} %, float64 {:.1f} %); wrote {}",
                     100 * r.device.epochs.back().test_accuracy, 100 * r.ideal.epochs.back().test_accuracy,
                     100 * r.baseline.epochs.back().test_accuracy, o.out_dir);
}

}  // namespace ionrail::app
