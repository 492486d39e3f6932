#pragma once
// A ROWS × COLS crossbar as a memory-mapped tile: a TLM-2.0 loosely-timed
// target (blocking transport, tlm_utils::simple_target_socket) in front of
// the golden model's array (model/include/ionrail/model/crossbar.hpp), so
// its results are the C++ crossbar's bit for bit. Register map and timing
// model: docs/systemc.md §4 (summarised here).
//
// Registers (32-bit words, byte offsets; accesses of 4·n bytes at a
// 4-aligned address, n words touching consecutive registers in order):
//   0x0000 ID         R   0x49525842 ("IRXB")
//   0x0004 GEOMETRY   R   ROWS | COLS << 16
//   0x0008 CTRL       RW  bit 0 START (write 1: start an operation; reads 0),
//                         bit 1 WRITE (1: write pulse, 0: read), bit 2 RELAX
//   0x000C STATUS     R   bit 0 BUSY
//   0x0010 OPS        R   operations started (wraps)
//   0x0014 LANES      R   columns per clock of an operation
//   0x0018 REMAINING  R   clock cycles until the running operation ends (0: idle)
//   0x0020 DEV_SEL    RW  device index r · COLS + c for the DEV_* window
//   0x0024 DEV_STATE  RW  q_state raw of the selected device
//   0x0028 DEV_FLUCT  RW  q_fluct raw
//   0x002C DEV_GAIN   RW  q_gain raw
//   0x0030 DEV_OFFSET RW  q_cond raw (µS)
//   0x0034 DEV_RNG    RW  xorshift32 state
//   0x0038 DEV_NOISE  RW  bit 0: cycle-to-cycle noise on
//   0x003C DEV_G      R   effective conductance G(s + δ) + offset, q_cond raw
//   0x1000 + 4r V_ROW[r] RW  q_volt raw (bits 15:0; reads sign-extended)
//   0x2000 + 4c V_COL[c] RW  q_volt raw
//   0x3000 + 8c I_COL[c] R   q_current raw, int64: low word, then high word
// A write operation steps device (r, c) at sat16(V_ROW[r] − V_COL[c]) if that
// is not 0 or RELAX (model::crossbar_write); a read sets I_COL[c] =
// Σ_r read_current(device (r, c), V_ROW[r]) (model::crossbar_read).
//
// Timing (clock period T): every word accessed costs access_cycles · T; an
// operation takes COLS/lanes + 1 cycles after the CTRL word that starts it,
// as the signal-level crossbar, and a write pulse_width more. While it runs STATUS reads BUSY and every
// other access (except ID, GEOMETRY, OPS, LANES, REMAINING) waits for its end: the wait
// is added to the transaction's delay (loosely timed: the initiator's local
// time, sc_time_stamp() + delay, is compared with the operation's end).
// Errors: TLM_ADDRESS_ERROR_RESPONSE (unmapped or misaligned), TLM_COMMAND_
// ERROR_RESPONSE (writing a read-only register, reading a write-only one,
// DEV_SEL out of range on a DEV_* access), TLM_BURST_ERROR_RESPONSE
// (length not a multiple of 4, streaming width < length),
// TLM_BYTE_ENABLE_ERROR_RESPONSE (byte enables); an erroneous transaction
// changes nothing.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <ionrail/model/crossbar.hpp>
#include <ionrail/model/device.hpp>
#include <ionrail/model/formats.hpp>
#include <ionrail/model/step.hpp>
#include <ionrail/model/table_view.hpp>

