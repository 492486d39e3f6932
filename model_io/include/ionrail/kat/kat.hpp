#pragma once
// Known-answer vectors (tests/kat/, format in tests/kat/README.md) and the
// synthetic response tables they and the RTL benches use: how they are made
// (from the C++ model only), written, read and replayed. The target
// ionrail::kat, shared by tests/test_kat.cpp (replay + "the committed files
// are what this code makes"), tests/kat_write.cpp (regenerates tests/kat/),
// the Verilator benches in verilog_tb/ and the SystemC tests (replay against
// the RTL and the modules): one reader of every record.
//
// Everything is drawn from splitmix64 (rng.hpp) with fixed seeds and no
// std:: distribution (whose output differs between standard libraries), so
// the files are the same on every platform.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <ionrail/model/crossbar.hpp>
#include <ionrail/model/lif.hpp>
#include <ionrail/model/model.hpp>
#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace ionrail::kat {

// ---- Reproducible random numbers --------------------------------------------
struct rand64 {
  std::uint64_t state;
  std::uint64_t next() { return model::splitmix64(state); }
  // Uniform in [lo, hi] (hi − lo < 2^63; the modulo bias is below 2^-30).
  std::int64_t in(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1u;
    return lo + static_cast<std::int64_t>(next() % span);
  }
  bool chance(unsigned num, unsigned den) { return next() % den < num; }
  template <class T>
  T pick(std::initializer_list<T> values) {
    return values.begin()[next() % values.size()];
  }
};

inline constexpr std::int64_t i32_min = -2147483648LL, i32_max = 2147483647LL;
inline constexpr std::int64_t one = model::state_one_raw;

// A table entry in [lo, hi]: 1/8 a corner (an end, next to an end, 0, ±1),
// 3/8 anywhere in the range, 1/2 small (|x| <= small) so that devices also
// move by small steps between the saturating ones.
inline std::int32_t extreme_entry(rand64& r, std::int64_t lo, std::int64_t hi, std::int64_t small) {
  auto clip = [&](std::int64_t x) { return x < lo ? lo : (x > hi ? hi : x); };
  std::int64_t x;
  if (r.chance(1, 8))
    x = clip(r.pick<std::int64_t>({lo, hi, lo + 1, hi - 1, 0, 1, -1}));
  else if (r.chance(3, 7))
    x = r.in(lo, hi);
  else
    x = clip(r.in(-small, small));
  return static_cast<std::int32_t>(x);
}

// ---- Synthetic tables -------------------------------------------------------
struct synthetic_table {
  std::string name;
  std::string description;
  model::table table;
};

// "kat": a small smooth table (drift towards a voltage-dependent state that
// lies outside [0, 1] beyond ±2 V, so s saturates within a few steps there;
// moderate noise; a fluctuation that grows to σ = 0.8 at the ±6 V grid edge,
// so δ saturates too; G from 1 to 250 µS), for the known-answer vectors. "extreme_*": random entries over
// the full raw ranges (drift all of int32, noise, fluct and g all of
// [0, 2^31 − 1], ρ and κ up to exactly 1) on grids that reach the limits of
// the index arithmetic: s spacing 1/2 with V spacing 16 V (the widest
// fractions), V spacing of one LSB (m = 0, no V fraction bits), and a grid
// that ends at ±8 V so full-scale voltages saturate to its edge.
inline std::vector<synthetic_table> synthetic_tables() {
  std::vector<synthetic_table> out;
  {
    model::table t = model::make_table(
        model::table_grid::make(3, 12, 3),
        [](double s, double v) { return 0.1 * (0.5 + 0.25 * v - s); },
        [](double s, double v) { return 2e-4 * (1.0 + s + 0.1 * (v < 0 ? -v : v)); },
        [](double s) { return 1.0 + 249.0 * s * s; });
    model::add_fluct(
        t, [](double s, double v) { return 5e-3 * (0.5 + s) + 0.8 * (v / 6) * (v / 6) * (v / 6) * (v / 6); }, 0.9);
    out.push_back({"kat", "smooth synthetic table for the known-answer vectors", std::move(t)});
  }
  auto extreme = [&](const char* name, const char* what, model::table_grid grid, std::uint64_t seed,
                     std::int32_t rho, std::int32_t kick) {
    rand64 r{seed};
    model::table t(grid);
    for (auto& x : t.drift) x = model::q_delta::from_raw(extreme_entry(r, i32_min, i32_max, 1 << 16));
    for (auto& x : t.noise) x = model::q_delta::from_raw(extreme_entry(r, 0, i32_max, 1 << 16));
    for (auto& x : t.fluct) x = model::q_delta::from_raw(extreme_entry(r, 0, i32_max, 1 << 16));
    for (auto& x : t.g) x = model::q_cond::from_raw(extreme_entry(r, 0, i32_max, 1 << 28));
    t.fluct_rho = model::q_coeff::from_raw(rho);
    t.fluct_kick = model::q_coeff::from_raw(kick);
    out.push_back({name, what, std::move(t)});
  };
  const auto c1 = static_cast<std::int32_t>(one);
  extreme("extreme_a", "random full-range entries; s spacing 1/2, V spacing 16 V (widest fractions); rho = kappa = 1",
          model::table_grid::make(1, 15, 1), 0xA11CE, c1, c1);
  extreme("extreme_b", "random full-range entries; 17 x 17 grid ending at +-8 V (full-scale voltages saturate)",
          model::table_grid::make(4, 11, 8), 0xB0B, 0x2A3B4C5D & (c1 - 1), 0x0F1E2D3C & (c1 - 1));
  extreme("extreme_c", "random full-range entries; V spacing one LSB (m = 0), s spacing 1/4; rho = 0, kappa = 1",
          model::table_grid::make(2, 0, 2), 0xC0FFEE, 0, c1);
  return out;
}

