#include <ionrail/circuits/digits.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include <ionrail/circuits/streams.hpp>
#include <ionrail/model/rng.hpp>

#include <ionrail/model_io/input_file.hpp>

#include "gzip_input.hpp"

namespace ionrail::circuits {

std::vector<digit> load_digits(const std::string& path) {
  // Plain text is read too (a CSV the user has not compressed).
  const std::string text = read_gzip_input(path, "the gzip'd digits CSV, see data/README.md", true, model_io::max_input_bytes);
  std::vector<digit> out;
  int number = 0;
  // Bad input, not a failed run: std::invalid_argument (the command exits 2).
  auto fail = [&](const std::string& why) { throw std::invalid_argument(path + ":" + std::to_string(number) + ": " + why); };
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string line = text.substr(at, end - at);
    at = end + 1;
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream in(line);
    digit d{};
    int value = 0, k = 0;
    while (in >> value) {
      if (k < 64) {
        if (value < 0 || value > 16) fail("pixel " + std::to_string(k) + " = " + std::to_string(value) + " outside [0, 16]");
        d.pixels[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(value);
      } else if (k == 64) {
        if (value < 0 || value > 9) fail("label = " + std::to_string(value) + " outside [0, 9]");
        d.label = value;
      }
      ++k;
    }
    if (!in.eof() || k != 65) fail("expected 64 pixels and a label (65 integers), got " + std::to_string(k));
    out.push_back(d);
  }
  if (out.empty()) throw std::invalid_argument(path + ": no digits");
  return out;
}

double uniform01(std::uint64_t& state) { return static_cast<double>(model::splitmix64(state) >> 11) * 0x1.0p-53; }

std::vector<int> permutation(int n, std::uint64_t seed) {
  std::vector<int> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  std::uint64_t s = seed;
  for (int i = n - 1; i > 0; --i) {
    const auto j = static_cast<int>(model::splitmix64(s) % static_cast<std::uint64_t>(i + 1));
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  return p;
}

digit_split split_digits(const std::vector<digit>& data, int test_count, std::uint64_t seed) {
  const int n = static_cast<int>(data.size());
  if (test_count <= 0 || test_count >= n)
    throw std::invalid_argument("split_digits: test_count = " + std::to_string(test_count) + " must be in (0, " +
                                std::to_string(n) + "), the digits' count");
  // The classes index an array of ten: a label outside 0-9 (from Python,
  // or a caller's own data) wrote past it.
  for (int i = 0; i < n; ++i)
    if (data[static_cast<std::size_t>(i)].label < 0 || data[static_cast<std::size_t>(i)].label > 9)
      throw std::invalid_argument("split_digits: label " + std::to_string(data[static_cast<std::size_t>(i)].label) +
                                  " at index " + std::to_string(i) + " is outside 0-9");
  std::array<std::vector<int>, 10> by_class;
  for (int i = 0; i < n; ++i) by_class[static_cast<std::size_t>(data[static_cast<std::size_t>(i)].label)].push_back(i);
  // Largest remainders: floor shares, then one more for the largest fractions.
  std::array<int, 10> take{};
  std::array<double, 10> frac{};
  int given = 0;
  for (int c = 0; c < 10; ++c) {
    const double share = static_cast<double>(test_count) * static_cast<double>(by_class[static_cast<std::size_t>(c)].size()) / n;
    take[static_cast<std::size_t>(c)] = static_cast<int>(share);
    frac[static_cast<std::size_t>(c)] = share - take[static_cast<std::size_t>(c)];
    given += take[static_cast<std::size_t>(c)];
  }
  std::array<int, 10> order{};
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return frac[static_cast<std::size_t>(a)] > frac[static_cast<std::size_t>(b)]; });
  for (int k = 0; given < test_count; ++k, ++given) ++take[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])];
  digit_split out;
  for (int c = 0; c < 10; ++c) {
    const auto& members = by_class[static_cast<std::size_t>(c)];
    const std::vector<int> p = permutation(static_cast<int>(members.size()),
                                                 stream_seed(seed, draw_stream::split, static_cast<std::uint64_t>(c)));
    for (std::size_t k = 0; k < members.size(); ++k)
      (static_cast<int>(k) < take[static_cast<std::size_t>(c)] ? out.test : out.train).push_back(members[static_cast<std::size_t>(p[k])]);
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.test.begin(), out.test.end());
  return out;
}

}  // namespace ionrail::circuits
