#pragma once
// A training asked to stop part-way: the command that runs it catches
// SIGINT/SIGTERM into a flag (calibration::run_control), the trainers poll it
// between samples and throw training_stopped, and the command leaves nothing
// behind (its staged output directory is removed). A training cannot be
// resumed: it is short next to a KMC run, and its state is the whole array.
#include <atomic>
#include <stdexcept>

namespace ionrail::circuits {

class training_stopped : public std::runtime_error {
 public:
  training_stopped() : std::runtime_error("training stopped part-way") {}
};

struct training_stop {
  const std::atomic<bool>* flag = nullptr;  // none: never stops

  void check() const {
    if (flag && flag->load(std::memory_order_relaxed)) throw training_stopped();
  }
};

}  // namespace ionrail::circuits
