// Known-answer vectors (tests/kat/): the committed files are exactly what the
// C++ model makes today (so they cannot go stale), and replaying them through
// model::step, read_current, the crossbar and the neuron gives every
// recorded value. The RTL benches (verilog_tb/) replay the same files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <ionrail/kat/kat.hpp>

namespace fs = std::filesystem;

namespace {

using namespace ionrail;

const fs::path kat_dir = fs::path(IONRAIL_SOURCE_DIR) / "tests" / "kat";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << p << ": missing";
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const char* regenerate = "regenerate with: build/bin/kat_write tests/kat";

TEST(Kat, CommittedTablesAreWhatTheGeneratorWrites) {
  for (const auto& t : kat::synthetic_tables()) {
    SCOPED_TRACE(t.name);
    const fs::path fresh = fs::path(::testing::TempDir()) / ("ionrail_kat_" + t.name);
    fs::remove_all(fresh);
    kat::write_synthetic(t, fresh.string());
    const fs::path committed = kat_dir / "tables" / t.name;
    // The files the RTL reads, byte for byte.
    for (const char* f : {"table.hex", "table_noise.hex", "table_fluct.hex", "table_g.hex", "table_coeff.hex", "table.vh"})
      EXPECT_EQ(slurp(committed / f), slurp(fresh / f)) << committed / f << " is stale; " << regenerate;
    // The others (whose layout belongs to write_table) by their content.
    for (const auto format : {model_io::table_format::hex, model_io::table_format::csv, model_io::table_format::header}) {
      const model::table loaded = model_io::load_table(committed.string(), format);
      EXPECT_EQ(loaded.checksum(), t.table.checksum()) << committed << " is stale; " << regenerate;
    }
  }
}

TEST(Kat, CommittedVectorsAreWhatTheModelMakes) {
  for (const auto& [name, text] : kat::vector_files()) EXPECT_EQ(slurp(kat_dir / name), text) << name << " is stale; " << regenerate;
}

// Each table's file is the one the vectors name.
model::table committed_table(const std::vector<std::string>& table_line) {
  const model::table t = model_io::load_table((kat_dir / "tables" / table_line.at(1)).string(), model_io::table_format::hex);
  EXPECT_EQ(kat::checksum_hex(t), table_line.at(2));
  return t;
}

struct cell_counts {
  long steps = 0, noisy = 0, s_zero = 0, s_one = 0, fluct_end = 0, g_zero = 0, g_max = 0;
};

cell_counts replay_cell(const std::string& file) {
  const auto lines = kat::read_lines((kat_dir / file).string());
  EXPECT_EQ(lines.at(0).at(0), "table");
  const model::table tab = committed_table(lines.at(0));
  const model::table_view t = tab.view();
  model::device d{};
  cell_counts n;
  for (std::size_t k = 1; k < lines.size(); ++k) {
    const auto& w = lines[k];
    if (w[0] == "device") {
      d = kat::device_record(w);
      continue;
    }
    EXPECT_EQ(w[0], "step");
    d.noise = kat::num(w, 2) != 0;
    model::step(t, d, model::q_volt::from_raw(static_cast<std::int16_t>(kat::num(w, 1))));
    const auto g = model::conductance(t, d).raw();
    const auto i = model::read_current(t, d, model::q_volt::from_raw(static_cast<std::int16_t>(kat::num(w, 3)))).raw();
    EXPECT_EQ(d.state.raw(), kat::num(w, 4)) << file << " line " << k;
    EXPECT_EQ(d.fluct.raw(), kat::num(w, 5)) << file << " line " << k;
    EXPECT_EQ(d.rng, kat::unum32(w, 6)) << file << " line " << k;
    EXPECT_EQ(g, kat::num(w, 7)) << file << " line " << k;
    EXPECT_EQ(i, kat::num(w, 8)) << file << " line " << k;
    ++n.steps;
    n.noisy += d.noise;
    n.s_zero += d.state.raw() == 0;
    n.s_one += d.state.raw() == model::state_one_raw;
    n.fluct_end += d.fluct.raw() == model::state_one_raw || d.fluct.raw() == -model::state_one_raw;
    n.g_zero += g == 0;
    n.g_max += g == kat::i32_max;
  }
  return n;
}

TEST(Kat, CellVectorsReplay) {
  const cell_counts off = replay_cell("cell_noise_off.kat");
  EXPECT_EQ(off.steps, 2000);
  EXPECT_EQ(off.noisy, 0);
  const cell_counts on = replay_cell("cell_noise_on.kat");
  EXPECT_EQ(on.steps, 2000);
  EXPECT_EQ(on.noisy, 2000);
  // The vectors reach the corners they are meant to test.
  for (const auto& n : {off, on}) {
    EXPECT_GT(n.s_zero, 0);
    EXPECT_GT(n.s_one, 0);
    EXPECT_GT(n.g_zero, 0);
    EXPECT_GT(n.g_max, 0);
  }
  EXPECT_GT(on.fluct_end + off.fluct_end, 0);
}

TEST(Kat, NeuronVectorsReplay) {
  const auto lines = kat::read_lines((kat_dir / "lif.kat").string());
  model::lif_params p{};
  model::lif_state n{};
  long steps = 0, spikes = 0, refractory = 0;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    const auto& w = lines[k];
    if (w[0] == "neuron") {
      p.decay = model::q_coeff::from_raw(static_cast<std::int32_t>(kat::num(w, 1)));
      p.v_rest = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 2)));
      p.v_reset = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 3)));
      p.threshold = model::q_membrane::from_raw(static_cast<std::int32_t>(kat::num(w, 4)));
      p.refractory_steps = static_cast<std::int32_t>(kat::num(w, 5));
      p.input_shift = static_cast<std::int32_t>(kat::num(w, 6));
      n = model::lif_init(p);
      continue;
    }
    ASSERT_EQ(w[0], "step");
    const bool spike = model::lif_step(p, n, model::q_current::from_raw(kat::num(w, 1)));
    EXPECT_EQ(spike ? 1 : 0, kat::num(w, 2)) << "lif.kat line " << k;
    EXPECT_EQ(n.v.raw(), kat::num(w, 3)) << "lif.kat line " << k;
    EXPECT_EQ(n.refractory, kat::num(w, 4)) << "lif.kat line " << k;
    ++steps;
    spikes += spike;
    refractory += n.refractory > 0;
  }
  EXPECT_EQ(steps, 3000);
  EXPECT_GT(spikes, 100);
  EXPECT_GT(refractory, 100);
}