namespace ionrail::sc {

namespace tile_reg {
inline constexpr std::uint32_t id_value = 0x49525842u;  // "IRXB"
inline constexpr std::uint64_t id = 0x0000, geometry = 0x0004, ctrl = 0x0008, status = 0x000C, ops = 0x0010,
                               lanes = 0x0014, remaining = 0x0018;
inline constexpr std::uint64_t dev_sel = 0x0020, dev_state = 0x0024, dev_fluct = 0x0028, dev_gain = 0x002C,
                               dev_offset = 0x0030, dev_rng = 0x0034, dev_noise = 0x0038, dev_g = 0x003C;
inline constexpr std::uint64_t v_row = 0x1000, v_col = 0x2000, i_col = 0x3000;
inline constexpr std::uint64_t block_size = 0x1000;  // V_ROW, V_COL and I_COL blocks
inline constexpr std::uint32_t ctrl_start = 1u << 0, ctrl_write = 1u << 1, ctrl_relax = 1u << 2;
inline constexpr std::uint32_t status_busy = 1u << 0;
inline constexpr int max_rows = block_size / 4;  // 1024
inline constexpr int max_cols = block_size / 8;  // 512 (I_COL words are 64-bit)
}  // namespace tile_reg

struct tile_timing {
  sc_core::sc_time clock{10, sc_core::SC_NS};  // T
  int access_cycles = 1;                       // per 32-bit word accessed
  int lanes = 0;                               // columns per clock in an operation; 0: all (parallel)
  // How long a write operation holds its voltages on the lines beyond its
  // cycles: 0 for a digital model step; the table's dt_m for a physical pulse.
  sc_core::sc_time pulse_width = sc_core::SC_ZERO_TIME;
};

template <int ROWS, int COLS>
class crossbar_tile : public sc_core::sc_module {
  static_assert(ROWS >= 1 && COLS >= 1 && ROWS <= tile_reg::max_rows && COLS <= tile_reg::max_cols,
                "tile size must fit the register map");

 public:
  static constexpr int rows = ROWS;
  static constexpr int cols = COLS;

  tlm_utils::simple_target_socket<crossbar_tile> socket;

  // Devices model::device{} (gain 0: load them through DEV_* or array()).
  crossbar_tile(sc_core::sc_module_name name, const model::table_view& table, tile_timing timing = {})
      : sc_core::sc_module(name), socket("socket"), table_(table), timing_(timing), array_(ROWS, COLS),
        vr_(static_cast<std::size_t>(ROWS), model::q_volt::zero()),
        vc_(static_cast<std::size_t>(COLS), model::q_volt::zero()),
        i_(static_cast<std::size_t>(COLS), model::q_current::zero()) {
    if (timing_.lanes == 0) timing_.lanes = COLS;
    if (timing_.lanes < 1 || COLS % timing_.lanes != 0 || timing_.access_cycles < 0)
      throw std::invalid_argument(std::string(this->name()) + ": lanes must divide COLS, access_cycles >= 0");
    if (model::check_table(table) != model::table_status::ok)
      throw std::invalid_argument(std::string(this->name()) + ": " + model::describe(model::check_table(table)));
    socket.register_b_transport(this, &crossbar_tile::b_transport);
    socket.register_transport_dbg(this, &crossbar_tile::transport_dbg);
  }
  // Devices make_device(device_seed(seed, r · COLS + c), var, initial, noise),
  // as model::crossbar(rows, cols, seed, ...).
  crossbar_tile(sc_core::sc_module_name name, const model::table_view& table, std::uint64_t seed,
                model::variation_params var, model::q_state initial = model::q_state::zero(), bool noise = true,
                tile_timing timing = {})
      : crossbar_tile(name, table, timing) {
    array_ = model::crossbar(ROWS, COLS, seed, var, initial, noise);
  }

  const char* kind() const override { return "ionrail::sc::crossbar_tile"; }

  // Back door (set-up and checks; no timing).
  model::crossbar& array() noexcept { return array_; }
  const model::crossbar& array() const noexcept { return array_; }
  const tile_timing& timing() const noexcept { return timing_; }
  int op_cycles() const noexcept { return COLS / timing_.lanes + 1; }
  // How long an operation keeps the tile busy.
  sc_core::sc_time op_time(bool write) const {
    return timing_.clock * static_cast<double>(op_cycles()) + (write ? timing_.pulse_width : sc_core::SC_ZERO_TIME);
  }
  sc_core::sc_time word_time() const { return timing_.clock * static_cast<double>(timing_.access_cycles); }
  // When the last operation ends (simulated time).
  const sc_core::sc_time& busy_until() const noexcept { return busy_until_; }

 private:
  enum class access { read, write };

  // Registers that answer while an operation runs.
  static bool never_waits(std::uint64_t a) {
    return a == tile_reg::id || a == tile_reg::geometry || a == tile_reg::status || a == tile_reg::ops ||
           a == tile_reg::lanes || a == tile_reg::remaining;
  }

