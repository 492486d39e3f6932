#pragma once
// SystemC port types of the compact model, derived from the C++ Q formats
// (model/include/ionrail/model/formats.hpp, lif.hpp) so that the widths are
// defined once (compact-model spec §4): a port carries the raw two's-
// complement value of its format, bit for bit.
//
//   volt_t     sc_int<16>  q_volt raw     (Q4.11 V)
//   state_t    sc_int<32>  q_state raw    (Q1.30)
//   fluct_t    sc_int<32>  q_fluct raw    (Q1.30)
//   gain_t     sc_int<32>  q_gain raw     (Q1.30)
//   cond_t     sc_int<32>  q_cond raw     (Q11.20 µS)
//   current_t  sc_int<64>  q_current raw  (Q32.31 µA)
//   rng_t      sc_uint<32> xorshift32 state
//   membrane_t sc_int<32>  q_membrane raw (Q7.24)
//   coeff_t    sc_int<32>  q_coeff raw    (Q1.30)
//   refractory_t sc_uint<16> LIF refractory counter
#include <cstdint>

#include <systemc>

#include <ionrail/model/formats.hpp>
#include <ionrail/model/lif.hpp>

namespace ionrail::sc {

// The sc_int of a Q format's raw width.
template <class Q>
using port_int = sc_dt::sc_int<Q::bits>;

using volt_t = port_int<model::q_volt>;
using state_t = port_int<model::q_state>;
using fluct_t = port_int<model::q_fluct>;
using gain_t = port_int<model::q_gain>;
using cond_t = port_int<model::q_cond>;
using current_t = port_int<model::q_current>;
using membrane_t = port_int<model::q_membrane>;
using coeff_t = port_int<model::q_coeff>;
using rng_t = sc_dt::sc_uint<32>;
inline constexpr int refractory_bits = 16;  // counts up to model::lif_max_refractory
using refractory_t = sc_dt::sc_uint<refractory_bits>;

static_assert(model::q_volt::bits == 16 && model::q_state::bits == 32, "voltage 16 bits, state 32 bits");
static_assert(model::q_current::bits == 64, "current port is 64 bits");
static_assert((1 << refractory_bits) - 1 == model::lif_max_refractory, "refractory counter is 16 bits");

// Raw value of a port word as the model's format, and back. sc_int holds a
// sign-extended int64, so narrowing to the format's raw type is exact.
template <class Q>
constexpr Q from_port(const port_int<Q>& x) noexcept {
  return Q::from_raw(static_cast<typename Q::raw_type>(x.to_int64()));
}
template <class Q>
port_int<Q> to_port(Q x) noexcept {
  return port_int<Q>(static_cast<std::int64_t>(x.raw()));
}

// Bits needed to address n rows or columns (at least 1), as Verilog's
// $clog2 for the RTL's cfg_row/cfg_col ports.
constexpr int index_bits(int n) noexcept {
  int b = 0;
  while ((1 << b) < n) ++b;
  return b < 1 ? 1 : b;
}

}  // namespace ionrail::sc
