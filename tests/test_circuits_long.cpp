// The full circuit experiments (ctest -L long; excluded from the default
// set): experiments/crossbar_digits.toml, crossbar_mnist.toml, snn_digits.toml, snn_mnist.toml and snn_mnist_400.toml as
// shipped, seed 1. Their figures are in docs/circuits.md; these tests keep
// them from regressing (the runs are deterministic, so the numbers are exact
// for this build; the bars leave room for other compilers' floating point in
// the float64 baseline and the read-outs).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <ionrail/app/crossbar_run.hpp>
#include <ionrail/app/snn_run.hpp>

namespace {

namespace fs = std::filesystem;

TEST(CircuitsLong, CrossbarDigitsAsShipped) {
  ionrail::app::crossbar_options o;
  o.out_dir = (fs::path(::testing::TempDir()) / "ionrail_long_crossbar").string();
  o.force = true;
  o.quiet = true;
  const auto r = ionrail::app::run_crossbar(std::string(IONRAIL_SOURCE_DIR) + "/experiments/crossbar_digits.toml", o);
  const double device = r.device.epochs.back().test_accuracy, base = r.baseline.epochs.back().test_accuracy;
  EXPECT_GE(device, 0.92);
  EXPECT_LE(base - device, 0.03);
  EXPECT_LT(r.seconds_per_epoch, 2.0);
}

TEST(CircuitsLong, CrossbarMnistAsShipped) {
  ionrail::app::crossbar_options o;
  o.out_dir = (fs::path(::testing::TempDir()) / "ionrail_long_crossbar_mnist").string();
  o.force = true;
  o.quiet = true;
  const auto r = ionrail::app::run_crossbar_network(std::string(IONRAIL_SOURCE_DIR) + "/experiments/crossbar_mnist.toml", o);
  // Measured (784-128-10, 1T1R written in one step per write, 64 x 32
  // tiles, devices from mid-range, 4 epochs, IR drop at 1.4 ohm, the
  // thin table recalibrated on 2026-12-07): seed 1 94.10 % against the
  // float64 twin's 94.90 % (0.80 points); seeds 1-5 93.32 +- 0.66 %, gaps
  // 0.70-1.95 (docs/circuits.md). The bars sit more than a point below
  // seed 1 (more than the seed-to-seed sd), so they catch a regression,
  // not the spread between builds.
  const auto& e = r.epochs.back();
  EXPECT_GE(e.test_accuracy, 0.925);
  EXPECT_LE(e.float_test_accuracy - e.test_accuracy, 0.025);
  EXPECT_GT(e.cell_pulses, 0);
}

// An experiments/ SNN file as shipped, into a scratch directory.
ionrail::circuits::snn_report run_shipped_snn(const std::string& file, const std::string& scratch) {
  ionrail::app::snn_options o;
  o.out_dir = (fs::path(::testing::TempDir()) / scratch).string();
  o.force = true;
  o.quiet = true;
  return ionrail::app::run_snn(std::string(IONRAIL_SOURCE_DIR) + "/experiments/" + file, o);
}

TEST(CircuitsLong, SnnDigitsAsShipped) {
  const auto r = run_shipped_snn("snn_digits.toml", "ionrail_long_snn");
  // Measured 86.0 % (seed 1) on the thin table recalibrated on 2026-12-07
  // with pre_v 2.5 V (a lone pre spike barely moves a device); seeds 1-10
  // gave 80.7-86.2 %, mean 83.6 % (docs/circuits.md). The bar sits 2 points
  // below seed 1 (about one binomial sd of 450 test digits is 1.9 points)
  // and above the 80 %: it catches a regression, not the draw.
  EXPECT_GE(r.test_accuracy, 0.84);
}

TEST(CircuitsLong, SnnMnistAsShipped) {
  const auto r = run_shipped_snn("snn_mnist.toml", "ionrail_long_snn_mnist");
  // Measured 78.3 % (seed 1, one epoch over 8,000 images, distance bias,
  // pre_v 2.0 V) on the thin table recalibrated on 2026-12-07; seeds 1-5
  // 77.6-82.8 %, mean 79.2 % (docs/circuits.md "Spiking network on
  // MNIST"). The bar, two binomial sd of 2,000 test images (0.9 points
  // each) below seed 1, is above the 75 %.
  EXPECT_GE(r.test_accuracy, 0.765);
  EXPECT_EQ(r.neuron_label.size(), 100u);
}

TEST(CircuitsLong, SnnMnist400AsShipped) {
  const auto r = run_shipped_snn("snn_mnist_400.toml", "ionrail_long_snn_mnist_400");
  // Measured 89.85 % (seed 1, one epoch over 8,000 images, distance bias,
  // silent neurons recruited, pre_v 1.5 V) on the thin table recalibrated
  // on 2026-12-07 (docs/circuits.md "Spiking network on MNIST"). The bar is
  // about 3.5 binomial standard deviations of 2,000 test images (0.7 points
  // each) below it, above the 82 %: it catches a regression, not
  // the draw.
  EXPECT_GE(r.test_accuracy, 0.875);
  EXPECT_EQ(r.neuron_label.size(), 400u);
  EXPECT_EQ(r.silent_in_training(), 0);
}

}  // namespace