  // Whether a word access at address a is legal; response otherwise.
  tlm::tlm_response_status check(std::uint64_t a, access acc) const {
    namespace r = tile_reg;
    const bool rd = acc == access::read;
    if (a == r::id || a == r::geometry || a == r::status || a == r::ops || a == r::lanes || a == r::remaining ||
        a == r::dev_g)
      return rd ? tlm::TLM_OK_RESPONSE : tlm::TLM_COMMAND_ERROR_RESPONSE;
    if (a == r::ctrl || a == r::dev_sel) return tlm::TLM_OK_RESPONSE;
    if (a >= r::dev_state && a <= r::dev_noise) return tlm::TLM_OK_RESPONSE;
    if (a >= r::v_row && a < r::v_row + 4u * ROWS) return tlm::TLM_OK_RESPONSE;
    if (a >= r::v_col && a < r::v_col + 4u * COLS) return tlm::TLM_OK_RESPONSE;
    if (a >= r::i_col && a < r::i_col + 8u * COLS) return rd ? tlm::TLM_OK_RESPONSE : tlm::TLM_COMMAND_ERROR_RESPONSE;
    return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  }

  bool selects_device(std::uint64_t a) const {
    return a >= tile_reg::dev_state && a <= tile_reg::dev_g;
  }

  std::uint32_t read_word(std::uint64_t a, const sc_core::sc_time& now) const {
    namespace r = tile_reg;
    if (a == r::id) return r::id_value;
    if (a == r::geometry) return static_cast<std::uint32_t>(ROWS) | static_cast<std::uint32_t>(COLS) << 16;
    if (a == r::ctrl) return ctrl_ & ~r::ctrl_start;
    if (a == r::status) return now < busy_until_ ? r::status_busy : 0u;
    if (a == r::ops) return ops_;
    if (a == r::lanes) return static_cast<std::uint32_t>(timing_.lanes);
    if (a == r::remaining) {
      if (now >= busy_until_) return 0u;
      // Whole cycles, rounded up (a pulse width need not be a multiple of T).
      const double cycles = (busy_until_ - now) / timing_.clock;
      const auto whole = static_cast<std::uint64_t>(cycles);
      const std::uint64_t up = static_cast<double>(whole) < cycles ? whole + 1 : whole;
      return up > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(up);
    }
    if (a == r::dev_sel) return sel_;
    if (a >= r::v_row && a < r::v_col) return static_cast<std::uint32_t>(std::int32_t{vr_[(a - r::v_row) / 4].raw()});
    if (a >= r::v_col && a < r::i_col) return static_cast<std::uint32_t>(std::int32_t{vc_[(a - r::v_col) / 4].raw()});
    if (a >= r::i_col) {
      const auto x = static_cast<std::uint64_t>(i_[(a - r::i_col) / 8].raw());
      return static_cast<std::uint32_t>((a - r::i_col) % 8 == 0 ? x : x >> 32);
    }
    const model::device& d = array_.data()[sel_];
    switch (a) {
      case r::dev_state: return static_cast<std::uint32_t>(d.state.raw());
      case r::dev_fluct: return static_cast<std::uint32_t>(d.fluct.raw());
      case r::dev_gain: return static_cast<std::uint32_t>(d.gain.raw());
      case r::dev_offset: return static_cast<std::uint32_t>(d.g_offset.raw());
      case r::dev_rng: return d.rng;
      case r::dev_noise: return d.noise ? 1u : 0u;
      default: return static_cast<std::uint32_t>(model::conductance(table_, d).raw());  // r::dev_g
    }
  }

  // Returns true when the word started an operation.
  bool write_word(std::uint64_t a, std::uint32_t w) {
    namespace r = tile_reg;
    const auto i32 = static_cast<std::int32_t>(w);
    if (a == r::ctrl) {
      ctrl_ = w & (r::ctrl_write | r::ctrl_relax);
      if ((w & r::ctrl_start) == 0) return false;
      if (ctrl_ & r::ctrl_write)
        array_.write(table_, vr_.data(), vc_.data(), (ctrl_ & r::ctrl_relax) != 0);
      else
        array_.read(table_, vr_.data(), i_.data());
      ++ops_;
      return true;
    }
    if (a == r::dev_sel) {
      sel_ = w;
      return false;
    }
    if (a >= r::v_row && a < r::v_col) {
      vr_[(a - r::v_row) / 4] = model::q_volt::from_raw(static_cast<std::int16_t>(w & 0xFFFFu));
      return false;
    }
    if (a >= r::v_col) {
      vc_[(a - r::v_col) / 4] = model::q_volt::from_raw(static_cast<std::int16_t>(w & 0xFFFFu));
      return false;
    }
    model::device& d = array_.data()[sel_];
    switch (a) {
      case r::dev_state: d.state = model::q_state::from_raw(i32); break;
      case r::dev_fluct: d.fluct = model::q_fluct::from_raw(i32); break;
      case r::dev_gain: d.gain = model::q_gain::from_raw(i32); break;
      case r::dev_offset: d.g_offset = model::q_cond::from_raw(i32); break;
      case r::dev_rng: d.rng = w; break;
      default: d.noise = (w & 1u) != 0; break;  // r::dev_noise
    }
    return false;
  }

