#include <ionrail/circuits/mnist.hpp>

#include <cstdio>
#include <stdexcept>

#include <ionrail/circuits/digits.hpp>
#include <ionrail/circuits/streams.hpp>

#include "gzip_input.hpp"

namespace ionrail::circuits {

namespace {

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::uint32_t big_endian(const std::vector<std::uint8_t>& d, std::size_t at) {
  return (static_cast<std::uint32_t>(d[at]) << 24) | (static_cast<std::uint32_t>(d[at + 1]) << 16) |
         (static_cast<std::uint32_t>(d[at + 2]) << 8) | static_cast<std::uint32_t>(d[at + 3]);
}

// An IDX file of unsigned bytes with `dims` dimensions: its sizes, and the
// data moved into `data` (header removed).
std::vector<std::uint32_t> read_idx(const std::string& path, std::uint32_t magic, int dims,
                                    std::vector<std::uint8_t>& data) {
  const std::string bytes = read_gzip_input(path, "a gzip'd IDX file, see data/mnist10k/README.md", false, max_inflated_idx_bytes);
  data.assign(bytes.begin(), bytes.end());
  const std::size_t head = 4 + 4 * static_cast<std::size_t>(dims);
  if (data.size() < head)
    throw std::invalid_argument(path + ": " + std::to_string(data.size()) + " bytes, shorter than the IDX header (" +
                                std::to_string(head) + " bytes)");
  const std::uint32_t got = big_endian(data, 0);
  if (got != magic) throw std::invalid_argument(path + ": IDX magic number " + hex32(got) + ", expected " + hex32(magic));
  std::vector<std::uint32_t> shape(static_cast<std::size_t>(dims));
  std::string sizes;
  unsigned long long size = 1;  // the product of the sizes; `huge` if it overflows 64 bits
  bool huge = false;
  for (int k = 0; k < dims; ++k) {
    shape[static_cast<std::size_t>(k)] = big_endian(data, 4 + 4 * static_cast<std::size_t>(k));
    sizes += (k ? " x " : "") + std::to_string(shape[static_cast<std::size_t>(k)]);
    const unsigned long long d = shape[static_cast<std::size_t>(k)];
    if (d != 0 && size > ~0ull / d) huge = true;
    size *= d;
  }
  const std::size_t have = data.size() - head;
  if (huge || size != have)
    throw std::invalid_argument(path + ": header says " + sizes + " = " + (huge ? std::string("too many") : std::to_string(size)) +
                                " bytes, the file has " + std::to_string(have));
  data.erase(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(head));
  return shape;
}

}  // namespace

mnist_set load_mnist(const std::string& images_path, const std::string& labels_path) {
  mnist_set s;
  const std::vector<std::uint32_t> ishape = read_idx(images_path, 0x00000803u, 3, s.images);
  const std::vector<std::uint32_t> lshape = read_idx(labels_path, 0x00000801u, 1, s.labels);
  // int sizes for the callers' index arithmetic: the product fits (checked
  // against the data length above), each factor must fit on its own.
  for (std::uint32_t d : ishape)
    if (d > 0x7fffffffu) throw std::invalid_argument(images_path + ": IDX size " + std::to_string(d) + " over 2^31 - 1");
  if (ishape[0] != lshape[0])
    throw std::invalid_argument(images_path + ": " + std::to_string(ishape[0]) + " images but " + labels_path + " has " +
                                std::to_string(lshape[0]) + " labels");
  for (std::size_t i = 0; i < s.labels.size(); ++i)
    if (s.labels[i] > 9)
      throw std::invalid_argument(labels_path + ": label " + std::to_string(s.labels[i]) + " at index " + std::to_string(i) +
                                  " outside 0-9");
  // MNIST's shape: the networks, their pooling and reports are built for
  // 28 × 28 (1 × 1 images trained a 1-8-10 network reported as 28 × 28).
  if (ishape[1] != 28 || ishape[2] != 28)
    throw std::invalid_argument(images_path + ": images of " + std::to_string(ishape[1]) + " x " +
                                std::to_string(ishape[2]) + " pixels; MNIST's are 28 x 28");
  if (ishape[0] == 0) throw std::invalid_argument(images_path + ": holds no images");
  s.count = static_cast<int>(ishape[0]);
  s.rows = static_cast<int>(ishape[1]);
  s.cols = static_cast<int>(ishape[2]);
  return s;
}

mnist_split split_mnist(int n, int test_count, std::uint64_t seed) {
  if (test_count <= 0 || test_count >= n)
    throw std::invalid_argument("split_mnist: test_count " + std::to_string(test_count) + " must be in (0, " +
                                std::to_string(n) + ")");
  const std::vector<int> p = permutation(n, stream_seed(seed, draw_stream::mnist_split, 0));
  mnist_split out;
  out.train.assign(p.begin(), p.end() - test_count);
  out.test.assign(p.end() - test_count, p.end());
  return out;
}

}  // namespace ionrail::circuits
