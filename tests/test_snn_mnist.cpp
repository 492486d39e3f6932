// The spiking network (circuits/snn.hpp) on MNIST at full resolution (784
// inputs, data/mnist10k): a short run learns, unsupervised, well above
// chance; the same seed gives the same bits whatever the OpenMP thread count
// (the learning step's rows run on threads); and a bad image set is refused.
// The full experiment (experiments/snn_mnist.toml) is CircuitsLong.SnnMnistAsShipped.
#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <ionrail/circuits/mnist.hpp>
#include <ionrail/circuits/snn.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace {

using namespace ionrail;

const std::string thin_table = std::string(IONRAIL_SOURCE_DIR) + "/tables/polymer_thin";
const std::string mnist_dir = std::string(IONRAIL_SOURCE_DIR) + "/data/mnist10k/";

struct small_mnist_snn {
  model::table table = model_io::load_table(thin_table, model_io::table_format::csv);
  circuits::mnist_set set = circuits::load_mnist(mnist_dir + "images-idx3-ubyte.gz", mnist_dir + "labels-idx1-ubyte.gz");
  // The 2,000-image test split cut to its first 200 images.
  circuits::snn_data data = circuits::snn_data_from_mnist(set, circuits::split_mnist(set.count, 2000, 1), 200);

  // 24 neurons (784 × 24 devices: enough for the learning step to run on
  // threads), trained on `images` training images and labelled on 200; the
  // per-image settings experiments/snn_mnist.toml had until 2026-12-07
  // (pre_v 3.5 V, threshold 40, no distance bias): what these tests check
  // does not depend on the levels.
  circuits::snn_report train(int images, int threads, double distance_bias = 0, double threshold = 40,
                             int recruit_after = 0, int neurons = 24) const {
    circuits::snn_params p;
    p.distance_bias = distance_bias;
    p.recruit_after = recruit_after;
    p.neurons = neurons;
    p.train_limit = images;
    p.label_limit = 200;
    p.input_spikes = 28;
    p.present_steps = 40;
    p.waveform = {3.5, 2, 4.0, 6.5};
    p.threshold = threshold;
    p.theta_plus = 0.2;
    p.seed = 1;
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    auto r = circuits::train_snn(data, table, 0.05, p);
    omp_set_num_threads(before);
    return r;
  }
};

TEST(SnnMnist, SplitAndShape) {
  const small_mnist_snn task;
  EXPECT_EQ(task.data.inputs(), 784);
  EXPECT_EQ(task.data.full, 255.0);
  EXPECT_EQ(task.data.train.size(), 8000u);
  EXPECT_EQ(task.data.test.size(), 200u);
  // An MNIST image's rates with input_spikes: that many spikes per step on
  // average, in proportion to the pixels.
  circuits::snn_params p;
  p.input_spikes = 14;
  const auto r = circuits::input_rates(task.data.image(0), 784, 255.0, p);
  double total = 0;
  for (double x : r) total += x;
  EXPECT_NEAR(total, 14.0, 1e-9);
  p.input_spikes = 0;
  p.max_rate = 0.5;
  const auto m = circuits::input_rates(task.data.image(0), 784, 255.0, p);
  for (int i = 0; i < 784; ++i) EXPECT_DOUBLE_EQ(m[static_cast<std::size_t>(i)], 0.5 * task.data.image(0)[i] / 255.0);
}

// Unsupervised learning beats chance. 200 test images: a classifier at chance
// (10 %) scores 10 ± 2.1 % (binomial sd); the bar, 30 %, is over 9 sd above
// it; seed 1 measures 58.5 % (printed below), so the bar also catches a
// network that learns much less than it does now.
TEST(SnnMnist, ShortRunBeatsChance) {
  const small_mnist_snn task;
  const auto r = task.train(200, 1);
  std::cout << "24 neurons, 200 MNIST training images: test accuracy " << r.test_accuracy << "\n";
  EXPECT_GT(r.test_accuracy, 0.30);
  EXPECT_GT(r.train_spikes, 200LL);
  EXPECT_EQ(r.weights_after_s.size(), 784u * 24u);
}

// Same seed, same bits on 1 and 2 threads (a short run: 20 images).
TEST(SnnMnist, ThreadCountDoesNotChangeTheBits) {
  const small_mnist_snn task;
  const auto one = task.train(20, 1);
  const auto two = task.train(20, 2);
  EXPECT_NE(one.weights_before_s, one.weights_after_s);
  EXPECT_EQ(one.test_accuracy, two.test_accuracy);
  EXPECT_EQ(one.train_spikes, two.train_spikes);
  EXPECT_EQ(one.weights_after_s, two.weights_after_s);
}

