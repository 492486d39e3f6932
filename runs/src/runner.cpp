#include <ionrail/runs/runner.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include <ionrail/calibration/run_control.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/calibration/progress.hpp>
#include <ionrail/runs/staged_dir.hpp>
#include <ionrail/runs/signal_cleanup.hpp>
#include <ionrail/kmc/protocol.hpp>
#include <ionrail/kmc/site_average.hpp>
#include <ionrail/kmc/state_io.hpp>

#include "build_info.hpp"
#include <ionrail/runs/output.hpp>
#include <ionrail/runs/plot_text.hpp>
#include <ionrail/runs/output_lock.hpp>

#if IONRAIL_CUDA_BUILT
#include <ionrail/gpu/cuda_backend.hpp>
#endif

namespace fs = std::filesystem;

namespace ionrail::runs {

// The libraries this command layer calls.
using namespace ionrail::calibration;
using namespace ionrail::config;
using namespace ionrail::model_io;
namespace {

std::vector<double> default_profile_times(const kmc::protocol_params& p, const kmc::protocol_drive& d) {
  if (p.kind == kmc::protocol_kind::relax) {
    const double r = p.relax.relax_s;
    return {0.0, d.drive_end_s, d.drive_end_s + 0.1 * r, d.drive_end_s + 0.3 * r, d.duration_s};
  }
  return {0.0, 0.25 * d.duration_s, 0.5 * d.duration_s, 0.75 * d.duration_s, d.duration_s};
}

// Reads in the gap after each pulse (and before the first), at 90 % of the gap.
std::vector<double> pulse_read_times(const kmc::pulses_protocol& q) {
  std::vector<double> t{0.9 * q.gap_s};
  const int pulses = q.n_pot + q.n_dep;
  for (int k = 0; k < pulses; ++k) t.push_back(q.gap_s + k * (q.width_s + q.gap_s) + q.width_s + 0.9 * q.gap_s);
  return t;
}

std::string trace_text(const std::vector<kmc::sample>& trace, int zones) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "t_s,v,f_left,f_right,state,g_s,i_a,i_ion_a,energy_j");
  for (int z = 0; z < zones; ++z) fmt::format_to(std::back_inserter(out), ",zone_{}", z);
  fmt::format_to(std::back_inserter(out), "\n");
  for (const auto& s : trace) {
    fmt::format_to(std::back_inserter(out), "{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g}", s.t_s, s.v,
                   s.f_left, s.f_right, s.state, s.g_s, s.i_a, s.i_ion_a, s.energy_j);
    for (double z : s.zones) fmt::format_to(std::back_inserter(out), ",{:.9g}", z);
    fmt::format_to(std::back_inserter(out), "\n");
  }
  return fmt::to_string(out);
}

// Site occupancy (mean ions per site over the rails) at the snapshot times:
// one row per site, one column per time.
struct snapshot {
  double t_s;
  std::vector<double> occupancy;
};

std::string profile_text(const std::vector<snapshot>& snaps, const kmc::device_params& d) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "site,x_nm");
  for (const auto& s : snaps) fmt::format_to(std::back_inserter(out), ",t_{:.4g}s", s.t_s);
  fmt::format_to(std::back_inserter(out), "\n");
  for (int i = 0; i < d.sites; ++i) {
    fmt::format_to(std::back_inserter(out), "{},{:.6g}", i, (i + 0.5) * d.thickness_nm / d.sites);
    for (const auto& s : snaps) fmt::format_to(std::back_inserter(out), ",{:.6g}", s.occupancy[i]);
    fmt::format_to(std::back_inserter(out), "\n");
  }
  return fmt::to_string(out);
}

// The time-averaged occupancy per site over the window: mean over rails and
// its standard error across rails.
std::string profile_average_text(const kmc::site_profile& p, const kmc::device_params& d) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "site,x_nm,occupancy,occupancy_se\n");
  for (int i = 0; i < d.sites; ++i)
    fmt::format_to(std::back_inserter(out), "{},{:.6g},{:.9g},{:.9g}\n", i, (i + 0.5) * d.thickness_nm / d.sites,
                   p.occupancy[i], p.standard_error[i]);
  return fmt::to_string(out);
}

// backend "cuda" runs on the GPU or fails; "auto" uses the GPU when this build
// has the CUDA backend and a device is present, else the CPU.
bool use_cuda(const run_config& cfg) {
#if IONRAIL_CUDA_BUILT
  if (cfg.backend == "cuda" && !gpu::cuda_available())
    throw config_error("sim.backend = \"cuda\": no CUDA device is available (" + gpu::device_description() +
                       "); use \"cpu\" or \"auto\"");
  return cfg.backend == "cuda" || (cfg.backend == "auto" && cfg.sim.solver == kmc::method::sync && gpu::cuda_available());
#else
  (void)cfg;
  return false;
#endif
}

std::unique_ptr<kmc::engine> make_engine(const run_config& cfg, std::shared_ptr<const kmc::voltage_source> v) {
  const kmc::solver_factory backend = engine_backend(cfg);
  if (backend) return std::make_unique<kmc::engine>(cfg.device, cfg.sim, std::move(v), backend);
  return std::make_unique<kmc::engine>(cfg.device, cfg.sim, std::move(v));
}

// The times a variant samples at: every sample_every_s, the profile
// snapshots, the pulse reads, the end of the drive and the end; of them, the
// regular ones inside the averaging window feed the averaged profile.
struct variant_times {
  kmc::protocol_drive drive;
  std::vector<double> times, profile_times, read_times;
  kmc::average_window window;
  std::vector<char> averaged;          // per entry of times: a sample of the averaged profile
  std::uint64_t average_samples = 0;   // how many
  kmc::work_profile work;  // what the progress bar counts: estimated attempts, not simulated seconds
};

