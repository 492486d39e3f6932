#pragma once
// Named random streams of the circuit experiments. Every draw of a run (the
// split, the training order, the pulse trains, the devices, the spikes)
// starts from stream_seed(run seed, stream, index), so one seed gives many
// independent streams and no stream depends on another's arithmetic. Hand
// derivations did not: with `seed + epoch` and `seed + class`, seed 1's
// second epoch was seed 2's first, and a run's streams shared words.
#include <cstdint>

#include <ionrail/model/rng.hpp>

namespace ionrail::circuits {

// The values are part of what a seed means: never renumber, only append.
enum class draw_stream : std::uint64_t {
  split = 1,         // stratified test/train split of the digits; index: class
  train_subset = 2,  // which training digits a train_limit keeps (crossbar); index 0
  train_order = 3,   // order in which the training digits are shown; index: epoch
  pulse_train = 4,   // slots of the stochastic pulse trains (crossbar); index: epoch
  devices = 5,       // base seed of an array's devices (variation, noise state); index 0
  synapse_init = 6,  // spread of the synapses' initial states (SNN); index 0
  input_spikes = 7,  // Poisson input spikes (SNN); index 0
  stdp_window = 8,   // devices of one lag of the measured window; index: the lag (two's complement),
                     // 2^63 for the lone pre spike
  mnist_split = 9,   // the shuffle of split_mnist (mnist.hpp); index 0
};

// One splitmix64 step per argument: x = mix(seed); x = mix(x ^ stream);
// return mix(x ^ index), where mix(x) = splitmix64's output from state x (add
// the golden gamma, then its finaliser). Each step is a bijection of 64-bit
// words, so triples that differ in one argument never collide; the
// finaliser's avalanche makes any other two triples unrelated (a collision
// has probability ~2^-64 per pair, as for a random function).
constexpr std::uint64_t stream_seed(std::uint64_t seed, draw_stream stream, std::uint64_t index) noexcept {
  std::uint64_t state = seed;
  state = model::splitmix64(state) ^ static_cast<std::uint64_t>(stream);
  state = model::splitmix64(state) ^ index;
  return model::splitmix64(state);
}

}  // namespace ionrail::circuits