inline const synthetic_table& synthetic(const std::string& name) {
  static const std::vector<synthetic_table> all = synthetic_tables();
  for (const auto& t : all)
    if (t.name == name) return t;
  throw std::runtime_error("no synthetic table named " + name);
}

// Writes a synthetic table with model_io::write_table (every format, table.vh included).
inline void write_synthetic(const synthetic_table& t, const std::string& dir) {
  model_io::table_record record;
  record.json_members.push_back({"synthetic", "{\"description\": " + model_io::json_quote(t.description) +
                                                  ", \"generator\": \"ionrail/kat/kat.hpp\"}"});
  model_io::write_table(dir, t.table, record);
}

inline std::string checksum_hex(const model::table& t) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(t.checksum()));
  return buf;
}

// ---- Stimulus ---------------------------------------------------------------
// A voltage: full-scale ends, grid points and their neighbours, zero, small
// and anywhere in int16.
inline std::int16_t stimulus_volt(rand64& r, const model::table_grid& g) {
  switch (r.next() % 8) {
    case 0: return r.pick<std::int16_t>({-32768, 32767, -32767, 32766});
    case 1: {
      const std::int32_t x = g.v_raw_at(static_cast<int>(r.in(0, g.n_v - 1))) + static_cast<std::int32_t>(r.in(-1, 1));
      return static_cast<std::int16_t>(x < -32768 ? -32768 : (x > 32767 ? 32767 : x));
    }
    case 2: return 0;
    case 3:
    case 4: return static_cast<std::int16_t>(r.in(-2048, 2048));
    default: return static_cast<std::int16_t>(r.in(-32768, 32767));
  }
}

// A device: drawn with variation, then given corner `corner` (0..7): s at 0
// or 1, δ at +1 or −1, gain at an end of int32 (or 0), offset at the top or
// the bottom of int32 (G_eff saturates); any other value: none.
inline model::device stimulus_device(rand64& r, bool noise, unsigned corner) {
  model::device d = model::make_device(r.next(), model::variation_params::from_si(0.05, 2e-6),
                                       model::q_state::from_raw(static_cast<std::int32_t>(r.in(0, one))), noise);
  constexpr auto one32 = static_cast<std::int32_t>(one);
  switch (corner) {
    case 0: d.state = model::q_state::from_raw(0); break;
    case 1: d.state = model::q_state::from_raw(one32); break;
    case 2: d.fluct = model::q_fluct::from_raw(one32); break;
    case 3: d.fluct = model::q_fluct::from_raw(-one32); break;
    case 4: d.gain = model::q_gain::from_raw(static_cast<std::int32_t>(r.pick<std::int64_t>({i32_min, i32_max, 0, r.in(i32_min, i32_max)}))); break;
    case 5: d.g_offset = model::q_cond::from_raw(static_cast<std::int32_t>(i32_max)); break;
    case 6: d.g_offset = model::q_cond::from_raw(static_cast<std::int32_t>(i32_min)); break;
    default: break;
  }
  return d;
}