variant_times times_of(const run_config& cfg) {
  variant_times vt;
  vt.drive = kmc::make_drive(cfg.protocol);
  const auto& drive = vt.drive;
  std::vector<double>& times = vt.times;
  times = kmc::sample_grid(cfg.protocol, drive.duration_s);
  vt.window = kmc::average_window_of(cfg.protocol, drive.duration_s);
  std::vector<double> window_times;
  for (double t : times)
    if (kmc::in_window(vt.window, t)) window_times.push_back(t);
  vt.profile_times =
      cfg.protocol.profile_times_s.empty() ? default_profile_times(cfg.protocol, drive) : cfg.protocol.profile_times_s;
  for (double& t : vt.profile_times) t = std::min(t, drive.duration_s);
  if (cfg.protocol.kind == kmc::protocol_kind::pulses) vt.read_times = pulse_read_times(cfg.protocol.pulses);
  times.insert(times.end(), vt.profile_times.begin(), vt.profile_times.end());
  times.insert(times.end(), vt.read_times.begin(), vt.read_times.end());
  times.push_back(drive.drive_end_s);
  times.push_back(drive.duration_s);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end(), [](double a, double b) { return std::fabs(a - b) < 1e-12; }),
              times.end());
  std::sort(vt.profile_times.begin(), vt.profile_times.end());
  // Flag the window's grid times (a time within 1e-12 s of another was merged into it).
  vt.averaged.assign(times.size(), 0);
  std::size_t k = 0;
  for (double wt : window_times) {
    while (k < times.size() && times[k] < wt - 1e-12) ++k;
    if (k < times.size() && std::fabs(times[k] - wt) < 1e-12 && !vt.averaged[k]) {
      vt.averaged[k] = 1;
      ++vt.average_samples;
    }
  }
  vt.work = kmc::estimate_work_profile(cfg.device, cfg.sim, *drive.voltage);
  return vt;
}

// A variant as a checkpoint keeps it: part-way run (samples so far and the
// engine's state), or finished (everything its outputs are made from).
struct variant_state {
  bool finished = false;
  std::uint64_t next_time = 0;         // index of the next sample time
  std::vector<kmc::sample> trace;
  std::vector<snapshot> snapshots;
  std::vector<double> read_g_s;
  kmc::site_average average;           // the averaged profile's sums (empty without a window)
  double wall_s = 0;                   // wall-clock time spent on it so far
  std::string engine_state;            // running: the engine at the checkpoint
  double s_eq = 0;                     // finished: the readout state at uniform filling
  kmc::run_info info;
  kmc::transport_estimate transport;
};

void put_sample(kmc::state_writer& w, const kmc::sample& s) {
  for (double x : {s.t_s, s.v, s.f_left, s.f_right, s.state, s.g_s, s.i_a, s.i_ion_a, s.energy_j}) w.put(x);
  w.put_vector(s.zones);
}

kmc::sample get_sample(kmc::state_reader& r, std::size_t zones) {
  kmc::sample s;
  for (double* x : {&s.t_s, &s.v, &s.f_left, &s.f_right, &s.state, &s.g_s, &s.i_a, &s.i_ion_a, &s.energy_j})
    *x = r.get<double>();
  r.get_vector(s.zones, zones, "trace zones");
  return s;
}

void put_variant(kmc::state_writer& w, const variant_state& v) {
  w.put_tag("variant");
  w.put_bool(v.finished);
  w.put(v.next_time);
  w.put<std::uint64_t>(v.trace.size());
  for (const auto& s : v.trace) put_sample(w, s);
  w.put<std::uint64_t>(v.snapshots.size());
  for (const auto& s : v.snapshots) {
    w.put(s.t_s);
    w.put_vector(s.occupancy);
  }
  w.put_vector(v.read_g_s);
  w.put_bool(!v.average.empty());
  if (!v.average.empty()) v.average.save(w);
  w.put(v.wall_s);
  w.put_string(v.engine_state);
  w.put(v.s_eq);
  const auto& i = v.info;
  w.put<std::int32_t>(static_cast<std::int32_t>(i.solver));
  w.put_string(i.backend);
  w.put_string(i.device);
  w.put(i.seed);
  for (double x : {i.dt_s, i.dt_min_s, i.dt_max_s, i.attempts, i.max_hop_probability}) w.put(x);
  w.put_bool(i.dt_automatic);
  w.put<std::int32_t>(i.threads);
  w.put(i.steps);
  w.put(i.events);
  w.put(v.transport);
}

variant_state get_variant(kmc::state_reader& r, const run_config& cfg, const variant_times& vt) {
  variant_state v;
  r.expect_tag("variant");
  v.finished = r.get_bool();
  v.next_time = r.get<std::uint64_t>();
  const auto zones = static_cast<std::size_t>(cfg.device.zones);
  const std::uint64_t rows = r.get<std::uint64_t>();
  if (rows > vt.times.size() || v.next_time != rows || (v.finished && rows != vt.times.size()))
    r.fail(fmt::format("{} trace rows at sample {} of {}: not this run's sample times", rows, v.next_time, vt.times.size()));
  for (std::uint64_t k = 0; k < rows; ++k) v.trace.push_back(get_sample(r, zones));
  const std::uint64_t snaps = r.get<std::uint64_t>();
  if (snaps > vt.profile_times.size()) r.fail("more profile snapshots than this run takes");
  for (std::uint64_t k = 0; k < snaps; ++k) {
    snapshot s;
    s.t_s = r.get<double>();
    r.get_vector(s.occupancy, static_cast<std::size_t>(cfg.device.sites), "profile snapshot");
    v.snapshots.push_back(std::move(s));
  }
  r.get_vector_up_to(v.read_g_s, vt.read_times.size(), "pulse reads");
  if (r.get_bool() != vt.window.enabled) r.fail("the time-averaged profile does not match this run's window");
  if (vt.window.enabled) {
    v.average.load(r, cfg.device.rails, cfg.device.sites);
    std::uint64_t expected = 0;
    for (std::uint64_t k = 0; k < v.next_time; ++k) expected += vt.averaged[k] ? 1 : 0;
    if (v.average.samples() != expected)
      r.fail(fmt::format("a time-averaged profile of {} samples at sample {}; this run's window has {} there",
                         v.average.samples(), v.next_time, expected));
  }
  v.wall_s = r.get<double>();
  v.engine_state = r.get_string(std::size_t{1} << 42);
  if (!v.finished && v.engine_state.empty() && rows > 0) r.fail("a running variant without its engine state");
  v.s_eq = r.get<double>();
  auto& i = v.info;
  const auto solver = r.get<std::int32_t>();
  if (solver != 0 && solver != 1) r.fail("unknown method");
  i.solver = static_cast<kmc::method>(solver);
  const std::string backend = r.get_string(16);
  i.backend = backend == "cuda" ? "cuda" : "cpu";
  i.device = r.get_string(1024);
  i.seed = r.get<std::uint64_t>();
  for (double* x : {&i.dt_s, &i.dt_min_s, &i.dt_max_s, &i.attempts, &i.max_hop_probability}) *x = r.get<double>();
  i.dt_automatic = r.get_bool();
  i.threads = r.get<std::int32_t>();
  i.steps = r.get<std::uint64_t>();
  i.events = r.get<std::uint64_t>();
  v.transport = r.get<kmc::transport_estimate>();
  return v;
}

