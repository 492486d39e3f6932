// libFuzzer target: waveform CSVs (kmc::read_waveform_csv), then the
// piecewise-linear V(t) they give, evaluated across and beyond its span.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <ionrail/kmc/protocol.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ionrail;
  const std::string file = fuzz::put("wave.csv", reinterpret_cast<const char*>(data), size);
  try {
    const auto v = kmc::read_waveform_csv(file);
    const double end = v->end_time_s();
    if (!(std::isfinite(end) && end > 0)) __builtin_trap();  // the loader promised this
    for (int k = -1; k <= 17; ++k) {
      const double x = v->voltage(end * k / 16.0);
      if (!std::isfinite(x) || std::fabs(x) > v->max_abs_voltage()) __builtin_trap();
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
