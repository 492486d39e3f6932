#include <ionrail/kmc/protocol.hpp>
#include <ionrail/kmc/text_csv.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace ionrail::kmc {
namespace {

template <class T>
[[noreturn]] void fail(const std::string& key, T value, const std::string& range) {
  std::ostringstream os;
  os << "protocol." << key << " = " << value << ": " << range;
  throw std::invalid_argument(os.str());
}

constexpr double max_protocol_s = 1e12;
constexpr int max_pulses = 1000000;
constexpr std::size_t max_waveform_rows = 10000000;

constexpr std::uintmax_t max_waveform_bytes = std::uintmax_t{64} << 20;

// The waveform file's bytes, read by the rules of every input file
// (model_io/input_file.hpp, which kmc cannot use: model_io is not below it):
// a regular file only, checked by name before opening and on the descriptor
// after a non-blocking open (a FIFO or a device would block or never end),
// of at most 64 MiB, checked before reading and while reading (it may grow).
std::string read_waveform_file(const std::string& path) {
  auto refuse = [&](const std::string& why) {
    throw std::invalid_argument(path + ": cannot open waveform (protocol.waveform_csv): " + why);
  };
  auto kind = [](mode_t mode) -> std::string {
    if (S_ISDIR(mode)) return "is a directory";
    if (S_ISFIFO(mode)) return "a FIFO, not a regular file";
    if (S_ISCHR(mode)) return "a character device, not a regular file";
    return "not a regular file";
  };
  auto too_large = [](std::uintmax_t size) {
    return std::to_string(size) + " bytes, more than the limit of 64 MiB";
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) refuse(errno == ENOENT ? "no such file" : std::strerror(errno));
  if (!S_ISREG(st.st_mode)) refuse(kind(st.st_mode));
  if (const auto size = static_cast<std::uintmax_t>(st.st_size); size > max_waveform_bytes) refuse(too_large(size));
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) refuse(errno == ENOENT ? "no such file" : std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_on_exit{fd};
  if (::fstat(fd, &st) != 0) refuse(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) refuse(kind(st.st_mode));
  if (const auto size = static_cast<std::uintmax_t>(st.st_size); size > max_waveform_bytes) refuse(too_large(size));
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      refuse(std::strerror(errno));
    }
    if (got == 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
    if (text.size() > max_waveform_bytes) refuse("grew past the limit of 64 MiB while it was read");
  }
  return text;
}

// A number as the shortest text that reads back to it.
std::string shown(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream os;
  os.precision(17);
  for (int p = 1; p <= 17; ++p) {
    std::ostringstream t;
    t.precision(p);
    t << v;
    if (std::strtod(t.str().c_str(), nullptr) == v || !std::isfinite(v)) return t.str();
  }
  os << v;
  return os.str();
}

std::string window_text(const std::vector<double>& w) {
  std::string s = "[";
  for (std::size_t i = 0; i < w.size(); ++i) s += (i ? ", " : "") + shown(w[i]);
  return s + "]";
}

void positive(const std::string& key, double v) {
  if (!std::isfinite(v) || !(v > 0)) fail(key, v, "must be finite and > 0");
}
void finite(const std::string& key, double v, double limit) {
  if (!std::isfinite(v) || std::fabs(v) > limit) fail(key, v, "must be finite, |value| <= " + std::to_string(static_cast<int>(limit)));
}

// Builds a piecewise-linear V(t) from holds and steps.
class drive_builder {
 public:
  explicit drive_builder(double v0) { times_.push_back(0.0), volts_.push_back(v0); }
  void hold(double duration) { add(now() + duration, volts_.back()); }
  void step_to(double v) { add(now() + protocol_edge_s, v); }
  void ramp_to(double v, double duration) { add(now() + duration, v); }
  double now() const { return times_.back(); }
  std::shared_ptr<piecewise_linear_voltage> build(const std::string& origin) {
    return std::make_shared<piecewise_linear_voltage>(times_, volts_, origin);
  }