// Runs (or continues) one variant. With a controller, a raised flag stops
// the engine between steps: `save` writes the checkpoint (the engine's state
// is in `st` meanwhile), then a signal ends the run with `interrupted`, a
// timer's request lets it go on.
void run_variant(const run_config& cfg, const variant_times& vt, variant_state& st, run_control* ctl,
                 const std::function<void()>& save, const std::string& where, progress_reporter& progress) {
  const auto start = std::chrono::steady_clock::now();
  const double wall_before = st.wall_s;
  auto wall_now = [&] { return wall_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const std::unique_ptr<kmc::engine> engine = make_engine(cfg, vt.drive.voltage);
  kmc::engine& e = *engine;
  if (!st.engine_state.empty()) {
    // A checkpoint that passes its checksum but not the engine's own checks
    // (positions out of order, counts that disagree) is bad input as any
    // other damaged checkpoint: exit 2, the checkpoint kept.
    try {
      e.load_state(st.engine_state, where);
    } catch (const kmc::state_error& x) {
      throw input_error(std::string(x.what()) + " (the checkpoint does not fit this run)");
    }
    st.engine_state.clear();
    st.engine_state.shrink_to_fit();
  }
  if (ctl) e.set_stop_flag(ctl->flag());
  st.s_eq = e.model().readout().s_eq;
  if (vt.window.enabled && st.average.empty()) st.average = kmc::site_average(cfg.device.rails, cfg.device.sites);
  for (; st.next_time < vt.times.size(); ++st.next_time) {
    const double t = vt.times[st.next_time];
    for (;;) {
      try {
        e.advance_to(t);
      } catch (const kmc::work_limit_exceeded& x) {
        throw input_error(fmt::format("{}: {}", cfg.title, x.what()));
      }
      if (!ctl || !ctl->pause_requested()) break;
      const int sig = ctl->signal();
      if (e.can_save_state()) {
        st.wall_s = wall_now();
        st.engine_state = e.save_state();
        save();
        st.engine_state.clear();
        st.engine_state.shrink_to_fit();
      }
      if (sig != 0)
        throw interrupted(sig, fmt::format("interrupted by {} at t = {:.6g} s of {:.6g} s ({}); {}", signal_name(sig),
                                           e.time_s(), vt.drive.duration_s, cfg.title,
                                           e.can_save_state() ? "checkpoint saved"
                                                              : "the " + std::string(e.info().backend) +
                                                                    " backend cannot save its state: nothing saved for this run"));
      ctl->resume();
    }
    st.trace.push_back(e.take_sample());
    if (vt.averaged[st.next_time]) st.average.add(e.model());
    while (st.snapshots.size() < vt.profile_times.size() && vt.profile_times[st.snapshots.size()] <= t + 1e-12)
      st.snapshots.push_back({st.trace.back().t_s, e.model().site_occupancy()});
    while (st.read_g_s.size() < vt.read_times.size() && vt.read_times[st.read_g_s.size()] <= t + 1e-12)
      st.read_g_s.push_back(st.trace.back().g_s);
    progress.advance_to(vt.work.at(t));
  }
  st.wall_s = wall_now();
  st.info = e.info();
  st.transport = e.transport();
  st.finished = true;
}

// The outputs of a finished variant, and its result.
variant_result finish_variant(const run_config& cfg, const variant_times& vt, variant_state&& st, const fs::path& dir) {
  variant_result v;
  v.config = cfg;
  v.drive_end_s = vt.drive.drive_end_s;
  v.temperature_k = cfg.device.temperature_k;
  v.read_times_s = vt.read_times;
  v.read_g_s = std::move(st.read_g_s);
  v.s_eq = st.s_eq;
  v.info = st.info;
  v.transport = st.transport;
  v.wall_s = st.wall_s;
  v.snapshots = static_cast<int>(st.snapshots.size());
  for (const auto& snap : st.snapshots) v.snapshot_times_s.push_back(snap.t_s);
  v.average_window = vt.window;
  v.average_samples = st.average.samples();
  v.trace = std::move(st.trace);
  v.loop = iv_loop(v.trace);
  v.relax = relaxation(v.trace, vt.drive.drive_end_s, v.s_eq);
  fs::create_directories(dir);
  write_file_atomic(dir / "trace.csv", trace_text(v.trace, cfg.device.zones));
  write_file_atomic(dir / "profile.csv", profile_text(st.snapshots, cfg.device));
  if (vt.window.enabled) write_file_atomic(dir / "profile_average.csv", profile_average_text(st.average.result(), cfg.device));
  if (!v.read_times_s.empty()) {
    std::string reads = "pulse,t_s,g_s\n";
    for (std::size_t k = 0; k < v.read_g_s.size(); ++k) reads += fmt::format("{},{:.9g},{:.9g}\n", k, v.read_times_s[k], v.read_g_s[k]);
    write_file_atomic(dir / "reads.csv", reads);
  }
  return v;
}

json_doc variant_json(const variant_result& v, const std::string& series_key) {
  const auto& i = v.info;
  const auto& t = v.transport;
  json_doc s;
  s["label"] = v.label;
  s["dir"] = v.subdir.empty() ? "." : v.subdir;
  if (!series_key.empty()) s["series_value"] = json_number(v.series_value);
  s["temperature_k"] = json_number(v.temperature_k);
  s["seed"] = i.seed;
  s["method"] = kmc::to_string(i.solver);
  s["backend"] = i.backend;
  s["device"] = i.device;
  s["dt_s"] = json_number(i.dt_s);
  s["dt_min_s"] = json_number(i.dt_min_s);
  s["dt_max_s"] = json_number(i.dt_max_s);
  s["dt_automatic"] = i.dt_automatic;
  s["threads"] = i.threads;
  s["steps"] = i.steps;
  s["events"] = i.events;
  s["attempts"] = json_number(i.attempts);
  s["max_hop_probability"] = json_number(i.max_hop_probability);
  s["wall_s"] = json_number(v.wall_s);
  s["attempts_per_s"] = json_number(v.wall_s > 0 ? i.attempts / v.wall_s : 0.0);
  s["events_per_s"] = json_number(v.wall_s > 0 ? static_cast<double>(i.events) / v.wall_s : 0.0);
  // Past wall_free_confinement the coefficients would be the rail's length
  // over t, flat in temperature: null, with the reason, never a number.
  const double confinement = kmc::transport_confinement(t, v.config.device);
  const bool wall_free = confinement <= kmc::wall_free_confinement;
  const auto coefficient = [&](double x) { return wall_free ? json_number(x) : json_doc(); };
  s["transport"] = {{"elapsed_s", json_number(t.elapsed_s)},
                    {"confinement", json_number(confinement, 4)},
                    {"d_tracer_m2_s", coefficient(t.d_tracer_m2_s)},
                    {"d_jump_m2_s", coefficient(t.d_jump_m2_s)},
                    {"haven_ratio", coefficient(t.haven_ratio)},
                    {"conductivity_s_m", coefficient(t.conductivity_s_m)},
                    {"drift_velocity_m_s", coefficient(t.drift_velocity_m_s)}};
  if (!wall_free)
    s["transport"]["note"] = fmt::format(
        "the ions moved {:.3g} of the rail's length (rms) since the start, beyond {}: the closed rail's walls, not "
        "diffusion, set the displacements, so the coefficients are null; a run this long measures no diffusion "
        "coefficient (docs/physics.md, Transport)",
        confinement, kmc::wall_free_confinement);
  s["energy_j"] = json_number(v.trace.back().energy_j);
  if (v.average_window.enabled)
    s["profile_average"] = {{"file", "profile_average.csv"},
                            {"from_s", json_number(v.average_window.from_s)},
                            {"to_s", json_number(v.average_window.to_s)},
                            {"samples", v.average_samples},
                            {"rails", v.config.device.rails},
                            {"times", "the sample times k x protocol.sample_every_s in [from_s, to_s]"}};
  const auto kind = v.config.protocol.kind;
  if (kind == kmc::protocol_kind::relax)
    s["relaxation"] = {{"state_uniform", json_number(v.s_eq)},
                       {"excess_at_release", json_number(v.relax.excess_at_start)},
                       {"tau_s", json_number(v.relax.tau_s)},
                       {"retained_after_10s", json_number(v.relax.retained_after_10s)},
                       {"final_excess", json_number(v.relax.final_excess)},
                       {"fit_points", v.relax.points}};
  if (kind == kmc::protocol_kind::sweep || kind == kmc::protocol_kind::waveform)
    s["iv_loop"] = {{"lobe_area_positive_av", json_number(v.loop.lobe_area_positive)},
                    {"lobe_area_negative_av", json_number(v.loop.lobe_area_negative)},
                    {"max_abs_current_a", json_number(v.loop.max_abs_current_a)},
                    {"max_abs_current_at_zero_v_a", json_number(v.loop.max_abs_current_at_zero_v_a)}};
  if (!v.read_g_s.empty()) {
    const auto [lo, hi] = std::minmax_element(v.read_g_s.begin(), v.read_g_s.end());
    s["pulses"] = {{"g_initial_s", json_number(v.read_g_s.front())},
                   {"g_min_s", json_number(*lo)},
                   {"g_max_s", json_number(*hi)},
                   {"window", json_number(*lo > 0 ? *hi / *lo : 0.0)}};
  }
  return s;
}

void write_plot_script(const fs::path& dir, const experiment_result& r);

}  // namespace

