#pragma once
// SIGINT/SIGTERM during `ionrail crossbar` and `ionrail snn`: from the moment
// the output is staged until it is committed, a signal is caught into a flag
// that the trainers poll between samples (circuits::training_stop). The
// command then ends with calibration::interrupted (exit 130 / 143, not
// resumable) and its staged directory and lock are removed on the way out,
// so an interrupted training leaves nothing behind. A second signal ends the
// process at once.
#include <string>
#include <utility>

#include <fmt/format.h>

#include <ionrail/calibration/run_control.hpp>
#include <ionrail/circuits/training_stop.hpp>

namespace ionrail::app {

class training_signals {
 public:
  explicit training_signals(std::string command) : command_(std::move(command)), control_(0.0, 1) {}

  circuits::training_stop stop() const { return {control_.flag()}; }

  // calibration::interrupted if a signal came (before the commit: the files
  // written after training are not kept either).
  void check() const {
    if (control_.interrupted())
      throw calibration::interrupted(control_.signal(),
                                     fmt::format("{}: interrupted by {}; nothing was written", command_,
                                                 calibration::signal_name(control_.signal())),
                                     false);
  }

  // train(stop()), with a stop turned into calibration::interrupted.
  template <class Train>
  auto run(Train&& train) {
    try {
      return std::forward<Train>(train)(stop());
    } catch (const circuits::training_stopped&) {
      check();
      throw;
    }
  }

 private:
  std::string command_;
  calibration::run_control control_;
};

}  // namespace ionrail::app