 private:
  void add(double t, double v) { times_.push_back(t), volts_.push_back(v); }
  std::vector<double> times_, volts_;
};

}  // namespace

const char* to_string(protocol_kind k) {
  switch (k) {
    case protocol_kind::relax: return "relax";
    case protocol_kind::sweep: return "sweep";
    case protocol_kind::pulses: return "pulses";
    case protocol_kind::waveform: return "waveform";
  }
  return "?";
}

void validate(const protocol_params& p) {
  positive("sample_every_s", p.sample_every_s);
  for (double t : p.profile_times_s)
    if (!std::isfinite(t) || t < 0) fail("profile_times_s", t, "every time must be finite and >= 0");
  const auto& w = p.average_window_s;
  if (w.size() > 2) fail("average_window_s", window_text(w), "must be [] (none), [from] or [from, to]");
  for (double t : w)
    if (!std::isfinite(t) || t < 0) fail("average_window_s", window_text(w), "every time must be finite and >= 0");
  if (w.size() == 2 && !(w[0] < w[1])) fail("average_window_s", window_text(w), "must have from < to");
  // A pulse, gap or relaxation shorter than its edges would run time backwards.
  auto longer_than_edges = [](const std::string& key, double v) {
    if (!(v > 2 * protocol_edge_s)) fail(key, v, "must be > 2e-09 s (the voltage edges take 1e-09 s each)");
  };
  auto total = [](const std::string& key, double value, double duration) {
    if (!(duration <= max_protocol_s))
      fail(key, value, "makes the protocol last " + shown(duration) + " s; at most 1e12 s");
  };
  switch (p.kind) {
    case protocol_kind::relax:
      finite("voltage_v", p.relax.voltage_v, 1000);
      positive("pulse_s", p.relax.pulse_s);
      longer_than_edges("pulse_s", p.relax.pulse_s);
      if (!std::isfinite(p.relax.relax_s) || p.relax.relax_s < 0) fail("relax_s", p.relax.relax_s, "must be finite and >= 0");
      if (p.relax.relax_s > 0) longer_than_edges("relax_s", p.relax.relax_s);
      total("pulse_s", p.relax.pulse_s, p.relax.pulse_s + p.relax.relax_s);
      break;
    case protocol_kind::sweep:
      positive("v_max_v", p.sweep.v_max_v);
      finite("v_max_v", p.sweep.v_max_v, 1000);
      positive("rate_v_per_s", p.sweep.rate_v_per_s);
      if (p.sweep.cycles < 1 || p.sweep.cycles > 100000) fail("cycles", p.sweep.cycles, "must be in [1, 100000]");
      total("rate_v_per_s", p.sweep.rate_v_per_s, 4.0 * p.sweep.cycles * p.sweep.v_max_v / p.sweep.rate_v_per_s);
      if (!(p.sweep.v_max_v / p.sweep.rate_v_per_s > 2 * protocol_edge_s))
        fail("rate_v_per_s", p.sweep.rate_v_per_s, "makes a quarter sweep shorter than 2e-09 s");
      break;
    case protocol_kind::pulses:
      if (p.pulses.n_pot < 0 || p.pulses.n_dep < 0 || p.pulses.n_pot + p.pulses.n_dep < 1)
        fail("n_pot + n_dep", p.pulses.n_pot + p.pulses.n_dep, "counts must be >= 0 with at least one pulse");
      if (p.pulses.n_pot > max_pulses) fail("n_pot", p.pulses.n_pot, "must be <= 1000000");
      if (p.pulses.n_dep > max_pulses) fail("n_dep", p.pulses.n_dep, "must be <= 1000000");
      finite("v_pot_v", p.pulses.v_pot_v, 1000);
      finite("v_dep_v", p.pulses.v_dep_v, 1000);
      finite("read_v", p.pulses.read_v, 1000);
      positive("width_s", p.pulses.width_s);
      positive("gap_s", p.pulses.gap_s);
      longer_than_edges("width_s", p.pulses.width_s);
      longer_than_edges("gap_s", p.pulses.gap_s);
      total("width_s", p.pulses.width_s,
            p.pulses.gap_s + (p.pulses.n_pot + p.pulses.n_dep) * (p.pulses.width_s + p.pulses.gap_s));
      break;
    case protocol_kind::waveform:
      if (p.waveform_csv.empty()) fail("waveform_csv", "\"\"", "must name a CSV file of time_s, volts");
      break;
  }
}