std::string git_hash() { return IONRAIL_GIT_HASH; }

kmc::solver_factory engine_backend(const run_config& cfg) {
#if IONRAIL_CUDA_BUILT
  if (use_cuda(cfg)) return gpu::cuda_sync_backend();
#else
  (void)use_cuda(cfg);
#endif
  return {};
}

namespace {

// The waveform file's bytes, for a fingerprint.
std::string waveform_bytes(const run_config& cfg) {
  return read_input_file(cfg.protocol.waveform_csv, max_input_bytes, "waveform (protocol.waveform_csv)");
}

// What a checkpoint must match: every variant's resolved parameters and the
// contents of a waveform file (a changed file would give other results).
std::string fingerprint_of(const std::vector<std::pair<std::string, run_config>>& plans) {
  std::string f = std::string(kmc::engine_version()) + "\n";
  for (const auto& [label, cfg] : plans) {
    f += label + "\n" + resolved_parameters_json(cfg) + "\n";
    // By the rules of every input file: the name may have become a FIFO
    // since the configuration checked it, and must not hang the run here.
    if (cfg.protocol.kind == kmc::protocol_kind::waveform)
      f += fmt::format("waveform {:016x}\n", fnv1a64(waveform_bytes(cfg)));
  }
  return f;
}

std::string one_line_text(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// The first place two fingerprints differ, for the refusal message.
std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t k = 0;
  while (k < a.size() && k < b.size() && a[k] == b[k]) ++k;
  const std::size_t from = k > 40 ? k - 40 : 0;
  auto around = [&](const std::string& s) { return one_line_text(s.substr(from, std::min<std::size_t>(80, s.size() - std::min(from, s.size())))); };
  return "checkpointed '..." + around(a) + "...', now '..." + around(b) + "...'";
}

}  // namespace