// ---- Cell vectors -----------------------------------------------------------
// One `device` line resets the device; each `step` line steps it once at v
// with the noise flag, then reads it at v_read.
inline std::string make_cell_vectors(const synthetic_table& st, bool noise, std::uint64_t seed, int devices,
                                     int steps_per_device) {
  const model::table_view t = st.table.view();
  rand64 r{seed};
  std::ostringstream os;
  os << "# ionrail known-answer vectors: compact-model cell, format 1 (tests/kat/README.md)\n"
     << "# made by tests/support/kat.hpp from the C++ model; noise " << (noise ? "on" : "off") << "\n"
     << "table " << st.name << " " << checksum_hex(st.table) << "\n";
  for (int k = 0; k < devices; ++k) {
    model::device d = stimulus_device(r, noise, static_cast<unsigned>(k % 8));
    os << "device " << d.state.raw() << " " << d.fluct.raw() << " " << d.gain.raw() << " " << d.g_offset.raw() << " "
       << d.rng << "\n";
    std::int16_t v = 0;
    for (int n = 0; n < steps_per_device; ++n) {
      if (n == 0 || r.chance(1, 4)) v = stimulus_volt(r, t.grid);  // pulses: a voltage held for a few steps
      const std::int16_t v_read = r.chance(3, 4) ? static_cast<std::int16_t>(r.in(-2048, 2048))
                                                 : static_cast<std::int16_t>(r.in(-32768, 32767));
      model::step(t, d, model::q_volt::from_raw(v));
      os << "step " << v << " " << (noise ? 1 : 0) << " " << v_read << " " << d.state.raw() << " " << d.fluct.raw()
         << " " << d.rng << " " << model::conductance(t, d).raw() << " "
         << model::read_current(t, d, model::q_volt::from_raw(v_read)).raw() << "\n";
    }
  }
  return os.str();
}

// ---- Neuron vectors ---------------------------------------------------------
inline model::lif_params stimulus_lif_params(rand64& r) {
  model::lif_params p{};
  switch (r.next() % 4) {
    case 0:  // full raw ranges
      p.decay = model::q_coeff::from_raw(static_cast<std::int32_t>(r.in(i32_min, i32_max)));
      p.v_rest = model::q_membrane::from_raw(static_cast<std::int32_t>(r.in(i32_min, i32_max)));
      p.v_reset = model::q_membrane::from_raw(static_cast<std::int32_t>(r.in(i32_min, i32_max)));
      p.threshold = model::q_membrane::from_raw(static_cast<std::int32_t>(r.in(i32_min, i32_max)));
      break;
    default:  // a working neuron: decay in [0, 1], threshold above rest and reset
      p.decay = model::q_coeff::from_raw(static_cast<std::int32_t>(r.pick<std::int64_t>({one, 0, r.in(0, one), r.in(one - (one >> 4), one)})));
      p.v_rest = model::q_membrane::from_raw(static_cast<std::int32_t>(r.in(-(1 << 24), 1 << 24)));
      p.v_reset = model::q_membrane::from_raw(static_cast<std::int32_t>(r.in(-(1 << 25), p.v_rest.raw())));
      p.threshold = model::q_membrane::from_raw(static_cast<std::int32_t>(r.in(p.v_rest.raw() + 1, p.v_rest.raw() + (1 << 26))));
      break;
  }
  p.refractory_steps = static_cast<std::int32_t>(r.pick<std::int64_t>({0, 1, r.in(0, 8), r.in(0, 65535)}));
  p.input_shift = static_cast<std::int32_t>(r.pick<std::int64_t>({0, 7, 62, r.in(0, 62)}));
  return p;
}

