#include <ionrail/runs/crossbar_network.hpp>
#include <ionrail/runs/file_kind.hpp>
#include <ionrail/app/snn_run.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <ionrail/app/circuit_report.hpp>
#include <ionrail/app/training_signals.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/calibration/progress.hpp>
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
// MNIST's test split (data/mnist10k: 10,000 images, 8,000 train / 2,000 test).
constexpr int mnist_test_images = 2000;
}  // namespace

circuits::snn_report run_snn(const std::string& path, const snn_options& o) {
  const run_config cfg = load_run_config(path, o.overrides);
  check_file_is_for(cfg, "snn");
  const auto& x = cfg.snn;
  if (x.table_dir.empty()) throw config_error(path + ": [snn] table: a table directory is required");
  if (x.data_file.empty()) throw config_error(path + ": [snn] data: the digits file is required");
  const model::table table = load_table_consistent(x.table_dir);
  const double dt_m = table_metadata(x.table_dir, "dt_m_s");
  {
    // A device sees row − column: pre_v + post_v1 at a spike that meets an
    // eligible input, post_v2 (reversed) one step later.
    const auto& w = x.network.waveform;
    const double most = std::max({w.pre_v + w.post_v1, w.post_v2, w.pre_v});
    runs::check_within_table_range(most,
                                   table,
                                   fmt::format("snn.pre_v + snn.post_v1 = {} V, snn.post_v2 = {} V: a device would see {} V",
                                               w.pre_v + w.post_v1, w.post_v2, most),
                                   path, x.table_dir);
  }
  circuits::snn_params p = x.network;
  p.seed = cfg.sim.seed;
  // An IDX directory (as [crossbar] data) is MNIST: 28×28 images, the fixed
  // 8,000 / 2,000 split (split_mnist), the test set cut to test_count; a file
  // is the 8×8 digits with their stratified split of test_count.
  const bool mnist = std::filesystem::is_directory(x.data_file);
  circuits::snn_data data;
  if (mnist) {
    const std::filesystem::path dir(x.data_file);
    const auto set = circuits::load_mnist((dir / "images-idx3-ubyte.gz").string(), (dir / "labels-idx1-ubyte.gz").string());
    if (set.count <= mnist_test_images)
      throw input_error(fmt::format("{}: [snn] data = {}: {} images, more than the {} of the test split are needed", path,
                                    x.data_file, set.count, mnist_test_images));
    data = circuits::snn_data_from_mnist(set, circuits::split_mnist(set.count, mnist_test_images, cfg.sim.seed), p.test_count);
  } else {
    const auto digits = circuits::load_digits(x.data_file);
    data = circuits::snn_data_from_digits(
        digits, split_digits_checked(path, "snn.test_count", digits, p.test_count, cfg.sim.seed, x.data_file));
  }
  const int inputs = data.inputs();
  // Work: refused before the output directory exists (as crossbar's).
  const double work = circuits::train_snn_work(p, data.train.size(), data.test.size(), inputs);
  if (!(work <= o.max_work))
    throw input_error(fmt::format("{}: this training would take about {:.3g} device updates (snn.neurons = {} x {} "
                                  "devices, snn.epochs = {}, snn.present_steps + snn.rest_steps = {} steps per digit), "
                                  "beyond the limit of {:.3g}: lower these, or raise the limit with --max-work",
                                  path, work, p.neurons, inputs, p.epochs, p.present_steps + p.rest_steps, o.max_work));
  training_signals signals("snn");  // before the staging: its cleanup runs with the signal caught
  staged_dir dir(o.out_dir, o.force);

  // The STDP window the devices produce (256 devices per Δt, noise as configured).
  const auto window = circuits::stdp_window(table, p.waveform, p.initial_state, x.window_steps, 256, p.noise, cfg.sim.seed);
  {
    std::string csv = "delta_steps,delta_ms,mean_dg_s\n";
    for (const auto& [d, g] : window) csv += fmt::format("{},{:.6g},{:.6g}\n", d, d * dt_m * 1e3, g);
    write_file_atomic(dir.path() / "window.csv", csv);
  }
  // A lone pre spike's change, against the coincidence's (Δt = 0): 16,384 devices, so that its standard
  // error (cycle-to-cycle noise ~1 µS / 128) is well under the change.
  const double lone_pre = circuits::lone_pre_change(table, p.waveform, p.initial_state, 16384, p.noise, cfg.sim.seed);
  double coincidence = 0;
  for (const auto& [d, g] : window)
    if (d == 0) coincidence = g;

  const int train_n = p.train_limit > 0 ? std::min<int>(p.train_limit, static_cast<int>(data.train.size()))
                                        : static_cast<int>(data.train.size());
  progress_reporter progress(static_cast<double>(p.epochs) * train_n, o.quiet);
  progress.begin_part(fmt::format("snn: {} neurons, {} epochs of {} digits", p.neurons, p.epochs, train_n));
  const auto r = signals.run([&](circuits::training_stop stop) {
    return circuits::train_snn(data, table, dt_m, p, [&](int done, int) { progress.advance_to(done); }, stop);
  });
  progress.finish();

  {
    std::string csv = "neuron,label\n";
    for (std::size_t j = 0; j < r.neuron_label.size(); ++j) csv += fmt::format("{},{}\n", j, r.neuron_label[j]);
    write_file_atomic(dir.path() / "labels.csv", csv);
  }
  {
    std::string csv = "epoch,test_accuracy\n";
    for (std::size_t e = 0; e < r.epoch_test_accuracy.size(); ++e) csv += fmt::format("{},{:.6f}\n", e + 1, r.epoch_test_accuracy[e]);
    write_file_atomic(dir.path() / "accuracy.csv", csv);
  }
  write_confusion_csv(dir.path() / "confusion.csv", r.confusion);
  write_conductance_histogram(dir.path() / "conductance.csv", r.weights_before_s, r.weights_after_s);
  const int shown = std::min(p.neurons, 50);
  {
    // One image-shaped block (8 × 8 or 28 × 28) of synapse conductances (µS)
    // per neuron, for gnuplot `index`.
    std::ostringstream m;
    for (int j = 0; j < shown; ++j) {
      m << "# neuron " << j << " label " << r.neuron_label[static_cast<std::size_t>(j)] << "\n";
      for (int yy = 0; yy < data.rows; ++yy) {
        for (int xx = 0; xx < data.cols; ++xx)
          m << (xx ? " " : "") << r.weights_after_s[static_cast<std::size_t>(yy * data.cols + xx) * static_cast<std::size_t>(p.neurons) + static_cast<std::size_t>(j)] * 1e6;
        m << "\n";
      }
      m << "\n\n";
    }
    write_file_atomic(dir.path() / "receptive_fields.dat", m.str());
  }
  {
    double rf_max_us = 0;
    for (double g : r.weights_after_s) rf_max_us = std::max(rf_max_us, g * 1e6);
    if (!(rf_max_us > 0)) rf_max_us = 1;
    std::ostringstream gp;
    gp << "set encoding utf8\nset datafile separator ','\nset terminal pngcairo noenhanced size 900,560 font 'DejaVu Sans,11'\nset grid\n"
          "set output 'accuracy.png'\nset title 'Test accuracy after each epoch (neurons labelled afresh each time)'\n"
          "set xlabel 'epoch'\nset ylabel 'test digits classified correctly (%)'\nset yrange [0:100]\nset xtics 1\nset key off\n"
          "plot 'accuracy.csv' every ::1 using 1:($2*100) with linespoints lw 2 pt 7\nset autoscale y\nset xtics autofreq\n"
          "set output 'stdp_window.png'\nset title 'STDP window of the devices: mean conductance change per spike pair'\n"
          "set xlabel 't_post − t_pre (ms)'\nset ylabel 'mean ΔG (µS)'\nset key off\n"
          "plot 'window.csv' every ::1 using 2:($3*1e6) with linespoints lw 2 pt 7, 0 lc rgb 'black'\n"
          "set output 'conductance.png'\nset title 'Synapse conductances before and after training'\nset xlabel 'G (µS)'\n"
          "set ylabel 'devices'\nset style fill transparent solid 0.5\nset key on\n"
          "plot 'conductance.csv' every ::1 using ($1*1e6):2 with boxes title 'before', '' every ::1 using ($1*1e6):3 "
          "with boxes title 'after'\n"
          "set output 'confusion.png'\nset title 'Confusion matrix, test set'\nset xlabel 'predicted digit'\nset ylabel 'true digit'\n"
          "set cblabel 'test digits'\n"
          "set xrange [-0.5:9.5]\nset yrange [9.5:-0.5]\nset palette defined (0 'white', 1 '#08519c')\nunset key\n"
          "plot 'confusion.csv' every ::1 using 2:1:3 with image, '' every ::1 using 2:1:(sprintf('%d',$3)) with labels "
          "font ',9'\n"
          "unset cblabel\nset terminal pngcairo noenhanced size 1200,620 font 'DejaVu Sans,8'\nset output 'receptive_fields.png'\n"
          "unset xlabel\nunset ylabel\nunset xtics\nunset ytics\nunset colorbox\nset datafile separator whitespace\n"
       // One grey scale for every panel, its range in the title: a colour bar
       // per panel would crowd fifty of them.
       << fmt::format("set palette grey\nset cbrange [0:{0:.3g}]\nset multiplot layout 5,10 title 'Synapse conductances of "
                      "the first neurons (neuron: label); grey scale: G from 0 µS (black) to {0:.3g} µS (white)'\n",
                      rf_max_us);
    for (int j = 0; j < shown; ++j)
      gp << "set title '" << j << ": " << r.neuron_label[static_cast<std::size_t>(j)]
         << fmt::format("'\nset xrange [-0.5:{}.5]\nset yrange [{}.5:-0.5]\nplot 'receptive_fields.dat' index ", data.cols - 1, data.rows - 1) << j
         << " matrix with image\n";
    gp << "unset multiplot\n";
    write_file_atomic(dir.path() / "plots.gp", gp.str());
  }
  const int silent = r.silent_in_training();
  {
    json_doc accuracy = json_doc::array();
    for (double a : r.epoch_test_accuracy) accuracy.push_back(json_number(a, 4));
    json_doc epoch_seconds = json_doc::array();
    for (double t : r.epoch_train_seconds) epoch_seconds.push_back(json_number(t, 3));
    write_json(dir.path() / "summary.json", {{"config", path},
                                             {"seed", cfg.sim.seed},
                                             {"git", git_hash()},
                                             {"neurons", p.neurons},
                                             {"train_digits", train_n},
                                             {"inputs", inputs},
                                             {"test_digits", data.test.size()},
                                             {"test_accuracy", json_number(r.test_accuracy, 4)},
                                             {"epoch_test_accuracy", accuracy},
                                             {"train_spikes", r.train_spikes},
                                             {"neurons_silent_in_training", silent},
                                             {"recruit_images", r.recruit_images()},
                                             {"lone_pre_dg_s", json_number(lone_pre, 4)},
                                             {"coincidence_dg_s", json_number(coincidence, 4)},
                                             {"seconds", json_number(r.seconds, 3)},
                                             {"epoch_train_seconds", epoch_seconds},
                                             {"parameters", parameters_json(cfg)}});
  }
  {
    int labelled = 0;
    for (int l : r.neuron_label) labelled += l >= 0;
    std::ostringstream md;
    const std::string coding =
        p.input_spikes > 0 ? fmt::format("Poisson rate coding, {} input spikes per step per digit on average", p.input_spikes)
                           : fmt::format("Poisson rate coding up to {} spikes per step", p.max_rate);
    const std::string programming =
        p.anneal < 1 ? fmt::format("programming levels ×{} per epoch", p.anneal) : std::string("fixed programming levels");
    md << (mnist ? "# Spiking network with memristive STDP: MNIST (28×28)\n\n" : "# Spiking network with memristive STDP: 8×8 digits\n\n")
       << fmt::format("Config `{}`, seed {}, table `{}` (git {}). {} LIF neurons, winner-take-all, adaptive thresholds; "
                      "{} × {} synapse devices. Unsupervised training on {} digits × {} epochs ({} steps of {} ms per "
                      "digit, {}; {}); {} neurons labelled, {} never fired while training{}.\n\n"
                      "**Test accuracy: {:.1f} %** on {} digits (chance 10 %). Wall time {:.1f} s ({:.1f} s per training "
                      "epoch).\n\n",
                      path, cfg.sim.seed, x.table_dir, git_hash(), p.neurons, inputs, p.neurons, train_n, p.epochs,
                      p.present_steps, dt_m * 1e3, coding, programming, labelled, silent,
                      p.recruit_after > 0 ? fmt::format(" ({} training images given to a neuron silent for {} images)",
                                                        r.recruit_images(), p.recruit_after)
                                          : std::string(),
                      100 * r.test_accuracy,
                      data.test.size(), r.seconds, r.epoch_train_seconds.empty() ? 0.0 : r.epoch_train_seconds.back())
       << "Test accuracy after each epoch (neurons labelled afresh, on a copy of the network so that training is "
          "not disturbed):\n\n| epoch | test accuracy |\n| ---: | ---: |\n";
    for (std::size_t e = 0; e < r.epoch_test_accuracy.size(); ++e)
      md << fmt::format("| {} | {:.1f} % |\n", e + 1, 100 * r.epoch_test_accuracy[e]);
    md << "\n![accuracy](accuracy.png)\n\n"
       << "The STDP window below is measured, not assumed: 256 devices per Δt see the pre and post spike waveforms "
          "(row: +pre_v for pre_steps steps; column: −post_v1 then +post_v2) and the table's dynamics decide the "
          "change.\n\n| Δt (ms) | mean ΔG (µS) |\n| ---: | ---: |\n";
    for (const auto& [d, g] : window) md << fmt::format("| {:.0f} | {:+.3f} |\n", d * dt_m * 1e3, g * 1e6);
    md << fmt::format("\nA lone pre spike (no post spike near it): mean ΔG {:+.3f} µS, {:.1f} % of a coincidence's "
                      "({:+.3f} µS at Δt = 0). Every input spike puts pre_v on its row's devices in all {} columns, so this "
                      "change accrues on every neuron's active inputs, winner or not; it must stay small next to the "
                      "coincidences for the synapses to learn shapes.\n",
                      lone_pre * 1e6, coincidence != 0 ? 100 * lone_pre / coincidence : 0.0, coincidence * 1e6, p.neurons);
    md << "\n![STDP window](stdp_window.png)\n\n![receptive fields](receptive_fields.png)\n\n![confusion](confusion.png)"
          "\n\n![conductances](conductance.png)\n";
    write_file_atomic(dir.path() / "report.md", md.str());
  }
  render_plots(dir.path().string(), o.quiet);
  signals.check();
  dir.commit();
  return r;
}

}  // namespace ionrail::app