TEST(Kat, CrossbarVectorsReplay) {
  const auto lines = kat::read_lines((kat_dir / "crossbar.kat").string());
  const model::table tab = committed_table(lines.at(0));
  const model::table_view t = tab.view();
  ASSERT_EQ(lines.at(1).at(0), "crossbar");
  const int rows = static_cast<int>(kat::num(lines[1], 1)), cols = static_cast<int>(kat::num(lines[1], 2));
  model::crossbar x(rows, cols);
  std::vector<model::q_volt> v_row(static_cast<std::size_t>(rows)), v_col(static_cast<std::size_t>(cols));
  std::vector<model::q_current> i_col(static_cast<std::size_t>(cols));
  int writes = 0, reads = 0;
  for (std::size_t k = 2; k < lines.size(); ++k) {
    const auto& w = lines[k];
    if (w[0] == "device") {
      model::device& d = x.at(static_cast<int>(kat::num(w, 1)), static_cast<int>(kat::num(w, 2)));
      d = kat::device_record(w, 3);
    } else if (w[0] == "write") {
      const bool relax = kat::num(w, 1) != 0;
      for (int i = 0; i < rows; ++i) v_row[static_cast<std::size_t>(i)] = model::q_volt::from_raw(static_cast<std::int16_t>(kat::num(w, 2 + static_cast<std::size_t>(i))));
      for (int j = 0; j < cols; ++j) v_col[static_cast<std::size_t>(j)] = model::q_volt::from_raw(static_cast<std::int16_t>(kat::num(w, 2 + static_cast<std::size_t>(rows + j))));
      x.write(t, v_row.data(), v_col.data(), relax);
      const auto& e = lines.at(++k);
      ASSERT_EQ(e[0], "cells");
      for (int c = 0; c < rows * cols; ++c) {
        const model::device& d = x.data()[c];
        const auto f = static_cast<std::size_t>(1 + 3 * c);
        EXPECT_EQ(d.state.raw(), kat::num(e, f)) << "crossbar.kat line " << k << " cell " << c;
        EXPECT_EQ(d.fluct.raw(), kat::num(e, f + 1)) << "crossbar.kat line " << k << " cell " << c;
        EXPECT_EQ(d.rng, kat::unum32(e, f + 2)) << "crossbar.kat line " << k << " cell " << c;
      }
      ++writes;
    } else {
      ASSERT_EQ(w[0], "read");
      for (int i = 0; i < rows; ++i) v_row[static_cast<std::size_t>(i)] = model::q_volt::from_raw(static_cast<std::int16_t>(kat::num(w, 1 + static_cast<std::size_t>(i))));
      x.read(t, v_row.data(), i_col.data());
      const auto& e = lines.at(++k);
      ASSERT_EQ(e[0], "currents");
      for (int j = 0; j < cols; ++j) EXPECT_EQ(i_col[static_cast<std::size_t>(j)].raw(), kat::num(e, 1 + static_cast<std::size_t>(j))) << "crossbar.kat line " << k;
      ++reads;
    }
  }
  EXPECT_GT(writes, 10);
  EXPECT_GT(reads, 10);
}

}  // namespace
