// Runs a small relaxation through the installed engine and checks it moved ions.
#include <cstdio>
#include <memory>

#include <ionrail/kmc/engine.hpp>
#include <ionrail/kmc/protocol.hpp>

int main() {
  ionrail::kmc::device_params device;
  device.rails = 64;
  ionrail::kmc::protocol_params protocol;
  protocol.relax = {5.0, 1.0, 1.0};
  const auto drive = ionrail::kmc::make_drive(protocol);
  ionrail::kmc::engine engine(device, ionrail::kmc::sim_params{}, drive.voltage);
  const double before = engine.take_sample().f_right;
  engine.advance_to(drive.drive_end_s);
  const double after = engine.take_sample().f_right;
  std::printf("downstream: f_right %.4f -> %.4f (%s)\n", before, after, ionrail::kmc::engine_version());
  return after > before ? 0 : 1;
}
