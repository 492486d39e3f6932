// The hardware cost section of `ionrail crossbar` for the multi-layer
// network (app::network_cost): its write-pulse energy is the network's own
// ∫IV of the epoch, its accumulator energy is the float32 χ of every weight
// read and written on every training sample, and the cost table is written
// beside the report.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <ionrail/app/crossbar_run.hpp>
#include <ionrail/app/snn_run.hpp>

#include "scratch.hpp"

namespace {

namespace fs = std::filesystem;

std::map<std::string, std::vector<double>> read_csv_rows(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  std::map<std::string, std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string key, cell;
    std::getline(ss, key, ',');
    auto& v = rows[key];
    while (std::getline(ss, cell, ',')) v.push_back(cell.empty() ? NAN : std::stod(cell));
  }
  return rows;
}

TEST(NetworkCost, WritesAndAccumulatorAreTheNetworksOwn) {
  const ionrail_test::scratch scratch("network_cost_");
  const fs::path& dir = scratch.dir();
  ionrail::app::crossbar_options o;
  o.out_dir = (dir / "out").string();
  o.quiet = true;
  o.overrides = {"crossbar.train_limit=300", "crossbar.test_images=200", "crossbar.pool=true", "crossbar.hidden=[8]",
                 "crossbar.tile_rows=128", "crossbar.tile_cols=64"};
  const auto rep = ionrail::app::run_crossbar_network(std::string(IONRAIL_SOURCE_DIR) + "/experiments/crossbar_mnist.toml", o);
  const auto cost = read_csv_rows(dir / "out" / "cost.csv");  // part: inference, update, epoch, area
  ASSERT_TRUE(cost.count("write pulses") && cost.count("accumulator memory") && cost.count("ADC")) << "no cost.csv rows";
  // cost.png is drawn with the other plots (when gnuplot is installed).
  EXPECT_EQ(fs::exists(dir / "out" / "cost.png"), fs::exists(dir / "out" / "accuracy.png"));
  const auto& last = rep.epochs.back();
  // cost.csv keeps 6 significant digits.
  EXPECT_NEAR(cost.at("write pulses")[2], last.energy_j, 1e-5 * last.energy_j);
  EXPECT_NEAR(cost.at("write pulses")[1], last.energy_j / 300, 1e-5 * last.energy_j / 300);
  EXPECT_EQ(cost.at("write pulses")[0], 0.0);  // an inference writes nothing
  // 197·8 + 9·10 weights, 32 bits each, read and written per training sample,
  // at the hardware file's SRAM bit energy (0.156 pJ: 10 pJ per 64-bit word).
  ASSERT_EQ(rep.weights, 197 * 8 + 9 * 10);
  ASSERT_EQ(rep.accumulator_bits, 32);
  const double accumulator_j = 2.0 * static_cast<double>(rep.weights) * 300 * 32 * 0.156e-12;
  EXPECT_NEAR(cost.at("accumulator memory")[2], accumulator_j, 1e-5 * accumulator_j);
  EXPECT_EQ(cost.at("accumulator memory")[0], 0.0);
  // An inference digitises every tile's columns once, at FOM · 2^8 each:
  // layer 1's 197 rows take two 128-row tiles of 8 columns, layer 2 one tile
  // of 10 columns.
  const double conversions = 2 * 8 + 1 * 10;
  EXPECT_NEAR(cost.at("ADC")[0], conversions * 10e-15 * 256, 1e-5 * conversions * 10e-15 * 256);
  // Write latency: the device time of the epoch's training. Tiles and
  // layers program at the same time, so a sample takes its busiest layer's
  // busiest tile: at least the mean of the two layers' steps, at most their
  // sum (epochs.csv's write_steps); it was the tiles' mean write steps,
  // a third of that here.
  EXPECT_GE(2 * last.train_model_steps, last.write_steps);
  EXPECT_LE(last.train_model_steps, last.write_steps);
  const double device_time_s = static_cast<double>(last.train_model_steps) * 0.05;  // the table's dt_m
  EXPECT_NEAR(cost.at("latency_s")[2], device_time_s, 1e-3 * device_time_s);
  EXPECT_NEAR(cost.at("latency_s")[1], device_time_s / 300, 1e-3 * device_time_s / 300);
  std::ifstream md(dir / "out" / "report.md");
  std::stringstream text;
  text << md.rdbuf();
  EXPECT_NE(text.str().find("## Hardware cost"), std::string::npos);
}

TEST(CrossbarRecord, InitialStateIsTheOneRun) {
  // Without initial_state the devices start from the table's s_eq (0.3248
  // for tables/measured_pulses); summary.json recorded the key's default,
  // 0.25, so its parameters did not rerun the same devices.
  const ionrail_test::scratch scratch("crossbar_record_");
  const fs::path& dir = scratch.dir();
  ionrail::app::crossbar_options o;
  o.quiet = true;
  const std::string file = std::string(IONRAIL_SOURCE_DIR) + "/experiments/crossbar_digits_measured.toml";
  std::string recorded[2], epochs[2];
  for (int k = 0; k < 2; ++k) {
    o.out_dir = (dir / ("out" + std::to_string(k))).string();
    o.overrides = {"crossbar.epochs=1"};
    if (k == 1) o.overrides.push_back("crossbar.initial_state=" + recorded[0]);
    ionrail::app::run_crossbar(file, o);
    std::ifstream in(fs::path(o.out_dir) / "summary.json");
    const auto js = nlohmann::json::parse(in);
    recorded[k] = js.at("parameters").at("crossbar").at("initial_state").dump();
    std::ifstream e(fs::path(o.out_dir) / "epochs.csv");
    std::stringstream text;
    text << e.rdbuf();
    epochs[k] = text.str();
  }
  EXPECT_NEAR(std::stod(recorded[0]), 0.3248, 1e-4) << recorded[0];
  EXPECT_EQ(recorded[1], recorded[0]);
  EXPECT_EQ(epochs[1], epochs[0]) << "the recorded initial_state runs other devices";
}