experiment_plan plan_experiment(const std::string& path, const run_options& options) {
  experiment_plan result;
  const run_config& base = result.base = load_run_config(path, options.overrides);
  if (base.backend == "cuda" && !IONRAIL_CUDA_BUILT)
    throw config_error("sim.backend = \"cuda\": this build has no CUDA backend; use \"cpu\" or \"auto\" "
                       "(auto runs on the CPU when no CUDA backend or GPU is present)");
  use_cuda(base);  // refuses "cuda" without a device before anything is written
  if (!(options.checkpoint_every_s >= 0) || !std::isfinite(options.checkpoint_every_s))
    throw config_error(fmt::format("--checkpoint-every = {}: must be finite and >= 0 seconds", options.checkpoint_every_s));

  // The variants: [series] values × temperatures.
  std::vector<double> series = base.series_values.empty() ? std::vector<double>{0.0} : base.series_values;
  std::vector<double> temperatures =
      base.temperatures_k.empty() ? std::vector<double>{base.device.temperature_k} : base.temperatures_k;
  std::vector<variant_plan>& plans = result.variants;
  for (double value : series)
    for (double temperature : temperatures) {
      std::vector<std::string> overrides = options.overrides;
      std::string label, subdir;
      const std::string short_key = base.series_key.substr(base.series_key.rfind('.') + 1);
      // Labels and subdirectories show each value exactly (the shortest text
      // that reads back to it, as the override does): values that differ
      // (equal ones are refused by the configuration) never share a
      // subdirectory, and a label names the value that was run.
      if (!base.series_key.empty()) {
        overrides.push_back(fmt::format("{}={}", base.series_key, value));
        label = fmt::format("{} = {}", short_key, value);
        subdir = fmt::format("{}_{}", short_key, value);
      }
      if (!base.temperatures_k.empty()) {
        overrides.push_back(fmt::format("device.temperature_k={}", temperature));
        label += fmt::format("{}T = {} K", label.empty() ? "" : ", ", temperature);
        subdir += fmt::format("{}T_{}K", subdir.empty() ? "" : "_", temperature);
      }
      run_config cfg = base;
      if (overrides.size() != options.overrides.size()) try {
          cfg = load_run_config(path, overrides);
        } catch (const config_error& e) {
          // The base (the user's own --set included) loaded, so the
          // variant's value is at fault: it is named as the file's, not
          // as a "--set" the user never typed.
          std::string why = e.what();
          if (why.compare(0, 7, "--set: ") == 0) why.erase(0, 7);
          throw config_error(fmt::format("{}: the variant {} (of [series] values / protocol.temperatures_k): {}", path,
                                         label, why));
        }
      if (label.empty()) label = cfg.title;
      // make_drive reads and checks a waveform file: refused here, not mid-run.
      result.total_time_s += kmc::make_drive(cfg.protocol).duration_s;
      plans.push_back({std::move(cfg), label, subdir, value, 0.0});
    }

  // Memory: the engine and the trace of the largest variant (they run one
  // at a time), refused before anything is allocated. Checked before the
  // work: a run that cannot be held at all is told so, not that it is slow.
  // The averaged profiles' rails x sites sums of every variant are held
  // until the outputs are written, and copied into a checkpoint: twice
  // their sum over the variants.
  double all_sums = 0;
  std::size_t averaging = 0;
  for (const auto& p : plans)
    if (!p.config.protocol.average_window_s.empty()) {
      all_sums += static_cast<double>(p.config.device.rails) * p.config.device.sites;
      ++averaging;
    }
  for (const auto& p : plans) {
    const auto& c = p.config;
    const kmc::protocol_drive drive = kmc::make_drive(c.protocol);
    const double rows = drive.duration_s / c.protocol.sample_every_s + 2 + 2.0 * static_cast<double>(c.protocol.profile_times_s.size()) +
                        (c.protocol.kind == kmc::protocol_kind::pulses ? c.protocol.pulses.n_pot + c.protocol.pulses.n_dep + 1 : 0);
    const bool averaged = all_sums > 0;
    const double average_bytes = 2 * kmc::site_average::memory_bytes(all_sums, 1);
    const double bytes = kmc::engine_memory_bytes(c.device, c.sim) + rows * (9.0 + c.device.zones) * 8 * 2 +
                         10.0 * c.device.sites * 8 + average_bytes;
    result.memory_bytes = std::max(result.memory_bytes, bytes);
    check_memory(bytes, fmt::format("{}: device.rails = {} x {} ions per rail on device.sites = {} with sim.method = \"{}\" "
                                    "and {:.3g} trace rows of {} zones{}",
                                    path, c.device.rails, c.device.ions_per_rail(), c.device.sites,
                                    kmc::to_string(c.sim.solver), rows, c.device.zones,
                                    averaged ? fmt::format(", with time-averaged profiles of device.rails x device.sites "
                                                           "= {:.3g} sums over {} variant(s) (protocol.average_window_s)",
                                                           all_sums, averaging)
                                             : std::string()));
  }

  // Work: every variant's estimated hop attempts, together against the
  // limit, refused before anything runs (the first variant over it named).
  for (auto& p : plans) {
    p.config.sim.work_limit = options.max_work;  // and while it runs (kmc::sim_params::work_limit)
    const auto& c = p.config;
    const kmc::work_estimate w = kmc::estimate_work(c.device, c.sim, *kmc::make_drive(c.protocol).voltage);
    const std::string what = plans.size() > 1 ? fmt::format("{} ({})", path, p.label) : path;
    check_work(w, c.device, c.sim, options.max_work, what);
    p.work = w.attempts;
    result.work += w.attempts;
    if (!(result.work <= options.max_work))
      throw input_error(fmt::format("{}: its {} variants would take about {:.3g} hop attempts together, beyond the limit "
                                    "of {:.3g}: run fewer variants, or raise the limit with --max-work",
                                    path, plans.size(), result.work, options.max_work));
  }

  if (options.checkpoints && options.checkpoint_every_s > 0)
    for (const auto& p : plans)
      if (use_cuda(p.config))
        throw config_error("--checkpoint-every: the cuda backend cannot save its state; use --backend cpu");
  return result;
}

