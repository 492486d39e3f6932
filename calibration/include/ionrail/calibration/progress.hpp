#pragma once
// Progress of a long run on stderr: a bar with ETA on a terminal, a plain
// line every 10 % otherwise, nothing with --quiet.
#include <chrono>
#include <string>

namespace ionrail::calibration {

class progress_reporter {
 public:
  // `total`: in whatever unit the parts advance in (simulated seconds,
  // estimated hop attempts, digits).
  progress_reporter(double total, bool quiet);
  void begin_part(const std::string& label);
  void advance_to(double part_done);  // within the current part, in the unit of `total`
  // "ionrail: WHAT in N s" (a command with several stages names each).
  void finish(const std::string& what = "done");

 private:
  void draw(bool force);
  double total_;
  double done_before_part_ = 0;
  double part_ = 0;
  double last_part_end_ = 0;
  bool quiet_;
  bool tty_;
  int last_decile_ = -1;
  std::string label_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ionrail::calibration
