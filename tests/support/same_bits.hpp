#pragma once
// Bitwise comparison of traces: determinism (threads, backends) means the
// same bits, not "close".
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include <ionrail/kmc/engine.hpp>

namespace ionrail::test {

inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Every field of every sample, zones included, bit for bit.
inline void expect_same_samples(const std::vector<kmc::sample>& a, const std::vector<kmc::sample>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const kmc::sample &x = a[i], &y = b[i];
    for (auto [u, v] : {std::pair{x.t_s, y.t_s}, {x.v, y.v}, {x.f_left, y.f_left}, {x.f_right, y.f_right},
                        {x.state, y.state}, {x.g_s, y.g_s}, {x.i_a, y.i_a}, {x.i_ion_a, y.i_ion_a},
                        {x.energy_j, y.energy_j}})
      EXPECT_TRUE(same_bits(u, v)) << "sample " << i << ": " << u << " vs " << v;
    ASSERT_EQ(x.zones.size(), y.zones.size());
    for (std::size_t z = 0; z < x.zones.size(); ++z) EXPECT_TRUE(same_bits(x.zones[z], y.zones[z])) << "sample " << i;
  }
}

}  // namespace ionrail::test