std::shared_ptr<piecewise_linear_voltage> read_waveform_csv(const std::string& path) {
  std::string bytes = read_waveform_file(path);
  check_text_csv(path, bytes);
  std::istringstream in(bytes);
  std::vector<double> times, volts;
  std::string line;
  long long number = 0;
  bool header_seen = false;  // one header, before the first row, after any comment lines
  auto at = [&](long long line_number) { return path + ":" + std::to_string(line_number) + ": "; };
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto comma = line.find(',');
    // A decimal number, nothing else on its side of the comma (strtod alone
    // would also take hex floats and stop at trailing junk).
    auto parse = [](const std::string& text, double& out) {
      const auto b = text.find_first_not_of(" \t");
      if (b == std::string::npos) return false;
      const auto e = text.find_last_not_of(" \t");
      const std::string t = text.substr(b, e - b + 1);
      if (t.find_first_not_of("0123456789+-.eE") != std::string::npos && t.find_first_of("nNiI") == std::string::npos)
        return false;
      return parse_csv_number(t, out);
    };
    double t = 0, v = 0;
    if (comma == std::string::npos || line.find(',', comma + 1) != std::string::npos || !parse(line.substr(0, comma), t) ||
        !parse(line.substr(comma + 1), v)) {
      std::string shown_line = line.size() > 80 ? line.substr(0, 80) + "..." : line;
      if (times.empty() && !header_seen) {
        header_seen = true;
        // A header line: the columns are read by position, so one naming
        // them in another order ("volts,time_s") would read V as t silently.
        auto starts = [](std::string name, char letter) {
          const auto b = name.find_first_not_of(" \t\"");
          return b != std::string::npos && std::tolower(static_cast<unsigned char>(name[b])) == letter;
        };
        if (comma != std::string::npos && line.find(',', comma + 1) == std::string::npos &&
            starts(line.substr(0, comma), 't') && starts(line.substr(comma + 1), 'v'))
          continue;
        throw std::invalid_argument(at(number) + "expected a header naming time then volts ('time_s,volts') or "
                                                 "'time_s,volts' numbers, got '" + shown_line + "'");
      }
      throw std::invalid_argument(at(number) + "expected 'time_s,volts' numbers, got '" + shown_line + "'");
    }
    if (!std::isfinite(t) || t < 0) throw std::invalid_argument(at(number) + "time_s = " + shown(t) + ": must be finite and >= 0");
    if (!std::isfinite(v) || std::fabs(v) > 1000)
      throw std::invalid_argument(at(number) + "volts = " + shown(v) + ": must be finite, |V| <= 1000");
    if (times.empty() && t != 0.0)
      throw std::invalid_argument(at(number) + "time_s = " + shown(t) + ": the first time_s must be 0");
    if (!times.empty() && !(t > times.back()))
      throw std::invalid_argument(at(number) + "time_s = " + shown(t) + " does not increase (previous " +
                                  shown(times.back()) + "): times must be strictly increasing");
    if (t > max_protocol_s) throw std::invalid_argument(at(number) + "time_s = " + shown(t) + ": at most 1e12 s");
    if (times.size() >= max_waveform_rows)
      throw std::invalid_argument(at(number) + "more than 10000000 rows");
    times.push_back(t);
    volts.push_back(v);
  }
  if (times.size() < 2)
    throw std::invalid_argument(path + ": " + std::to_string(times.size()) +
                                " (time_s, volts) rows: a waveform needs at least two");
  return std::make_shared<piecewise_linear_voltage>(times, volts, path);
}