experiment_result run_experiment(const std::string& path, const run_options& options) {
  const experiment_plan planned = plan_experiment(path, options);
  const run_config& base = planned.base;
  const std::vector<variant_plan>& plans = planned.variants;
  const std::vector<double> temperatures =
      base.temperatures_k.empty() ? std::vector<double>{base.device.temperature_k} : base.temperatures_k;
  experiment_result result;
  result.out_dir = options.out_dir;
  result.series_key = base.series_key;

  // DIR's lock, before DIR.checkpoint is read or cleared: a second command on
  // DIR (a run, a --resume) is refused here, before it touches anything.
  const output_lock lock(options.out_dir);

  // Checkpoints: DIR.checkpoint/run.ckpt, kept until DIR is complete.
  const fs::path checkpoint_dir = options.out_dir + ".checkpoint";
  const fs::path checkpoint_file = checkpoint_dir / "run.ckpt";
  std::vector<std::pair<std::string, run_config>> labelled;
  for (const auto& p : plans) labelled.emplace_back(p.label, p.config);
  const std::string fingerprint = fingerprint_of(labelled);
  std::vector<variant_times> vtimes;
  for (const auto& p : plans) vtimes.push_back(times_of(p.config));
  std::vector<variant_state> states;
  remove_unresumable_checkpoint(checkpoint_dir, checkpoint_file, options.out_dir);
  if (options.resume) {
    if (!checkpoint_exists(checkpoint_file))
      throw config_error(checkpoint_file.string() + ": --resume: no checkpoint here (nothing was interrupted, or it finished)");
    const std::string payload = read_checkpoint(checkpoint_file, "run");
    kmc::state_reader r(payload, checkpoint_file.string());
    try {
      r.expect_tag("ionrail-run");
      const std::string saved = r.get_string(std::size_t{1} << 30);
      if (saved != fingerprint)
        throw config_error(checkpoint_file.string() + ": was written for another configuration (" +
                           first_difference(saved, fingerprint) + "); resume with the same file and options, or start over with --force");
      const std::uint64_t count = r.get<std::uint64_t>();
      if (count > plans.size()) r.fail("more variants than this run has");
      for (std::uint64_t k = 0; k < count; ++k) {
        states.push_back(get_variant(r, plans[k].config, vtimes[k]));
        if (k + 1 < count && !states.back().finished) r.fail("an unfinished variant before the last");
      }
      r.expect_end();
    } catch (const kmc::state_error& e) {
      throw config_error(std::string(e.what()) + " (the checkpoint does not fit this run)");
    }
  } else if (checkpoint_exists(checkpoint_dir)) {
    if (!options.force)
      throw config_error(checkpoint_dir.string() + ": holds an interrupted run: continue it with --resume, or start over "
                         "with --force (which deletes it)");
    refuse_to_remove(checkpoint_dir, options.out_dir);
    fs::remove_all(checkpoint_dir);
  }
  staged_dir staged(lock, options.force);  // a --resume replaces a DIR only with --force too
  const fs::path partial = staged.path();
  {
    std::unique_ptr<run_control> ctl;
    if (options.checkpoints) ctl = std::make_unique<run_control>(options.checkpoint_every_s);
    auto save = [&] {
      kmc::state_writer w;
      w.put_tag("ionrail-run");
      w.put_string(fingerprint);
      w.put<std::uint64_t>(states.size());
      for (const auto& st : states) put_variant(w, st);
      fs::create_directories(checkpoint_dir);
      write_checkpoint(checkpoint_file, "run", w.bytes());
    };

    // The bar moves with the estimated work (a high-field pulse takes most
    // of the steps of a run whose simulated time is mostly relaxation).
    double total_work = 0;
    for (const auto& vt : vtimes) total_work += vt.work.total();
    progress_reporter progress(total_work, options.quiet);
    for (std::size_t k = 0; k < plans.size(); ++k) {
      progress.begin_part(plans[k].label);
      if (k < states.size() && states[k].finished) {
        progress.advance_to(vtimes[k].work.total());
        continue;
      }
      if (k == states.size()) states.emplace_back();
      run_variant(plans[k].config, vtimes[k], states[k], ctl.get(), save, checkpoint_file.string(), progress);
      if (ctl && options.checkpoint_every_s > 0 && k + 1 < plans.size()) save();
    }
    progress.finish();
    // Every variant ran: a signal the engines did not see (it came after
    // their last look) stops the command here, saved, instead of being
    // swallowed; from here a signal removes the staged output.
    if (ctl)
      if (const int sig = ctl->release()) {
        save();
        throw interrupted(sig, fmt::format("interrupted by {} after every variant ran (saved in {})", signal_name(sig),
                                           checkpoint_dir.string()));
      }
    for (std::size_t k = 0; k < plans.size(); ++k) {
      variant_result v = finish_variant(plans[k].config, vtimes[k], std::move(states[k]), partial / plans[k].subdir);
      v.label = plans[k].label;
      v.subdir = plans[k].subdir;
      v.series_value = plans[k].series_value;
      result.variants.push_back(std::move(v));
    }

    if (temperatures.size() >= 2 && base.protocol.kind == kmc::protocol_kind::relax) {
      std::vector<double> t, tau;
      for (const auto& v : result.variants) t.push_back(v.temperature_k), tau.push_back(v.relax.tau_s);
      result.temperature_fit = fit_arrhenius(t, tau, true);
      const auto& fit = result.temperature_fit;
      result.arrhenius = true;
      if (!fit.determined && !options.quiet)
        fmt::print(stderr, "ionrail: Arrhenius fit undetermined: relaxation times at {} distinct temperature(s), "
                           "two are needed\n", fit.inv_t_per_k.size());
      if (!fit.inv_t_per_k.empty()) {
        std::string arr = "temperature_k,inv_t_per_k,tau_s,ln_tau\n";
        for (std::size_t k = 0; k < fit.inv_t_per_k.size(); ++k)
          arr += fmt::format("{:.9g},{:.9g},{:.9g},{:.9g}\n", 1 / fit.inv_t_per_k[k], fit.inv_t_per_k[k],
                             std::exp(fit.ln_y[k]), fit.ln_y[k]);
        write_file_atomic(partial / "arrhenius.csv", arr);
      }
    }

    json_doc summary;
    summary["engine"] = kmc::engine_version();
    summary["git"] = git_hash();
    summary["input"] = path;
    summary["protocol"] = kmc::to_string(base.protocol.kind);
    if (!base.series_key.empty()) summary["series_key"] = base.series_key;
    double wall = 0;
    for (const auto& v : result.variants) wall += v.wall_s;
    summary["wall_s"] = json_number(wall);
    if (result.arrhenius) {
      // An undetermined fit is null, never 0 ± 0 (which reads as a result).
      const auto& fit = result.temperature_fit;
      summary["arrhenius"] = {{"activation_energy_ev", fit.determined ? json_number(fit.activation_energy_ev) : json_doc()},
                              {"standard_error_ev", fit.error_determined ? json_number(fit.standard_error_ev) : json_doc()},
                              {"undetermined", !fit.determined},
                              {"points", fit.inv_t_per_k.size()},
                              {"configured_activation_energy_ev", json_number(base.device.species[0].activation_energy_ev)},
                              {"from", "relaxation time constants"}};
    }
    summary["runs"] = json_doc::array();
    for (const auto& v : result.variants) summary["runs"].push_back(variant_json(v, base.series_key));
    summary["parameters"] = parameters_json(base);
    write_json(partial / "summary.json", summary);

    write_plot_script(partial, result);
    if (base.plots) result.plotted = render_plots(partial.string(), options.quiet);

    staged.commit();
  }
  std::error_code ignored;
  fs::remove_all(checkpoint_dir, ignored);
  return result;
}