  // Validates the whole transaction before it has any effect.
  tlm::tlm_response_status validate(const tlm::tlm_generic_payload& p) const {
    if (p.get_byte_enable_ptr() != nullptr) return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
    const unsigned len = p.get_data_length();
    if (len == 0 || len % 4 != 0 || p.get_streaming_width() < len) return tlm::TLM_BURST_ERROR_RESPONSE;
    if (p.get_address() % 4 != 0) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
    const access acc = p.is_write() ? access::write : access::read;
    std::uint32_t sel = sel_;
    for (unsigned k = 0; k < len / 4; ++k) {
      const std::uint64_t a = p.get_address() + 4u * k;
      const tlm::tlm_response_status s = check(a, acc);
      if (s != tlm::TLM_OK_RESPONSE) return s;
      // A burst may write DEV_SEL and then the device registers it selects.
      if (a == tile_reg::dev_sel && acc == access::write) std::memcpy(&sel, p.get_data_ptr() + 4u * k, 4);
      if (selects_device(a) && sel >= static_cast<std::uint32_t>(ROWS * COLS)) return tlm::TLM_COMMAND_ERROR_RESPONSE;
    }
    return tlm::TLM_OK_RESPONSE;
  }

  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    if (p.is_read() == p.is_write()) {  // TLM_IGNORE_COMMAND
      p.set_response_status(tlm::TLM_OK_RESPONSE);
      return;
    }
    const tlm::tlm_response_status s = validate(p);
    if (s != tlm::TLM_OK_RESPONSE) {
      p.set_response_status(s);
      return;
    }
    const unsigned words = p.get_data_length() / 4;
    unsigned char* data = p.get_data_ptr();
    for (unsigned k = 0; k < words; ++k) {
      const std::uint64_t a = p.get_address() + 4u * k;
      const sc_core::sc_time now = sc_core::sc_time_stamp() + delay;
      if (!never_waits(a) && now < busy_until_) delay += busy_until_ - now;
      delay += word_time();
      if (p.is_read()) {
        const std::uint32_t w = read_word(a, sc_core::sc_time_stamp() + delay);
        std::memcpy(data + 4u * k, &w, 4);
      } else {
        std::uint32_t w;
        std::memcpy(&w, data + 4u * k, 4);
        if (write_word(a, w)) busy_until_ = sc_core::sc_time_stamp() + delay + op_time((ctrl_ & tile_reg::ctrl_write) != 0);
      }
    }
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  // Debug access: reads any readable register, no timing, no effect.
  unsigned transport_dbg(tlm::tlm_generic_payload& p) {
    if (!p.is_read() || p.get_data_length() % 4 != 0 || p.get_address() % 4 != 0) return 0;
    const unsigned words = p.get_data_length() / 4;
    for (unsigned k = 0; k < words; ++k) {
      const std::uint64_t a = p.get_address() + 4u * k;
      if (check(a, access::read) != tlm::TLM_OK_RESPONSE) return 4u * k;
      if (selects_device(a) && sel_ >= static_cast<std::uint32_t>(ROWS * COLS)) return 4u * k;
      const std::uint32_t w = read_word(a, sc_core::sc_time_stamp());
      std::memcpy(p.get_data_ptr() + 4u * k, &w, 4);
    }
    return p.get_data_length();
  }

  model::table_view table_;
  tile_timing timing_;
  model::crossbar array_;
  std::vector<model::q_volt> vr_, vc_;
  std::vector<model::q_current> i_;
  std::uint32_t ctrl_ = 0, ops_ = 0, sel_ = 0;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
};

}  // namespace ionrail::sc