// An input current: a crossbar-size current in µA scaled to the shift, the
// ends of int64, or anything.
inline std::int64_t stimulus_current(rand64& r, int input_shift) {
  switch (r.next() % 6) {
    case 0: return r.pick<std::int64_t>({INT64_MIN, INT64_MAX, 0, INT64_MIN + 1, -(std::int64_t{1} << 62) - 1, std::int64_t{1} << 62});
    case 1: return static_cast<std::int64_t>(r.next());
    default: {
      const int sh = input_shift < 38 ? input_shift : 38;
      return r.in(-(std::int64_t{1} << (sh + 22)), std::int64_t{1} << (sh + 23));
    }
  }
}

inline std::string make_lif_vectors(std::uint64_t seed, int neurons, int steps_per_neuron) {
  rand64 r{seed};
  std::ostringstream os;
  os << "# ionrail known-answer vectors: leaky integrate-and-fire neuron, format 1 (tests/kat/README.md)\n"
     << "# made by tests/support/kat.hpp from model/include/ionrail/model/lif.hpp\n";
  for (int k = 0; k < neurons; ++k) {
    const model::lif_params p = stimulus_lif_params(r);
    model::lif_state n = model::lif_init(p);
    os << "neuron " << p.decay.raw() << " " << p.v_rest.raw() << " " << p.v_reset.raw() << " " << p.threshold.raw()
       << " " << p.refractory_steps << " " << p.input_shift << "\n";
    for (int s = 0; s < steps_per_neuron; ++s) {
      const std::int64_t i = stimulus_current(r, p.input_shift);
      const bool spike = model::lif_step(p, n, model::q_current::from_raw(i));
      os << "step " << i << " " << (spike ? 1 : 0) << " " << n.v.raw() << " " << n.refractory << "\n";
    }
  }
  return os.str();
}

// ---- Crossbar vectors -------------------------------------------------------
inline std::string make_crossbar_vectors(const synthetic_table& st, int rows, int cols, std::uint64_t seed, int ops) {
  const model::table_view t = st.table.view();
  rand64 r{seed};
  model::crossbar x(rows, cols);
  std::ostringstream os;
  os << "# ionrail known-answer vectors: crossbar, format 1 (tests/kat/README.md)\n"
     << "# made by tests/support/kat.hpp from model/include/ionrail/model/crossbar.hpp\n"
     << "table " << st.name << " " << checksum_hex(st.table) << "\n"
     << "crossbar " << rows << " " << cols << "\n";
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      model::device& d = x.at(i, j);
      d = stimulus_device(r, r.chance(1, 2), static_cast<unsigned>(r.next() % 10));
      os << "device " << i << " " << j << " " << d.state.raw() << " " << d.fluct.raw() << " " << d.gain.raw() << " "
         << d.g_offset.raw() << " " << d.rng << " " << (d.noise ? 1 : 0) << "\n";
    }
  std::vector<model::q_volt> v_row(static_cast<std::size_t>(rows)), v_col(static_cast<std::size_t>(cols));
  std::vector<model::q_current> i_col(static_cast<std::size_t>(cols));
  for (int k = 0; k < ops; ++k) {
    if (r.chance(1, 2)) {
      const bool relax = r.chance(1, 3);
      if (r.chance(1, 2)) {
        model::half_select(rows, cols, static_cast<int>(r.in(0, rows - 1)), static_cast<int>(r.in(0, cols - 1)),
                           model::q_volt::from_raw(stimulus_volt(r, t.grid)), v_row.data(), v_col.data());
      } else {
        for (auto& v : v_row) v = model::q_volt::from_raw(r.chance(1, 3) ? 0 : stimulus_volt(r, t.grid));
        for (auto& v : v_col) v = model::q_volt::from_raw(r.chance(1, 3) ? 0 : stimulus_volt(r, t.grid));
      }
      x.write(t, v_row.data(), v_col.data(), relax);
      os << "write " << (relax ? 1 : 0);
      for (const auto v : v_row) os << " " << v.raw();
      for (const auto v : v_col) os << " " << v.raw();
      os << "\ncells";
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) os << " " << x.at(i, j).state.raw() << " " << x.at(i, j).fluct.raw() << " " << x.at(i, j).rng;
      os << "\n";
    } else {
      for (auto& v : v_row) v = model::q_volt::from_raw(r.chance(1, 4) ? 0 : stimulus_volt(r, t.grid));
      x.read(t, v_row.data(), i_col.data());
      os << "read";
      for (const auto v : v_row) os << " " << v.raw();
      os << "\ncurrents";
      for (const auto i : i_col) os << " " << i.raw();
      os << "\n";
    }
  }
  return os.str();
}

