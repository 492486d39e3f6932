#pragma once
// The 8×8 handwritten digits (data/digits.csv.gz: UCI optdigits test set,
// CC BY 4.0, see data/README.md) and a fixed, stratified train/test split.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ionrail::circuits {

struct digit {
  std::array<std::uint8_t, 64> pixels;  // 0..16, row-major
  int label;                            // 0..9
};

// Reads the gzip'd CSV (64 pixels then the label per line). Throws
// std::invalid_argument naming the file (and line) on anything malformed,
// truncated or unreadable.
std::vector<digit> load_digits(const std::string& path);

struct digit_split {
  std::vector<int> train, test;  // indices into the data set
};
// Stratified split: per class, test_count · n_class / n (largest remainders
// make the total exact), the members chosen by a seeded Fisher–Yates shuffle
// (splitmix64, the same on every platform; class c from
// stream_seed(seed, draw_stream::split, c)).
digit_split split_digits(const std::vector<digit>& data, int test_count, std::uint64_t seed);

// A seeded permutation of 0..n-1 (splitmix64 Fisher–Yates).
std::vector<int> permutation(int n, std::uint64_t seed);

// Uniform in [0, 1) from a splitmix64 stream (the experiments' Poisson
// spikes and pulse-train draws; the same on every platform).
double uniform01(std::uint64_t& state);

}  // namespace ionrail::circuits