protocol_drive make_drive(const protocol_params& p) {
  validate(p);
  protocol_drive d;
  switch (p.kind) {
    case protocol_kind::relax: {
      drive_builder b(p.relax.voltage_v);
      b.hold(p.relax.pulse_s);
      d.drive_end_s = b.now();
      if (p.relax.relax_s > 0) {
        b.step_to(0.0);
        b.hold(p.relax.relax_s - protocol_edge_s);
      }
      d.voltage = b.build("relax protocol");
      break;
    }
    case protocol_kind::sweep: {
      drive_builder b(0.0);
      const double quarter = p.sweep.v_max_v / p.sweep.rate_v_per_s;
      for (int c = 0; c < p.sweep.cycles; ++c) {
        b.ramp_to(p.sweep.v_max_v, quarter);
        b.ramp_to(0.0, quarter);
        b.ramp_to(-p.sweep.v_max_v, quarter);
        b.ramp_to(0.0, quarter);
      }
      d.voltage = b.build("sweep protocol");
      d.drive_end_s = b.now();
      break;
    }
    case protocol_kind::pulses: {
      const auto& q = p.pulses;
      drive_builder b(q.read_v);
      b.hold(q.gap_s);
      auto train = [&](int count, double v) {
        for (int k = 0; k < count; ++k) {
          b.step_to(v);
          b.hold(q.width_s - protocol_edge_s);
          b.step_to(q.read_v);
          b.hold(q.gap_s - protocol_edge_s);
        }
      };
      train(q.n_pot, q.v_pot_v);
      train(q.n_dep, q.v_dep_v);
      d.voltage = b.build("pulses protocol");
      d.drive_end_s = b.now();
      break;
    }
    case protocol_kind::waveform:
      d.voltage = read_waveform_csv(p.waveform_csv);
      d.drive_end_s = d.voltage->end_time_s();
      break;
  }
  d.duration_s = d.voltage->end_time_s();
  return d;
}

average_window average_window_of(const protocol_params& p, double duration_s) {
  average_window w;
  if (p.average_window_s.empty()) return w;
  w.enabled = true;
  w.from_s = p.average_window_s[0];
  w.to_s = p.average_window_s.size() > 1 ? p.average_window_s[1] : duration_s;
  return w;
}

std::vector<double> sample_grid(const protocol_params& p, double duration_s) {
  std::vector<double> times;
  for (std::int64_t k = 0; static_cast<double>(k) * p.sample_every_s <= duration_s * (1 + 1e-12); ++k)
    times.push_back(static_cast<double>(k) * p.sample_every_s);
  return times;
}

bool in_window(const average_window& w, double t) {
  if (!w.enabled) return false;
  const double tol = 1e-12 * std::max(1.0, std::fabs(w.to_s));
  return t >= w.from_s - tol && t <= w.to_s + tol;
}

void validate_average_window(const protocol_params& p, double duration_s) {
  const average_window w = average_window_of(p, duration_s);
  if (!w.enabled) return;
  const std::string value = window_text(p.average_window_s);
  if (p.average_window_s.size() == 1 && !(w.from_s < duration_s))
    fail("average_window_s", value, "from must be before the end of the protocol, " + shown(duration_s) + " s");
  if (!(w.to_s <= duration_s * (1 + 1e-12)))
    fail("average_window_s", value, "to must be at most the protocol's duration, " + shown(duration_s) + " s");
  // At least two of the regular sample times inside (counted from the first
  // grid time near `from`, not from 0: the grid may hold 1e8 times).
  const double dt = p.sample_every_s;
  std::int64_t k = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(w.from_s / dt)) - 1);
  int inside = 0;
  for (; inside < 2 && static_cast<double>(k) * dt <= duration_s * (1 + 1e-12); ++k) {
    const double t = static_cast<double>(k) * dt;
    if (in_window(w, t)) ++inside;
    else if (t > w.to_s) break;
  }
  if (inside < 2)
    fail("average_window_s", value,
         "holds " + std::to_string(inside) + " of the sample times k x protocol.sample_every_s = k x " + shown(dt) +
             " s; it needs at least 2: widen the window or sample more often");
}

}  // namespace ionrail::kmc