// distance_bias's currents by hand: 2 inputs × 2 neurons, G = [[1, 3], [1, 1]] µS
// (rows are inputs): column sums 2 and 4 µS (mean 3), sums of squares 2 and
// 10 µS²; with distance_bias 1 and v_read 0.05 V the currents per input spike
// are 0.05 · 2/(2 · 3) and 0.05 · 10/(2 · 3) µA.
TEST(SnnMnist, DistanceBiasCurrentsByHand) {
  const std::vector<double> g{1e-6, 3e-6, 1e-6, 1e-6};
  const auto b = circuits::distance_bias_currents(g, 2, 2, 1.0, 0.05);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_NEAR(b[0], 0.05 * 2e-12 / 6e-6, 1e-18);
  EXPECT_NEAR(b[1], 0.05 * 10e-12 / 6e-6, 1e-18);
  const auto half = circuits::distance_bias_currents(g, 2, 2, 0.5, 0.05);
  EXPECT_DOUBLE_EQ(half[1], b[1] / 2);
}

// Winner-take-all by distance (distance_bias 0.5, threshold 15, the shipped
// MNIST setting) learns too, changes what is learnt, and keeps the bits
// independent of the thread count (its array read is per device). Bar as in
// ShortRunBeatsChance.
TEST(SnnMnist, DistanceBiasLearnsAndIsThreadInvariant) {
  const small_mnist_snn task;
  const auto plain = task.train(200, 1);
  const auto one = task.train(200, 1, 0.5, 15);
  std::cout << "24 neurons, 200 MNIST training images, distance_bias 0.5: test accuracy " << one.test_accuracy << "\n";
  EXPECT_GT(one.test_accuracy, 0.30);
  EXPECT_NE(one.weights_after_s, plain.weights_after_s);
  const auto two = task.train(20, 2, 0.5, 15), two_one = task.train(20, 1, 0.5, 15);
  EXPECT_EQ(two.weights_after_s, two_one.weights_after_s);
  EXPECT_EQ(two.train_spikes, two_one.train_spikes);
}

// Recruiting silent neurons (recruit_after). The rule: with recruit_after 1
// every training image after the first has a recruit (some neuron was silent
// in the image before: only one fires per step, and during a recruit's image
// only the recruit), so 20 images give 19 recruit images; with the counter
// never reached, none. The effect, on the shipped 400-neuron settings
// (distance_bias 0.5) with 48 neurons and 200 images: at threshold 15 every
// neuron fires while training, recruited or not (on the tables calibrated
// before 2026-12-07, whose 0 V drift ran idle devices into attractors, 5 of
// 48 never fired without recruiting); at threshold 80 neurons fall silent
// for 48 images at a time, recruit_after 48 gives them images, every neuron
// fires, and the network still learns (bar as in ShortRunBeatsChance).
// Same bits on 1 and 2 threads.
TEST(SnnMnist, RecruitingGivesEverySilentNeuronAnImage) {
  const small_mnist_snn task;
  const auto every = task.train(20, 1, 0.5, 15, 1);
  EXPECT_EQ(every.recruit_images(), 19);
  EXPECT_EQ(task.train(20, 1, 0.5, 15, 1000000).recruit_images(), 0);
  // A recruit that cannot cross its threshold (threshold 1000: no neuron
  // can) does not keep the images: every one of the 24 gets its turn.
  const auto stuck = task.train(30, 1, 0.5, 1000, 1);
  EXPECT_EQ(stuck.train_spikes, 0);
  EXPECT_EQ(stuck.recruit_images(), 29);
  EXPECT_LE(*std::max_element(stuck.neuron_recruit_images.begin(), stuck.neuron_recruit_images.end()), 2);
  const auto two = task.train(20, 2, 0.5, 15, 1);
  EXPECT_EQ(every.weights_after_s, two.weights_after_s);
  EXPECT_EQ(every.neuron_train_spikes, two.neuron_train_spikes);

  const auto plain = task.train(200, 1, 0.5, 15, 0, 48);
  const auto recruited = task.train(200, 1, 0.5, 80, 48, 48);
  std::cout << "48 neurons, 200 images: silent while training " << plain.silent_in_training()
            << " without recruiting (threshold 15), " << recruited.silent_in_training()
            << " with recruit_after 48 at threshold 80 (" << recruited.recruit_images()
            << " recruit images); test accuracy " << recruited.test_accuracy << "\n";
  ASSERT_EQ(recruited.neuron_train_spikes.size(), 48u);
  EXPECT_EQ(plain.silent_in_training(), 0);
  EXPECT_EQ(recruited.silent_in_training(), 0);
  EXPECT_GT(recruited.recruit_images(), 0);
  EXPECT_GT(recruited.test_accuracy, 0.30);
}

TEST(SnnMnist, InconsistentImageSetIsRefused) {
  const small_mnist_snn task;
  circuits::snn_data bad = task.data;
  bad.pixels.pop_back();
  circuits::snn_params p;
  p.neurons = 2;
  p.train_limit = 1;
  EXPECT_THROW(circuits::train_snn(bad, task.table, 0.05, p), std::invalid_argument);
}

}  // namespace
