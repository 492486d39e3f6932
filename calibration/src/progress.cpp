#include <ionrail/calibration/progress.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace ionrail::calibration {

progress_reporter::progress_reporter(double total, bool quiet)
    : total_(total > 0 ? total : 1.0),
      quiet_(quiet),
      // The descriptor, not fileno(stderr): the CLI's stderr is a best-effort
      // stream of its own (runs/console.hpp), which has no descriptor.
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void progress_reporter::begin_part(const std::string& label) {
  done_before_part_ += last_part_end_;
  last_part_end_ = 0;
  part_ = 0;
  label_ = label;
  draw(true);
}

void progress_reporter::advance_to(double part_done) {
  part_ = part_done;
  last_part_end_ = part_done;
  draw(false);
}

void progress_reporter::draw(bool force) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const double fraction = std::clamp((done_before_part_ + part_) / total_, 0.0, 1.0);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (tty_) {
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    const std::string eta = fraction > 0.01 ? fmt::format("ETA {:.0f} s", elapsed / fraction - elapsed) : "ETA --";
    fmt::print(stderr, "\r[{}{}] {:3.0f}% {}  {:<40.40}", std::string(filled, '#'), std::string(width - filled, '.'),
               100 * fraction, eta, label_);
    std::fflush(stderr);
  } else {
    const int decile = static_cast<int>(fraction * 10);
    if (decile == last_decile_ && !force) return;
    last_decile_ = decile;
    fmt::print(stderr, "ionrail: {:3.0f}% after {:.1f} s ({})\n", 100 * fraction, elapsed, label_);
  }
}

void progress_reporter::finish(const std::string& what) {
  if (quiet_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_) fmt::print(stderr, "\r{:<90}\r", "");
  fmt::print(stderr, "ionrail: {} in {:.1f} s\n", what, elapsed);
}

}  // namespace ionrail::calibration