// ---- The committed set ------------------------------------------------------
// File name → contents, every vector file of tests/kat/.
inline std::vector<std::pair<std::string, std::string>> vector_files() {
  const synthetic_table& kt = synthetic("kat");
  return {{"cell_noise_off.kat", make_cell_vectors(kt, false, 0x6B61740001ull, 8, 250)},
          {"cell_noise_on.kat", make_cell_vectors(kt, true, 0x6B61740002ull, 8, 250)},
          {"lif.kat", make_lif_vectors(0x6B61740003ull, 12, 250)},
          {"crossbar.kat", make_crossbar_vectors(kt, 4, 4, 0x6B61740004ull, 60)}};
}

// ---- Reading ----------------------------------------------------------------
// Every record of a vector file is checked when it is read, so a replayer
// never meets a field it cannot convert: the record name must be one of the
// file's kind (cell, neuron or crossbar: told by its first record), the
// number of fields exact, every number a decimal integer in its format's
// range, and the records in an order the README allows. A bad file is
// refused with "FILE:LINE: ..." naming the record, the field, the value and
// the valid range (ionrail::input_error, a std::runtime_error).
namespace detail {

enum class field { i16, i32, u32, i64, flag, name, checksum, count, row, col, refractory, shift };

inline const char* range_of(field f) {
  switch (f) {
    case field::i16: return "an integer in [-32768, 32767]";
    case field::i32: return "an integer in [-2147483648, 2147483647]";
    case field::u32: return "an integer in [0, 4294967295]";
    case field::i64: return "an integer in [-9223372036854775808, 9223372036854775807]";
    case field::flag: return "0 or 1";
    case field::name: return "a table name of letters, digits and _";
    case field::checksum: return "16 lower-case hex digits";
    case field::count: return "an integer in [1, 64]";
    case field::row: return "a row index in [0, rows)";
    case field::col: return "a column index in [0, cols)";
    case field::refractory: return "an integer in [0, 65535]";
    case field::shift: return "an integer in [0, 62]";
  }
  return "";
}

// A decimal integer in [lo, hi] (as text: no sign for unsigned, no spaces, no leading '+').
inline bool integer_in(const std::string& w, long double lo, long double hi) {
  if (w.empty() || w.size() > 21) return false;
  const std::size_t first = w[0] == '-' ? 1 : 0;
  if (first == w.size() || w.find_first_not_of("0123456789", first) != std::string::npos) return false;
  if (w.size() - first > 1 && w[first] == '0') return false;
  const long double v = std::strtold(w.c_str(), nullptr);
  return v >= lo && v <= hi;
}

inline bool valid(field f, const std::string& w, int rows, int cols) {
  switch (f) {
    case field::i16: return integer_in(w, -32768.0L, 32767.0L);
    case field::i32: return integer_in(w, -2147483648.0L, 2147483647.0L);
    case field::u32: return integer_in(w, 0.0L, 4294967295.0L);
    case field::i64: return integer_in(w, -9223372036854775808.0L, 9223372036854775807.0L);
    case field::flag: return w == "0" || w == "1";
    case field::name:
      return !w.empty() && w.size() <= 64 &&
             w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos;
    case field::checksum: return w.size() == 16 && w.find_first_not_of("0123456789abcdef") == std::string::npos;
    case field::count: return integer_in(w, 1.0L, 64.0L);
    case field::row: return integer_in(w, 0.0L, rows - 1.0L);
    case field::col: return integer_in(w, 0.0L, cols - 1.0L);
    case field::refractory: return integer_in(w, 0.0L, 65535.0L);
    case field::shift: return integer_in(w, 0.0L, 62.0L);
  }
  return false;
}

struct record_schema {
  const char* name;
  std::vector<std::pair<const char*, field>> fields;  // empty: laid out by the crossbar's size
};

inline const std::vector<record_schema>& cell_schema() {
  static const std::vector<record_schema> s{
      {"table", {{"name", field::name}, {"checksum", field::checksum}}},
      {"device", {{"s", field::i32}, {"fluct", field::i32}, {"gain", field::i32}, {"g_offset", field::i32}, {"rng", field::u32}}},
      {"step",
       {{"v", field::i16}, {"noise", field::flag}, {"v_read", field::i16}, {"state", field::i32}, {"fluct", field::i32},
        {"rng", field::u32}, {"g_eff", field::i32}, {"current", field::i64}}}};
  return s;
}
inline const std::vector<record_schema>& lif_schema() {
  static const std::vector<record_schema> s{
      {"neuron",
       {{"decay", field::i32}, {"v_rest", field::i32}, {"v_reset", field::i32}, {"threshold", field::i32},
        {"refractory_steps", field::refractory}, {"input_shift", field::shift}}},
      {"step", {{"i_in", field::i64}, {"spike", field::flag}, {"v", field::i32}, {"refractory", field::refractory}}}};
  return s;
}
inline const std::vector<record_schema>& crossbar_schema() {
  static const std::vector<record_schema> s{
      {"table", {{"name", field::name}, {"checksum", field::checksum}}},
      {"crossbar", {{"rows", field::count}, {"cols", field::count}}},
      {"device",
       {{"r", field::row}, {"c", field::col}, {"s", field::i32}, {"fluct", field::i32}, {"gain", field::i32},
        {"g_offset", field::i32}, {"rng", field::u32}, {"noise", field::flag}}},
      {"write", {}},
      {"cells", {}},
      {"read", {}},
      {"currents", {}}};
  return s;
}

// The fields of a crossbar record whose layout depends on rows and cols.
inline std::vector<std::pair<std::string, field>> sized_fields(const std::string& name, int rows, int cols) {
  std::vector<std::pair<std::string, field>> f;
  if (name == "write") {
    f.push_back({"relax", field::flag});
    for (int r = 0; r < rows; ++r) f.push_back({"v_row " + std::to_string(r), field::i16});
    for (int c = 0; c < cols; ++c) f.push_back({"v_col " + std::to_string(c), field::i16});
  } else if (name == "cells") {
    for (int k = 0; k < rows * cols; ++k) {
      const std::string at = " of device (" + std::to_string(k / cols) + ", " + std::to_string(k % cols) + ")";
      f.push_back({"s" + at, field::i32});
      f.push_back({"fluct" + at, field::i32});
      f.push_back({"rng" + at, field::u32});
    }
  } else if (name == "read") {
    for (int r = 0; r < rows; ++r) f.push_back({"v_row " + std::to_string(r), field::i16});
  } else if (name == "currents") {
    for (int c = 0; c < cols; ++c) f.push_back({"i_col " + std::to_string(c), field::i64});
  }
  return f;
}

}  // namespace detail