TEST(CrossbarRecord, WriteVoltagesBeyondTheTableAreRefusedAndTheReportSaysWhatRan) {
  // tables/polymer_thin spans ±10 V: at 12 V the model holds the 10 V
  // column (the devices moved as at 10 V) while the energy grew as V².
  const ionrail_test::scratch scratch("crossbar_voltages_");
  const fs::path& dir = scratch.dir();
  ionrail::app::crossbar_options o;
  o.quiet = true;
  o.out_dir = (dir / "out").string();
  const std::string digits = std::string(IONRAIL_SOURCE_DIR) + "/experiments/crossbar_digits.toml";
  const std::string mnist = std::string(IONRAIL_SOURCE_DIR) + "/experiments/crossbar_mnist.toml";
  for (const auto& [file, set] : {std::pair{digits, std::string("crossbar.v_write_v=12")},
                                  {digits, std::string("crossbar.v_write_final_v=10.5")},
                                  {mnist, std::string("crossbar.v_write_v=10.01")}}) {
    o.overrides = {set};
    try {
      if (file == digits) ionrail::app::run_crossbar(file, o);
      else ionrail::app::run_crossbar_network(file, o);
      ADD_FAILURE() << set << " was accepted";
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find("beyond the table's voltage range, ±10 V"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(o.out_dir)) << set;
  }
  // The spiking network's levels add up across a device: 5 + 6 V at a
  // coincidence is beyond the ±10 V table.
  ionrail::app::snn_options so;
  so.quiet = true;
  so.out_dir = o.out_dir;
  so.overrides = {"snn.pre_v=5", "snn.post_v1=6"};
  try {
    ionrail::app::run_snn(std::string(IONRAIL_SOURCE_DIR) + "/experiments/snn_digits.toml", so);
    ADD_FAILURE() << "snn levels of 11 V were accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("a device would see 11 V, beyond the table's voltage range, ±10 V"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(o.out_dir));
  // One epoch runs at v_write_v alone; passive cells are written by the V/2
  // scheme, 1T1R cells are not.
  for (const char* selector : {"passive", "1t1r"}) {
    o.overrides = {"crossbar.epochs=1", "crossbar.train_limit=50", std::string("crossbar.selector=\"") + selector + "\""};
    o.force = true;
    ionrail::app::run_crossbar(digits, o);
    std::ifstream md(dir / "out" / "report.md");
    std::stringstream text;
    text << md.rdbuf();
    EXPECT_NE(text.str().find(std::string("write 8 V (") + (selector == std::string("1t1r") ? "1T1R" : "V/2 scheme")),
              std::string::npos)
        << text.str().substr(0, 600);
    EXPECT_EQ(text.str().find("8 V → 6 V"), std::string::npos);
  }
}

TEST(CrossbarRecord, FloatTwinFromASymmetricStartIsFlagged) {
  // Without a conductance spread every initial weight of a layer is equal:
  // the float64 twin, started there, keeps its hidden units identical (17 %
  // on the digits while the crossbar, escaping through noise, made 86 %)
  // and was reported as the float baseline.
  const ionrail_test::scratch scratch("crossbar_twin_");
  const fs::path& dir = scratch.dir();
  const fs::path file = dir / "net.toml";
  std::ofstream(file) << "[crossbar]\ntable = \"" << IONRAIL_SOURCE_DIR << "/tables/polymer_thin\"\ndata = \""
                      << IONRAIL_SOURCE_DIR
                      << "/data/digits.csv.gz\"\nhidden = [8]\ntile_rows = 16\ntile_cols = 16\nselector = \"1t1r\"\n"
                         "rule = \"mixed_precision\"\nepochs = 1\ntrain_limit = 40\ntest_count = 450\n[sim]\nseed = 1\n";
  ionrail::app::crossbar_options o;
  o.quiet = true;
  o.force = true;
  for (const double offset : {0.0, 0.5e-6}) {
    o.out_dir = (dir / "out").string();
    o.overrides = {offset == 0.0 ? "crossbar.offset_sigma_s=0" : "crossbar.offset_sigma_s=0.5e-6"};
    const auto rep = ionrail::app::run_crossbar_network(file.string(), o);
    EXPECT_EQ(rep.float_twin_symmetric, offset == 0.0) << offset;
    std::ifstream md(dir / "out" / "report.md");
    std::stringstream text;
    text << md.rdbuf();
    EXPECT_EQ(text.str().find("The float64 twin is no baseline here") != std::string::npos, offset == 0.0) << offset;
  }
}

}  // namespace
