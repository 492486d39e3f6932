#include <ionrail/app/cost_report.hpp>

#include <fmt/format.h>

#include <cmath>

#include <ionrail/model_io/atomic_file.hpp>

namespace ionrail::app {

std::string si_text(double value, const std::string& unit, bool squared) {
  static const char* prefix[] = {"f", "p", "n", "µ", "m", "", "k"};
  if (value == 0) return "0";
  if (!std::isfinite(value)) return fmt::format("{} {}{}", value, unit, squared ? "²" : "");
  const double step = squared ? 1e6 : 1e3;  // m² steps by 10^6 per prefix
  int k = 0;                                 // index into prefix - 5
  double v = value;
  while (std::fabs(v) >= step && k < 1) v /= step, ++k;
  while (std::fabs(v) < 1 && k > -5) v *= step, --k;
  // Three significant digits, without an exponent (up to 999,999 µm²).
  return fmt::format(std::fabs(v) >= 100 ? "{:.0f} {}{}{}" : "{:.3g} {}{}{}", v, prefix[k + 5], unit, squared ? "²" : "");
}

circuits::hardware_cost crossbar_cost(const circuits::learning_report& rep, const circuits::cost_layout& layout,
                                      const circuits::hardware_params& hw, int train_digits, int test_digits) {
  using namespace circuits;
  const epoch_record& e = rep.device.epochs.back();
  const double cols = layout.tile_cols;  // one tile across (the digits' 10 outputs)
  // Digital work the arrays do not count: each ADC output is added into its
  // column's sum (partial sums across tiles), the argmax compares every
  // column; a training sample adds the softmax scaling β·z and p/Σ (two
  // multiplies per output) and Σ exp and t − p (two float adds; exp itself
  // is not counted).
  digital_ops test_ops, train_ops;
  test_ops.int_adds = static_cast<double>(e.test_activity.adc_conversions) + cols * test_digits;
  train_ops.int_adds = static_cast<double>(e.train_activity.adc_conversions) + cols * train_digits;
  train_ops.fp_mults = 2 * cols * train_digits;
  train_ops.fp_adds = 2 * cols * train_digits;
  const double updated = static_cast<double>(e.pulses) / 2;  // two cell pulses per weight moved
  const cost_breakdown test = cost_of(e.test_activity, test_ops, 0, layout, hw);
  const cost_breakdown train = cost_of(e.train_activity, train_ops, updated, layout, hw);
  hardware_cost c;
  c.per_inference = per_each(test, test_digits);
  c.per_update = per_each(train, train_digits);
  c.per_epoch = train;
  for (int p = 0; p < cost_parts; ++p) c.per_epoch.energy_j[static_cast<std::size_t>(p)] += test.energy_j[static_cast<std::size_t>(p)];
  c.per_epoch.latency_s += test.latency_s;
  c.area_m2 = area_of(layout, hw);
  return c;
}

circuits::hardware_cost network_cost(const circuits::mlp_report& rep, const std::vector<circuits::cost_layout>& layouts,
                                     const circuits::hardware_params& hw, int train_samples, int test_samples) {
  using namespace circuits;
  const mlp_epoch& e = rep.epochs.back();
  hardware_cost c;
  cost_breakdown train, test;
  const auto add = [](cost_breakdown& sum, const cost_breakdown& part) {
    for (int p = 0; p < cost_parts; ++p) sum.energy_j[static_cast<std::size_t>(p)] += part.energy_j[static_cast<std::size_t>(p)];
    sum.latency_s += part.latency_s;
  };
  for (std::size_t l = 0; l < layouts.size(); ++l) {
    const cost_layout& ly = layouts[l];
    const double outputs = static_cast<double>(rep.sizes[l + 1]), weights = ly.weights;
    // Per sample: every ADC output is added into its column's sum (partial
    // sums across tiles) and each output scaled by the layer's gain and put
    // through its sigmoid or the softmax (a multiply and an add each; exp not
    // counted); training adds the layer's error δ (a multiply and an add per
    // output and per weight of the layer above, the backward pass) and, with
    // an accumulator, χ += η x δ for every weight (two multiplies, an add).
    digital_ops test_ops, train_ops;
    test_ops.int_adds = static_cast<double>(e.test_activity[l].adc_conversions);
    test_ops.fp_mults = test_ops.fp_adds = outputs * test_samples;
    train_ops.int_adds = static_cast<double>(e.train_activity[l].adc_conversions);
    const double above = l + 2 < rep.sizes.size() ? static_cast<double>(rep.sizes[l + 2]) : 1.0;
    train_ops.fp_mults = train_ops.fp_adds = (outputs + outputs * above) * train_samples;
    double updated = 0;
    if (ly.accumulator_bits > 0) {
      train_ops.fp_mults += 2 * weights * train_samples;
      train_ops.fp_adds += weights * train_samples;
      updated = weights * train_samples;
    }
    add(train, cost_of(e.train_activity[l], train_ops, updated, ly, hw));
    add(test, cost_of(e.test_activity[l], test_ops, 0, ly, hw));
    const auto area = area_of(ly, hw);
    for (int p = 0; p < cost_parts; ++p) c.area_m2[static_cast<std::size_t>(p)] += area[static_cast<std::size_t>(p)];
  }
  // Latency: a sample's reads go layer after layer (each needs the one
  // below); its writes take the device time every device spent training,
  // the busiest tile of the busiest layer (tiles and layers program at the
  // same time, train_mlp), not the tiles' mean write steps.
  train.latency_s = test.latency_s = 0;
  for (std::size_t l = 0; l < layouts.size(); ++l) {
    train.latency_s += read_latency_s(e.train_activity[l], layouts[l], hw);
    test.latency_s += read_latency_s(e.test_activity[l], layouts[l], hw);
  }
  train.latency_s += static_cast<double>(e.train_model_steps) * layouts.front().dt_m_s;
  c.per_inference = per_each(test, test_samples);
  c.per_update = per_each(train, train_samples);
  c.per_epoch = train;
  add(c.per_epoch, test);
  return c;
}

std::string write_cost_report(const std::filesystem::path& dir, const circuits::hardware_cost& c,
                              const config::hardware_file& hw, std::string& plots) {
  using namespace circuits;
  const cost_breakdown* scope[3] = {&c.per_inference, &c.per_update, &c.per_epoch};
  std::string csv = "part,inference_j,update_j,epoch_j,area_m2\n";
  std::string md = "## Hardware cost\n\n" +
                   fmt::format("From what the compact-model crossbar did in the last epoch and the hardware file `{}` "
                               "(docs/circuits.md, \"Hardware cost\"). Per update: one training digit (its read, the "
                               "rule's digital work, its write pulses); per epoch: every training digit and the test "
                               "set.\n\n",
                               hw.path) +
                   "| part | per inference | per update | per epoch | area |\n| --- | ---: | ---: | ---: | ---: |\n";
  for (int p = 0; p < cost_parts; ++p) {
    const auto i = static_cast<std::size_t>(p);
    csv += fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g}\n", cost_part_names[i], c.per_inference.energy_j[i],
                       c.per_update.energy_j[i], c.per_epoch.energy_j[i], c.area_m2[i]);
    md += fmt::format("| {} | {} | {} | {} | {} |\n", cost_part_names[i], si_text(c.per_inference.energy_j[i], "J"),
                      si_text(c.per_update.energy_j[i], "J"), si_text(c.per_epoch.energy_j[i], "J"),
                      si_text(c.area_m2[i], "m", true));
  }
  md += fmt::format("| **total** | **{}** | **{}** | **{}** | **{}** |\n| latency | {} | {} | {} | |\n\n",
                    si_text(c.per_inference.energy_total_j(), "J"), si_text(c.per_update.energy_total_j(), "J"),
                    si_text(c.per_epoch.energy_total_j(), "J"), si_text(c.area_total_m2(), "m", true),
                    si_text(c.per_inference.latency_s, "s"), si_text(c.per_update.latency_s, "s"),
                    si_text(c.per_epoch.latency_s, "s"));
  csv += fmt::format("latency_s,{:.6g},{:.6g},{:.6g},\n", c.per_inference.latency_s, c.per_update.latency_s,
                     c.per_epoch.latency_s);
  model_io::write_file_atomic(dir / "cost.csv", csv);
  // Shares (%) of each part, one row per scope and one for the area: the
  // scopes differ by 10^9, so the bars compare the breakdowns' shapes.
  std::string dat = "scope";
  for (const char* n : cost_part_names) dat += fmt::format(",\"{}\"", n);
  dat += "\n";
  const char* names[4] = {"inference", "update", "epoch", "area"};
  for (int s = 0; s < 4; ++s) {
    const auto& v = s < 3 ? scope[s]->energy_j : c.area_m2;
    double total = 0;
    for (double x : v) total += x;
    dat += names[s];
    for (double x : v) dat += fmt::format(",{:.6g}", total > 0 ? 100 * x / total : 0.0);
    dat += "\n";
  }
  model_io::write_file_atomic(dir / "cost_shares.dat", dat);
  plots = "set output 'cost.png'\nset terminal pngcairo noenhanced size 900,560 font 'DejaVu Sans,11'\n"
          "set datafile separator ','\nunset xrange\nunset yrange\nset autoscale\nset xtics\nset ytics\n"
          "set title 'Hardware cost breakdown: energy per inference, update and epoch; area'\nset xlabel ''\n"
          "set ylabel 'share (%)'\nset yrange [0:100]\nset style data histograms\nset style histogram rowstacked\n"
          "set style fill solid 0.8 border -1\nset boxwidth 0.6\nset key outside right\n"
          "plot for [k=2:7] 'cost_shares.dat' using k:xtic(1) title columnheader(k)\n";
  md += "![hardware cost breakdown](cost.png)\n\nSources of the hardware file:\n\n| key | value | source |\n| --- | ---: | --- |\n";
  for (const auto& e : hw.entries) md += fmt::format("| `{}` | {:.4g} {} | {} |\n", e.key, e.value, e.unit, e.source);
  return md + "\n";
}

}  // namespace ionrail::app
