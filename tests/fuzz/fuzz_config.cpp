// libFuzzer target: the TOML run configuration (config::load_run_config on a
// file), then what the runner does with a loaded one before running it (the
// drive, the sample count, the memory estimate). Anything but a loaded
// configuration or config_error / invalid_argument (a refusal) is a bug.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include <ionrail/config/run_config.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/protocol.hpp>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ionrail;
  // Files a configuration may name (relative to the run file).
  static const bool files = [] {
    const std::string wave = "time_s,volts\n0,0\n1,2\n2,-2\n3,0\n", energies = "# eps\n0.1\n0.2, 0.3\n-0.1\n";
    fuzz::put("wave.csv", wave.data(), wave.size());
    fuzz::put("e.csv", energies.data(), energies.size());
    const std::string material = "[device]\nsites = 4\nrails = 10\n[[species]]\nfill = 0.5\n";
    fuzz::put("m.toml", material.data(), material.size());
    return true;
  }();
  (void)files;
  const std::string file = fuzz::put("run.toml", reinterpret_cast<const char*>(data), size);
  try {
    const config::run_config c = config::load_run_config(file);
    const kmc::protocol_drive drive = kmc::make_drive(c.protocol);
    volatile double rows = drive.duration_s / c.protocol.sample_every_s;
    volatile double bytes = kmc::engine_memory_bytes(c.device, c.sim);
    (void)rows, (void)bytes;
    (void)config::resolved_parameters_json(c);
  } catch (const ionrail::input_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
