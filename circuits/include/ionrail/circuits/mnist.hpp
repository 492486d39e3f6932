#pragma once
// MNIST-format data (the IDX files of data/mnist10k, see its README.md) and
// a fixed train/test split. The loader reads gzip'd IDX3 images (magic
// 0x00000803, count × rows × cols unsigned bytes) and IDX1 labels (magic
// 0x00000801, count bytes 0–9), big-endian headers as in the MNIST format.
#include <cstdint>
#include <string>
#include <vector>

namespace ionrail::circuits {

struct mnist_set {
  int count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> images;  // count × rows × cols, row-major; 0 background, 255 ink
  std::vector<std::uint8_t> labels;  // count, 0–9
};

// Reads both files. Throws std::invalid_argument (bad input: the command
// line exits 2) naming the file and what was expected on a missing or
// unreadable file, a file that is not gzip, a truncated or corrupted gzip
// stream, a wrong magic number, a data length that disagrees with the
// header's sizes, a label outside 0–9, or image and label counts that differ.
// The checksums (data/mnist10k/SHA256SUMS) are the caller's (ionrail.load_mnist
// checks them in Python).
mnist_set load_mnist(const std::string& images_path, const std::string& labels_path);

struct mnist_split {
  std::vector<int> train, test;  // indices into the set, in shuffled order
};
// The fixed split: permutation(n, stream_seed(seed, draw_stream::mnist_split,
// 0)) (digits.hpp: splitmix64 Fisher–Yates, the same on every platform), its
// first n − test_count entries for training, the last test_count for test.
// Not stratified: the README's split is a plain shuffle. It is NOT numpy's
// default_rng(1).permutation(10000) that python/ionrail uses (8,000 / 2,000
// from seed 1 as well): a C++ and a Python run share the sizes, not the
// members. std::invalid_argument unless 0 < test_count < n.
mnist_split split_mnist(int n, int test_count, std::uint64_t seed);

}  // namespace ionrail::circuits
