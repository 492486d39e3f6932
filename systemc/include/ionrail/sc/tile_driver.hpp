#pragma once
// Initiator-side helper for a crossbar_tile: register accesses through a
// TLM-2.0 initiator socket with temporal decoupling (tlm_utils::
// tlm_quantumkeeper), and the tile's operations on top of them. Call from an
// SC_THREAD of the module that owns the socket. A transaction that does not
// answer TLM_OK_RESPONSE throws std::runtime_error naming the address.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <ionrail/model/formats.hpp>

#include "ionrail/sc/crossbar_tile.hpp"

namespace ionrail::sc {

class tile_driver {
 public:
  // base: the tile's address in the initiator's map; clock: the tile's
  // clock period (tile_timing::clock), for waiting out an operation.
  explicit tile_driver(tlm::tlm_initiator_socket<>& socket, std::uint64_t base = 0,
                       sc_core::sc_time clock = sc_core::sc_time(10, sc_core::SC_NS))
      : socket_(socket), base_(base), clock_(clock) {
    keeper_.reset();
  }

  // Words at consecutive registers from offset (one transaction).
  void write(std::uint64_t offset, const std::vector<std::uint32_t>& words) {
    buf_ = words;
    transport(tlm::TLM_WRITE_COMMAND, offset, buf_.size());
  }
  std::vector<std::uint32_t> read(std::uint64_t offset, std::size_t n) {
    buf_.assign(n, 0);
    transport(tlm::TLM_READ_COMMAND, offset, n);
    return buf_;
  }
  void write32(std::uint64_t offset, std::uint32_t w) { write(offset, {w}); }
  std::uint32_t read32(std::uint64_t offset) { return read(offset, 1)[0]; }

  // Drive voltages (one burst per block).
  void set_rows(const std::vector<model::q_volt>& v) { write(tile_reg::v_row, words_of(v)); }
  void set_cols(const std::vector<model::q_volt>& v) { write(tile_reg::v_col, words_of(v)); }

  // Starts an operation and waits for its end: reads REMAINING and lets
  // that many clock cycles pass on the initiator's local time (as a CPU
  // would sleep on a timer), until the tile reports 0.
  void run(bool write_op, bool relax) {
    write32(tile_reg::ctrl, tile_reg::ctrl_start | (write_op ? tile_reg::ctrl_write : 0u) |
                                (relax ? tile_reg::ctrl_relax : 0u));
    for (std::uint32_t left = read32(tile_reg::remaining); left != 0; left = read32(tile_reg::remaining))
      keeper_.inc(clock_ * static_cast<double>(left));
  }
  // Column currents of the last read (one burst).
  std::vector<model::q_current> currents(int cols) {
    const std::vector<std::uint32_t> w = read(tile_reg::i_col, 2u * static_cast<std::size_t>(cols));
    std::vector<model::q_current> out(static_cast<std::size_t>(cols));
    for (std::size_t c = 0; c < out.size(); ++c)
      out[c] = model::q_current::from_raw(static_cast<std::int64_t>(std::uint64_t{w[2 * c]} |
                                                                    std::uint64_t{w[2 * c + 1]} << 32));
    return out;
  }
  // I_col = Σ_r G_rc · v_row[r]: the matrix-vector product of the array.
  std::vector<model::q_current> multiply(const std::vector<model::q_volt>& v_row, int cols) {
    set_rows(v_row);
    run(false, false);
    return currents(cols);
  }
  // One write pulse: every device (r, c) at sat16(v_row[r] − v_col[c]).
  void pulse(const std::vector<model::q_volt>& v_row, const std::vector<model::q_volt>& v_col, bool relax = false) {
    set_rows(v_row);
    set_cols(v_col);
    run(true, relax);
  }

  // The initiator's time (sc_time_stamp() + its local offset) and a
  // synchronisation point (waits out the
  // accumulated delay).
  sc_core::sc_time now() const { return keeper_.get_current_time(); }
  void sync() { keeper_.sync(); }
  std::uint64_t transactions() const noexcept { return transactions_; }

 private:
  static std::vector<std::uint32_t> words_of(const std::vector<model::q_volt>& v) {
    std::vector<std::uint32_t> w(v.size());
    for (std::size_t k = 0; k < v.size(); ++k) w[k] = static_cast<std::uint32_t>(std::int32_t{v[k].raw()});
    return w;
  }

  void transport(tlm::tlm_command cmd, std::uint64_t offset, std::size_t words) {
    tlm::tlm_generic_payload p;
    p.set_command(cmd);
    p.set_address(base_ + offset);
    p.set_data_ptr(reinterpret_cast<unsigned char*>(buf_.data()));
    p.set_data_length(static_cast<unsigned>(4 * words));
    p.set_streaming_width(static_cast<unsigned>(4 * words));
    p.set_byte_enable_ptr(nullptr);
    p.set_dmi_allowed(false);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = keeper_.get_local_time();
    socket_->b_transport(p, delay);
    keeper_.set(delay);
    ++transactions_;
    if (p.is_response_error())
      throw std::runtime_error("tile access at 0x" + to_hex(offset) + ": " + p.get_response_string());
    if (keeper_.need_sync()) keeper_.sync();
  }

  static std::string to_hex(std::uint64_t x) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    do {
      s.insert(s.begin(), digits[x & 15u]);
      x >>= 4;
    } while (x != 0);
    return s;
  }

  tlm::tlm_initiator_socket<>& socket_;
  std::uint64_t base_;
  sc_core::sc_time clock_;
  tlm_utils::tlm_quantumkeeper keeper_;
  std::vector<std::uint32_t> buf_;
  std::uint64_t transactions_ = 0;
};

}  // namespace ionrail::sc