namespace {

// `sh -c COMMAND`, its exit status (-1 if it could not start or was
// killed). Not std::system, which ignores SIGINT and SIGQUIT in this process
// while the child runs: a Ctrl-C while gnuplot drew was lost (the command
// finished and exited 0).
int shell(const std::string& command) {
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  // SIGPIPE back to its default in the child: the CLI ignores it
  // (runs/console.hpp), and an ignored signal stays ignored across exec.
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, "/bin/sh", nullptr, &attr, const_cast<char* const*>(argv), environ);
  ::posix_spawnattr_destroy(&attr);
  if (spawned != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool gnuplot_found() { return shell("command -v gnuplot >/dev/null 2>&1") == 0; }

// For the shell: in single quotes, ' written as '\''.
std::string shell_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

bool render_plots(const std::string& dir, bool quiet) {
  if (!gnuplot_found()) {
    if (!quiet) fmt::print(stderr, "ionrail: gnuplot not found: no plots drawn; the data are in {} (apt-get install gnuplot-nox)\n", dir);
    return false;
  }
  // Absolute: a directory named "-d" is not an option of cd.
  std::error_code absolute_ec;
  const std::string quoted = shell_quoted(fs::absolute(dir, absolute_ec).string());
  // --quiet: gnuplot's warnings go to DIR/plots.log (kept only if it wrote any).
  const std::string cmd = fmt::format("cd {} && gnuplot plots.gp{}", quoted, quiet ? " 2>plots.log" : "");
  const bool ok = shell(cmd) == 0;
  const fs::path log = fs::path(dir) / "plots.log";
  std::error_code ec;
  if (quiet && fs::is_regular_file(log, ec) && fs::file_size(log, ec) == 0) fs::remove(log, ec);
  if (!ok) {
    // Its half-drawn images (a PNG of 0 bytes where the script stopped) go:
    // only what was drawn whole is kept. DIR is still the staged directory
    // here, so the message names the files, not that path.
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".png" && e.is_regular_file(ec) && e.file_size(ec) == 0) fs::remove(e.path(), ec);
    fmt::print(stderr, "ionrail: gnuplot failed on plots.gp{}; `ionrail plot DIR` draws the plots again\n",
               quiet ? " (its messages are in plots.log in the output directory)" : "");
    return false;
  }
  return true;
}

bool redraw_plots(const std::string& dir_name) {
  std::error_code ec;
  const fs::path dir = fs::absolute(dir_name, ec).lexically_normal();
  // Every entry a regular file or a directory, before gnuplot starts.
  std::vector<fs::path> subdirs;
  std::size_t entries = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (++entries > 100000) throw input_error(fmt::format("ionrail plot: {}: more than 100000 entries: not a run directory", dir_name));
    const fs::file_status st = fs::status(it->path(), ec);  // what a link names: gnuplot follows it
    if (ec) throw input_error(fmt::format("ionrail plot: {}: {}", it->path().string(), ec.message()));
    if (fs::is_directory(st)) {
      if (it->is_symlink()) it.disable_recursion_pending();
      subdirs.push_back(fs::relative(it->path(), dir));
    } else if (!fs::is_regular_file(st)) {
      throw input_error(fmt::format("ionrail plot: {}: not a regular file (a device, FIFO or socket, or a link to one): "
                                    "gnuplot would wait on it; the run directory was edited",
                                    it->path().string()));
    }
  }
  if (ec) throw input_error(fmt::format("ionrail plot: {}: cannot read the directory: {}", dir_name, ec.message()));
  if (!gnuplot_found()) {
    fmt::print(stderr, "ionrail: gnuplot not found: no plots drawn (apt-get install gnuplot-nox)\n");
    return false;
  }
  const fs::path staging = dir.parent_path() / (dir.filename().string() + fmt::format(".plot-{}", ::getpid()));
  const signal_cleanup_entry staging_entry(staging);  // a signal removes it; the old images stay
  struct remove_at_end {
    fs::path path;
    ~remove_at_end() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{staging};
  fs::remove_all(staging, ec);
  subdirs.emplace_back();  // the staging directory itself
  for (const auto& sub : subdirs)
    if (fs::create_directories(staging / sub, ec); ec)
      throw input_error(fmt::format("ionrail plot: cannot create {}: {}", (staging / sub).string(), ec.message()));
  // gnuplot's loadpath serves plot's data files too: the script's relative
  // names read DIR's data, and its images are written in the staging copy.
  const std::string cmd = fmt::format("cd {} && gnuplot -e {} {}", shell_quoted(staging.string()),
                                      shell_quoted("set loadpath '" + gnuplot_quoted(dir.string()) + "'"),
                                      shell_quoted((dir / "plots.gp").string()));
  if (shell(cmd) != 0) {
    fmt::print(stderr, "ionrail: gnuplot failed on {}; the plots there are as they were\n", (dir / "plots.gp").string());
    return false;
  }
  const auto hold = hold_signal_cleanup();  // the images moved in as one step
  for (fs::recursive_directory_iterator it(staging, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) {
      const fs::path target = dir / fs::relative(it->path(), staging);
      fs::rename(it->path(), target);  // each image replaced whole
    }
  return true;
}

namespace {

// What a legend calls a variant: "voltage 2.5 V, T = 300 K", not the key.
std::string legend_of(const experiment_result& r, const variant_result& v) {
  std::string text;
  if (!r.series_key.empty()) text = key_value_text(r.series_key, v.series_value);
  if (!v.config.temperatures_k.empty()) text += fmt::format("{}T = {} K", text.empty() ? "" : ", ", v.temperature_k);
  return gnuplot_quoted(text.empty() ? v.label : text);
}

void write_plot_script(const fs::path& dir, const experiment_result& r) {
  std::ostringstream gp;
  // Conductances in µS and currents in µA: a device of this kind sits at
  // 1–100 µS, where an axis in S prints 0.000010 on every tick.
  gp << "# Regenerate with: ionrail plot DIR  (or: cd DIR && gnuplot plots.gp)\n"
        "set encoding utf8\nset datafile separator ','\n"
        "set terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'\n"
        "set key outside right top\nset grid\n";
  const auto kind = r.variants.front().config.protocol.kind;
  const double s_eq = r.variants.front().s_eq;
  auto path = [&](const variant_result& v, const char* file) {
    return gnuplot_quoted(v.subdir.empty() ? std::string(file) : v.subdir + "/" + file);
  };
  auto each = [&](const std::string& fmt_cols) {
    std::string s = "plot ";
    for (std::size_t k = 0; k < r.variants.size(); ++k) {
      const auto& v = r.variants[k];
      s += fmt::format("'{}' {} title '{}'", path(v, "trace.csv"), fmt_cols, legend_of(r, v));
      if (k + 1 < r.variants.size()) s += ", \\\n     ";
    }
    return s + "\n";
  };
  // Per variant: voltage and conductance against time, and zone profiles.
  for (const auto& v : r.variants) {
    // Fixed margins keep the two panels' time axes aligned; one curve per
    // panel needs no key.
    gp << fmt::format("set output '{}'\nunset title\nunset key\nset lmargin 12\nset rmargin 4\n"
                      "set multiplot layout 2,1 title '{}'\n",
                      path(v, "trace.png"), legend_of(r, v));
    gp << "set ylabel 'V (V)'\nunset xlabel\nplot '" << path(v, "trace.csv") << "' every ::1 using 1:2 with lines lw 2\n";
    gp << "set ylabel 'G (µS)'\nset xlabel 't (s)'\nplot '" << path(v, "trace.csv")
       << "' every ::1 using 1:($6*1e6) with lines lw 2\nunset multiplot\nunset lmargin\nunset rmargin\nset key\n";
    gp << fmt::format("set output '{}'\nset title 'Ion occupancy across the film, {}'\nset xlabel 'x (nm), left electrode at 0'\n"
                      "set ylabel 'ions per site (mean over rails)'\nset style data lines\nplot ",
                      path(v, "profile.png"), legend_of(r, v));
    for (int c = 0; c < v.snapshots; ++c)
      gp << fmt::format("{}'{}' every ::1 using 2:{} lw 2 title 't = {:.4g} s'", c ? ", \\\n     " : "", path(v, "profile.csv"),
                        c + 3, c < static_cast<int>(v.snapshot_times_s.size()) ? v.snapshot_times_s[static_cast<std::size_t>(c)] : 0.0);
    // The time average over protocol.average_window_s, with ±1 SE across rails.
    if (v.average_window.enabled)
      gp << fmt::format(", \\\n     '{}' every ::1 using 2:3:4 with yerrorbars pt 7 ps 0.6 lc 'black' "
                        "title 'mean over {:.4g}–{:.4g} s ± SE'",
                        path(v, "profile_average.csv"), v.average_window.from_s, v.average_window.to_s);
    gp << "\n";
  }
  gp << "set style data lines\n";
  if (kind == kmc::protocol_kind::relax) {
    gp << "set output 'relax.png'\nset title 'Readout state: polarisation and relaxation'\nset xlabel 't (s)'\n"
          "set ylabel 'state s (fraction of ions in the readout zone)'\n";
    std::string plot = each("every ::1 using 1:5 lw 2");
    plot.pop_back();
    gp << plot << fmt::format(", \\\n     {} with lines dt 2 lc 'black' title 'uniform filling'\n", s_eq);
    gp << "set output 'conductance.png'\nset title 'Conductance'\nset ylabel 'G (µS)'\n" << each("every ::1 using 1:($6*1e6) lw 2");
  }
  if (kind == kmc::protocol_kind::sweep || kind == kmc::protocol_kind::waveform) {
    gp << "set output 'iv.png'\nset title 'I-V loops'\nset xlabel 'V (V)'\nset ylabel 'I (µA)'\n"
       << each("every ::1 using 2:($7*1e6) lw 2");
    gp << "set output 'state.png'\nset title 'Readout state during the sweep'\nset xlabel 't (s)'\n"
          "set ylabel 'state s (fraction of ions in the readout zone)'\n"
       << each("every ::1 using 1:5 lw 2");
  }
  if (kind == kmc::protocol_kind::pulses) {
    // The key sits inside and leaves the plot its width.
    gp << "set output 'pulses.png'\nset title 'Conductance read after each pulse'\nset xlabel 'pulse number'\n"
          "set ylabel 'G (µS)'\nset key inside top right\nset style data linespoints\nplot ";
    for (std::size_t k = 0; k < r.variants.size(); ++k)
      gp << fmt::format("'{}' every ::1 using 1:($3*1e6) pt 7 title '{}'{}", path(r.variants[k], "reads.csv"),
                        legend_of(r, r.variants[k]), k + 1 < r.variants.size() ? ", \\\n     " : "\n");
    gp << "set style data lines\nset key outside right top\n";
  }
  const auto& fit = r.temperature_fit;
  if (r.arrhenius && !fit.inv_t_per_k.empty()) {
    gp << "set output 'arrhenius.png'\nset title 'Arrhenius plot of the relaxation time'\nset xlabel '1/T (1/K)'\n"
          "set ylabel 'ln(τ / s)'\nset style data points\nset key inside bottom right\n";
    if (!fit.determined) {
      gp << "plot 'arrhenius.csv' every ::1 using 2:4 pt 7 ps 1.5 title 'KMC (fit undetermined: one temperature)'\n";
    } else {
      // The fitted activation energy on the plot itself, where the eye is.
      gp << fmt::format("set label 1 'Ea = {:.3f} {} eV' at graph 0.05, graph 0.92 font ',13'\n", fit.activation_energy_ev,
                        fit.error_determined ? fmt::format("± {:.3f}", fit.standard_error_ev) : std::string("(error undetermined)"));
      gp << fmt::format("plot 'arrhenius.csv' every ::1 using 2:4 pt 7 ps 1.5 title 'KMC', {} + {}*x with lines title "
                        "'fit: ln τ = a + Ea / (kB T)'\nunset label 1\n",
                        fit.line.intercept, fit.line.slope);
    }
  }
  write_file_atomic(dir / "plots.gp", gp.str());
}

}  // namespace
}  // namespace ionrail::runs