// The non-comment lines of a vector file, split into words, every record
// checked as described above.
inline std::vector<std::vector<std::string>> read_lines(const std::string& file) {
  // A regular file of at most 64 MiB (model_io/input_file.hpp).
  std::istringstream in(model_io::read_input_file(file, model_io::max_input_bytes, "known-answer vector file"));
  std::vector<std::vector<std::string>> out;
  const std::vector<detail::record_schema>* schema = nullptr;
  const char* kind = "";
  int rows = 0, cols = 0;
  std::string expect_next;  // "cells" after a write, "currents" after a read
  bool table_seen = false, owner_seen = false;
  long long number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::vector<std::string> words;
    for (std::string w; ls >> w;) words.push_back(w);
    if (words.empty()) continue;
    const std::string at = file + ":" + std::to_string(number) + ": ";
    const std::string& name = words[0];
    if (!schema) {  // the first record tells the kind
      if (name == "neuron")
        schema = &detail::lif_schema(), kind = "neuron";
      else if (name == "table") {
        // cell or crossbar: told by the second record; read this one as a cell's (the same layout).
        schema = &detail::cell_schema(), kind = "cell";
      } else
        throw input_error(at + "record '" + name.substr(0, 40) + "': a vector file starts with 'table' or 'neuron'");
    } else if (table_seen && !owner_seen && name == "crossbar") {
      schema = &detail::crossbar_schema(), kind = "crossbar";
    }
    const detail::record_schema* rec = nullptr;
    for (const auto& r : *schema)
      if (name == r.name) rec = &r;
    if (!rec) {
      std::string names;
      for (const auto& r : *schema) names += (names.empty() ? "" : ", ") + std::string(r.name);
      throw input_error(at + "record '" + name.substr(0, 40) + "': unknown in a " + kind + " file (records: " + names + ")");
    }
    // Order.
    if (!expect_next.empty() && name != expect_next)
      throw input_error(at + "record '" + name + "': expected '" + expect_next + "' after the previous record");
    expect_next.clear();
    if (name == "table") {
      if (table_seen || !out.empty()) throw input_error(at + "record 'table': only as the first record");
      table_seen = true;
    } else if (std::string(kind) != "neuron" && !table_seen) {
      throw input_error(at + "record '" + name + "': the first record must be 'table'");
    }
    if (name == "crossbar") {
      if (owner_seen) throw input_error(at + "record 'crossbar': only once, after 'table'");
    } else if (name == "device" || name == "neuron") {
      if (std::string(kind) == "crossbar" && rows == 0) throw input_error(at + "record 'device' before 'crossbar'");
    } else if (name == "step" || name == "write" || name == "read") {
      if (!owner_seen) throw input_error(at + "record '" + name + "' before any '" + (std::string(kind) == "neuron" ? "neuron" : std::string(kind) == "cell" ? "device" : "crossbar") + "'");
    } else if ((name == "cells" || name == "currents") && out.empty()) {
      throw input_error(at + "record '" + name + "' without its write or read");
    }
    if (name == "write") expect_next = "cells";
    if (name == "read") expect_next = "currents";
    // Fields.
    std::vector<std::pair<std::string, detail::field>> fields;
    if (rec->fields.empty())
      fields = detail::sized_fields(name, rows, cols);
    else
      for (const auto& [n, f] : rec->fields) fields.push_back({n, f});
    if (words.size() - 1 != fields.size())
      throw input_error(at + "record '" + name + "' has " + std::to_string(words.size() - 1) + " fields, expected " +
                               std::to_string(fields.size()));
    for (std::size_t k = 0; k < fields.size(); ++k)
      if (!detail::valid(fields[k].second, words[k + 1], rows, cols))
        throw input_error(at + "record '" + name + "' field " + std::to_string(k + 1) + " (" + fields[k].first +
                                 ") = '" + words[k + 1].substr(0, 40) + "': expected " + detail::range_of(fields[k].second));
    if (name == "crossbar") {
      rows = std::stoi(words[1]);
      cols = std::stoi(words[2]);
    }
    if (name == "crossbar" || name == "neuron" || (name == "device" && std::string(kind) == "cell")) owner_seen = true;
    out.push_back(std::move(words));
  }
  if (!expect_next.empty()) throw input_error(file + ": ends without the '" + expect_next + "' record of its last operation");
  if (out.empty()) throw input_error(file + ": no records");
  return out;
}
inline std::int64_t num(const std::vector<std::string>& words, std::size_t k) {
  if (k >= words.size()) throw input_error("known-answer line '" + words[0] + "' has too few fields");
  return std::stoll(words[k]);
}
inline std::uint32_t unum32(const std::vector<std::string>& words, std::size_t k) {
  if (k >= words.size()) throw input_error("known-answer line '" + words[0] + "' has too few fields");
  return static_cast<std::uint32_t>(std::stoull(words[k]));
}

// The device of a `device` record whose state field is word `first` (1 in a
// cell file; 3 in a crossbar file, after row and column): state, fluct, gain,
// g_offset, rng and, where the record has it, the noise flag.
inline model::device device_record(const std::vector<std::string>& words, std::size_t first = 1) {
  model::device d{};
  d.state = model::q_state::from_raw(static_cast<std::int32_t>(num(words, first)));
  d.fluct = model::q_fluct::from_raw(static_cast<std::int32_t>(num(words, first + 1)));
  d.gain = model::q_gain::from_raw(static_cast<std::int32_t>(num(words, first + 2)));
  d.g_offset = model::q_cond::from_raw(static_cast<std::int32_t>(num(words, first + 3)));
  d.rng = unum32(words, first + 4);
  if (words.size() > first + 5) d.noise = num(words, first + 5) != 0;
  return d;
}

}  // namespace ionrail::kat
