#include <ionrail/app/sweep.hpp>

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <numeric>
#include <functional>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>
#include <set>
#include <stdexcept>
#include <sstream>

#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h>
#endif

#include <ionrail/calibration/run_control.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/kmc/engine.hpp>
#include <ionrail/model_io/atomic_file.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/runs/metrics.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/kmc/params.hpp>
#include <ionrail/kmc/physics.hpp>
#include <ionrail/model/rng.hpp>

#include <ionrail/runs/output.hpp>
#include <ionrail/runs/plot_text.hpp>
#include <ionrail/runs/output_lock.hpp>
#include <ionrail/runs/staged_dir.hpp>

namespace fs = std::filesystem;

namespace ionrail::app {
using namespace ::ionrail::runs;  // the library these commands drive

// The libraries this command layer calls.
using namespace ionrail::calibration;
using namespace ionrail::config;
using namespace ionrail::model_io;
namespace {

std::string where(const std::string& file, const toml::node& n) {
  return n.source().begin.line ? fmt::format("{}:{}", file, n.source().begin.line) : file;
}

std::vector<double> axis_values(const std::string& file, const toml::table& axis, const std::string& path) {
  const int given = !!axis.get("values") + !!axis.get("range") + !!axis.get("log_range");
  if (given != 1)
    throw config_error(fmt::format("{}: {}: give exactly one of values, range = [lo, hi, n], log_range = [lo, hi, n]",
                                   where(file, axis), path));
  auto numbers = [&](const char* key) {
    const auto* a = axis.get(key)->as_array();
    if (!a) throw config_error(fmt::format("{}: {}.{}: expected an array of numbers", where(file, *axis.get(key)), path, key));
    std::vector<double> out;
    for (const auto& e : *a) {
      const auto v = e.value<double>();
      if (!v || !std::isfinite(*v))
        throw config_error(fmt::format("{}: {}.{}: expected finite numbers", where(file, *axis.get(key)), path, key));
      out.push_back(*v);
    }
    return out;
  };
  if (axis.get("values")) {
    auto v = numbers("values");
    if (v.empty()) throw config_error(fmt::format("{}: {}.values: at least one value", where(file, axis), path));
    return v;
  }
  const bool log = axis.get("log_range") != nullptr;
  const char* key = log ? "log_range" : "range";
  const auto r = numbers(key);
  const double n = r.size() == 3 ? r[2] : 0;
  if (r.size() != 3 || n < 1 || n > 1e6 || n != std::floor(n) || (log && (r[0] <= 0 || r[1] <= 0)))
    throw config_error(fmt::format("{}: {}.{}: expected [lo, hi, n] with n an integer in [1, 10^6]{}",
                                   where(file, *axis.get(key)), path, key, log ? " and lo, hi > 0" : ""));
  std::vector<double> out;
  for (int i = 0; i < static_cast<int>(n); ++i) {
    const double f = n > 1 ? i / (n - 1) : 0.0;
    const double v = log ? std::exp(std::log(r[0]) + f * (std::log(r[1]) - std::log(r[0]))) : r[0] + f * (r[1] - r[0]);
    // To 12 significant digits: a grid point reads as typed (1e+23, not
    // 1.0000000000000006e+23) in the override it runs with and in its label.
    out.push_back(std::strtod(fmt::format("{:.12g}", v).c_str(), nullptr));
  }
  return out;
}

// A key's value as a point's override and points.csv write it: the shortest
// text that reads back to it, so the value run is the value planned and
// two distinct values of an axis never run (or are labelled) as one.
std::string format_value(double v) { return fmt::format("{}", v); }

// A figure as points.csv records it (10 digits), and so as a re-launch reads
// it back from a finished point's summary.json.
std::string format_figure(double v) { return fmt::format("{:.10g}", v); }
double as_recorded(double v) { return std::strtod(format_figure(v).c_str(), nullptr); }

// An axis (or a points_csv column) may not list a value twice: the two
// points would be one run twice, labelled as if two.
// Sorted, not compared pairwise: an axis may hold 10^6 values (pairwise,
// 3·10^5 took 32 s before anything was checked). The pair named is the one
// an entry-by-entry scan meets first: the smallest second entry, with the
// first entry of its value.
void check_distinct(const std::string& where_text, const std::string& what, const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::size_t first = 0, second = values.size(), group = 0;  // group: where this value's run starts in order
  for (std::size_t k = 1; k < order.size(); ++k) {
    if (values[order[k]] != values[order[k - 1]]) {
      group = k;
      continue;
    }
    if (order[k] < second) {  // stable sort: order[group] is the value's first entry
      second = order[k];
      first = order[group];
    }
  }
  if (second < values.size())
    throw config_error(fmt::format("{}: {}: the value {} is given twice (entries {} and {}); each point needs its own",
                                   where_text, what, format_value(values[second]), first, second));
}

// The first line where two texts differ, for a refusal message.
std::string first_differing_line(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (;;) {
    const bool ga = static_cast<bool>(std::getline(sa, la)), gb = static_cast<bool>(std::getline(sb, lb));
    if (!ga && !gb) return "";
    if (!ga) la = "(nothing)";
    if (!gb) lb = "(nothing)";
    if (!ga || !gb || la != lb) {
      const auto trim = [](std::string s) {
        s.erase(0, s.find_first_not_of(" \t"));
        return s.size() > 120 ? s.substr(0, 120) + "..." : s;
      };
      return fmt::format("stored '{}', now '{}'", trim(la), trim(lb));
    }
  }
}

// The points.csv figures of a run's first variant, in sweep_figures() order.
std::vector<double> figures_of(const variant_result& v) {
  const double none = std::numeric_limits<double>::quiet_NaN();
  const auto kind = v.config.protocol.kind;
  const bool relax = kind == kmc::protocol_kind::relax;
  const bool loop = kind == kmc::protocol_kind::sweep || kind == kmc::protocol_kind::waveform;
  const auto& t = v.transport;
  // As in summary.json: no coefficients from displacements the walls set.
  const bool wall_free = kmc::transport_confinement(t, v.config.device) <= kmc::wall_free_confinement;
  const auto coefficient = [&](double x) { return wall_free ? x : none; };
  std::vector<double> f{relax ? v.relax.tau_s : none,
                        relax ? v.relax.retained_after_10s : none,
                        loop ? v.loop.lobe_area_positive : none,
                        loop ? v.loop.lobe_area_negative : none,
                        coefficient(t.d_tracer_m2_s),
                        coefficient(t.d_jump_m2_s),
                        coefficient(t.haven_ratio),
                        coefficient(t.conductivity_s_m),
                        v.trace.back().energy_j};
  for (double& x : f) x = std::isfinite(x) ? as_recorded(x) : none;
  return f;
}

// The same figures from the summary.json of a point an earlier launch
// finished: each is a member of its first run or of one of that run's
// sections (relaxation, iv_loop, transport); null or absent is NaN.
std::vector<double> figures_of(const fs::path& summary) {
  // By the rules of every input file: an earlier launch's directory is the
  // user's to edit, and a FIFO or a huge file there must not hang the sweep.
  const std::string text = read_input_file(summary.string(), max_input_bytes, "a finished point's summary");
  try {
    const json_doc run = json_doc::parse(text).at("runs").at(0);
    std::vector<double> f;
    for (const auto& name : sweep_figures()) {
      const json_doc* x = run.contains(name) ? &run[name] : nullptr;
      for (const auto& section : run)
        if (!x && section.is_object() && section.contains(name)) x = &section[name];
      f.push_back(x && x->is_number() ? x->get<double>() : std::numeric_limits<double>::quiet_NaN());
    }
    return f;
  } catch (const json_doc::exception& e) {
    throw input_error(summary.string() + ": not the summary of a finished point (" + e.what() +
                      "); remove the point's directory to run it again, or start over with --force");
  }
}

}  // namespace

sweep_plan load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  // The [sweep] section is read from the file as it is: a --set on it was
  // accepted and ignored (the axes ran as written), so it is refused.
  for (const auto& o : overrides)
    if (o.rfind("sweep.", 0) == 0 || o.rfind("sweep[", 0) == 0 || o.rfind("sweep=", 0) == 0)
      throw config_error(fmt::format("--set {}: the sweep's axes and figures come from the [sweep] section of {} as "
                                     "written; --set changes the keys of every point's run (edit the file to change "
                                     "the sweep)",
                                     o, path));
  sweep_plan plan;
  plan.file = path;
  toml::table doc;
  try {
    const std::string text = read_input_file(path, max_input_bytes, "sweep file");
    check_toml_bounds(path, text);
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw config_error(fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  const auto* sw = doc.get_as<toml::table>("sweep");
  if (!sw) throw config_error(path + ": no [sweep] section (see docs/scaling.md)");
  for (auto&& [k, v] : *sw) {
    const std::string key(k.str());
    if (key != "axis" && key != "figure" && key != "heatmap" && key != "points_csv")
      throw config_error(fmt::format("{}: sweep.{}: unknown key (expected axis, figure, heatmap, points_csv)", where(path, v), key));
  }
  if (const auto f = sw->get("figure")) {
    if (!f->is_string()) throw config_error(fmt::format("{}: sweep.figure: expected a string", where(path, *f)));
    plan.figure = f->as_string()->get();
    const auto& names = sweep_figures();
    if (std::find(names.begin(), names.end(), plan.figure) == names.end())
      throw config_error(fmt::format("{}: sweep.figure = \"{}\": not a points.csv figure (one of {})", where(path, *f),
                                     plan.figure, fmt::join(names, ", ")));
  }
  std::vector<std::vector<double>> axes;
  if (const auto* a = sw->get_as<toml::array>("axis")) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string p = fmt::format("sweep.axis[{}]", i);
      const auto* t = (*a)[i].as_table();
      if (!t || !t->get("key") || !t->get("key")->is_string())
        throw config_error(fmt::format("{}: {}: each [[sweep.axis]] needs key = \"section.key\"", where(path, (*a)[i]), p));
      for (auto&& [k, v] : *t)
        if (k.str() != "key" && k.str() != "values" && k.str() != "range" && k.str() != "log_range")
          throw config_error(fmt::format("{}: {}.{}: unknown key (expected key, values, range, log_range)", where(path, v), p, k.str()));
      const std::string key = t->get("key")->as_string()->get();
      for (std::size_t j = 0; j < plan.keys.size(); ++j)
        if (plan.keys[j] == key)
          throw config_error(fmt::format("{}: {}.key = \"{}\": the same key as sweep.axis[{}]; give one axis per key "
                                         "(its values the union of both)", where(path, *t->get("key")), p, key, j));
      plan.keys.push_back(key);
      axes.push_back(axis_values(path, *t, p));
      check_distinct(where(path, *t), p + " (" + key + ")", axes.back());
    }
  }
  std::vector<std::vector<double>> rows;
  if (const auto csv = sw->get("points_csv")) {
    if (!axes.empty()) throw config_error(fmt::format("{}: sweep: give axes or points_csv, not both", where(path, *csv)));
    // Not lexically normalised: a ".." after a symbolic link is the system's to resolve.
    const fs::path file = fs::path(path).parent_path() / csv->as_string()->get();
    std::string text, why;
    if (!try_read_input_file(file.string(), max_input_bytes, text, why))
      throw config_error(fmt::format("{}: sweep.points_csv: cannot open '{}' ({})", where(path, *csv), file.string(), why));
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::vector<std::string> cells;
      std::stringstream ls(line);
      for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
      if (plan.keys.empty()) {
        for (std::size_t i = 0; i < cells.size(); ++i)
          for (std::size_t j = 0; j < i; ++j)
            if (cells[i] == cells[j])
              throw config_error(fmt::format("{}:{}: the key '{}' heads two columns ({} and {}); one column per key",
                                             file.string(), number, cells[i], j + 1, i + 1));
        plan.keys = cells;
        continue;
      }
      if (cells.size() != plan.keys.size())
        throw config_error(fmt::format("{}:{}: {} values, the header has {} keys", file.string(), number, cells.size(), plan.keys.size()));
      std::vector<double> row;
      for (const auto& c : cells) {
        char* end = nullptr;
        const double v = std::strtod(c.c_str(), &end);
        if (end == c.c_str() || !std::isfinite(v))
          throw config_error(fmt::format("{}:{}: '{}' is not a finite number", file.string(), number, c));
        row.push_back(v);
      }
      rows.push_back(row);
    }
    if (rows.empty()) throw config_error(file.string() + ": no points (a header of keys, then a row per point)");
  } else {
    if (axes.empty()) throw config_error(path + ": [sweep] needs at least one [[sweep.axis]] or points_csv");
    std::size_t total = 1;
    for (const auto& a : axes) total *= a.size();
    if (total > 1000000) throw config_error(fmt::format("{}: the sweep has {} points (at most 10^6)", path, total));
    for (std::size_t n = 0; n < total; ++n) {  // first axis slowest
      std::vector<double> row(axes.size());
      std::size_t rest = n;
      for (std::size_t a = axes.size(); a-- > 0;) {
        row[a] = axes[a][rest % axes[a].size()];
        rest /= axes[a].size();
      }
      rows.push_back(row);
    }
  }
  if (const auto h = sw->get("heatmap")) {
    const auto* a = h->as_array();
    if (!a || a->size() != 2 || !(*a)[0].is_string() || !(*a)[1].is_string())
      throw config_error(fmt::format("{}: sweep.heatmap: expected two keys of the sweep", where(path, *h)));
    for (int i = 0; i < 2; ++i) {
      plan.heatmap.push_back((*a)[static_cast<std::size_t>(i)].as_string()->get());
      if (std::find(plan.keys.begin(), plan.keys.end(), plan.heatmap.back()) == plan.keys.end())
        throw config_error(fmt::format("{}: sweep.heatmap: '{}' is not a key of the sweep", where(path, *h), plan.heatmap.back()));
    }
  }
  // The run configuration gives the base seed (and checks every key and value
  // at the first point; check_sweep_points checks every point before any runs).
  std::vector<std::string> first = overrides;
  for (std::size_t k = 0; k < plan.keys.size(); ++k) first.push_back(plan.keys[k] + "=" + format_value(rows.front()[k]));
  const run_config cfg = load_run_config(path, first);
  plan.base_seed = cfg.sim.seed;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    sweep_point p;
    p.index = static_cast<int>(i);
    p.seed = model::device_seed(plan.base_seed, i) >> 1;  // 63 bits: a TOML integer
    p.values = rows[i];
    plan.points.push_back(p);
  }
  return plan;
}

namespace {

fs::path point_dir(const sweep_options& o, const sweep_point& p) {
  return fs::path(o.out_dir) / "points" / fmt::format("p{:05d}", p.index);
}

// The --set list a point runs with: the command's, then the point's values and seed.
std::vector<std::string> point_overrides(const sweep_plan& plan, const sweep_options& o, const sweep_point& p) {
  std::vector<std::string> out = o.overrides;
  for (std::size_t k = 0; k < plan.keys.size(); ++k) out.push_back(plan.keys[k] + "=" + format_value(p.values[k]));
  out.push_back(fmt::format("sim.seed={}", p.seed));
  out.push_back("sim.threads=1");
  out.push_back("output.plots=false");
  return out;
}

// What a point runs, as a run checkpoint records it: the engine version, the
// point's resolved parameters (the sweep file as it is now, with the point's
// overrides) and a waveform file's contents. Stored beside the point's
// directory (points/pNNNNN.fingerprint), written before the point runs, so a
// finished point always has the fingerprint of what it ran (its directory is
// replaced whole when it finishes, so the file cannot live inside); a
// re-launch reuses a finished point only if it matches.
std::string point_fingerprint(const sweep_plan& plan, const sweep_options& o, const sweep_point& p) {
  const run_config cfg = load_run_config(plan.file, point_overrides(plan, o, p));
  std::string f = std::string(kmc::engine_version()) + "\n" + resolved_parameters_json(cfg) + "\n";
  if (cfg.protocol.kind == kmc::protocol_kind::waveform)
    f += fmt::format("waveform {:016x}\n",
                     fnv1a64(read_input_file(cfg.protocol.waveform_csv, max_input_bytes, "waveform (protocol.waveform_csv)")));
  return f;
}

// How a point runs: as `ionrail run` of the sweep file with the point's
// overrides into its directory, under the sweep's work limit (each point is
// within it when all together are).
run_options point_run_options(const sweep_plan& plan, const sweep_options& o, const sweep_point& p) {
  run_options ro;
  ro.out_dir = point_dir(o, p).string();
  ro.quiet = true;
  ro.force = true;  // a directory without summary.json is an unfinished leftover
  ro.overrides = point_overrides(plan, o, p);
  ro.max_work = o.max_work;
  return ro;
}

// "device.temperature_k = 300, field.ion_density_m3 = 1e+24", for messages.
std::string point_values(const sweep_plan& plan, const sweep_point& p) {
  std::string values;
  for (std::size_t k = 0; k < plan.keys.size(); ++k)
    values += fmt::format("{}{} = {}", k ? ", " : "", plan.keys[k], format_value(p.values[k]));
  return values;
}

fs::path fingerprint_file(const fs::path& dir) { return fs::path(dir.string() + ".fingerprint"); }

// "" when the point has none; anything there but a regular file of bounded
// size (a FIFO, a directory, a huge file) is refused, not read.
std::string stored_fingerprint(const fs::path& dir) {
  const fs::path file = fingerprint_file(dir);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) return {};
  return read_input_file(file.string(), max_input_bytes, "a point's fingerprint");
}

// A finished point whose stored fingerprint is not `now` (or that has none)
// ran other parameters than its label says: refuse rather than mix it with
// points run from the edited file.
void check_point(const sweep_plan& plan, const fs::path& dir, const sweep_point& p, const std::string& now) {
  const std::string stored = stored_fingerprint(dir);
  if (stored == now) return;
  const std::string values = point_values(plan, p);
  throw config_error(fmt::format(
      "{}: point {} ({}) was run with other parameters than {} now gives it ({}); the sweep file, a file it "
      "reads or --set changed since it ran: start over with --force",
      dir.string(), p.index, values, plan.file,
      stored.empty() ? std::string("it has no fingerprint") : first_differing_line(stored, now)));
}

}  // namespace

void check_sweep_points(const sweep_plan& plan, const sweep_options& o) {
  // Every point through the same checks run_experiment makes before it
  // starts (plan_experiment): one point refused ends the sweep before any
  // point has run, instead of after the points before it were simulated.
  std::vector<double> work(plan.points.size(), 0.0), memory(plan.points.size(), 0.0);
  // The message names the point; a leading "FILE: " of its own is dropped
  // (a "FILE:LINE: " is kept: the line is worth reading).
  // A point's own value reaches the configuration as an override, which it
  // attributes to "--set": not what the user typed, so that is dropped too.
  const auto refuse = [&](const sweep_point& p, std::string why) {
    if (why.compare(0, plan.file.size() + 2, plan.file + ": ") == 0) why.erase(0, plan.file.size() + 2);
    for (const auto& key : plan.keys)
      if (why.compare(0, 7 + key.size() + 3, "--set: " + key + " = ") == 0) why.erase(0, 7);
    throw input_error(fmt::format("{}: point {} of {} ({}): {}", plan.file, p.index, plan.points.size(),
                                  point_values(plan, p), why));
  };
  for (const auto& p : plan.points) try {
    const experiment_plan ep = plan_experiment(plan.file, point_run_options(plan, o, p));
    work[static_cast<std::size_t>(p.index)] = ep.work;
    memory[static_cast<std::size_t>(p.index)] = ep.memory_bytes;
  } catch (const input_error& e) {
    refuse(p, e.what());
  } catch (const std::invalid_argument& e) {  // the engine's own refusals (a waveform file, a protocol)
    refuse(p, e.what());
  }
  // Work: all points together against the limit, the finished ones of an
  // earlier launch included, so that whether a sweep is accepted does not
  // depend on how far an earlier launch got. The largest point is named: it
  // is the one to shrink or drop.
  double total = 0;
  std::size_t largest = 0;
  for (std::size_t k = 0; k < work.size(); ++k) {
    total += work[k];
    if (work[k] > work[largest]) largest = k;
  }
  if (!(total <= o.max_work)) {
    const sweep_point& p = plan.points[largest];
    throw input_error(fmt::format("{}: its {} points would take about {:.3g} hop attempts together, beyond the limit of "
                                  "{:.3g}; the largest is point {} ({}) with about {:.3g} ({:.0f} %): run fewer or smaller "
                                  "points, or raise the limit with --max-work",
                                  plan.file, plan.points.size(), total, o.max_work, p.index, point_values(plan, p),
                                  work[largest], 100 * work[largest] / total));
  }
  // Memory: --jobs points run side by side, so the largest that many must
  // fit together (each alone was checked above).
  const std::size_t side_by_side = std::min(plan.points.size(), static_cast<std::size_t>(std::max(1, o.jobs)));
  if (side_by_side > 1) {
    std::vector<double> largest_first = memory;
    std::sort(largest_first.begin(), largest_first.end(), std::greater<>());
    double together = 0;
    for (std::size_t k = 0; k < side_by_side; ++k) together += largest_first[k];
    check_memory(together, fmt::format("{}: --jobs {}: the {} largest points side by side", plan.file, o.jobs, side_by_side));
  }
}

void check_sweep_dir(const sweep_options& o) {
  const fs::path dir(o.out_dir);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return;  // (a file there: refused by the output lock)
  // What write_sweep_outputs and the points write, and nothing else.
  static const std::set<std::string> sweep_entries = {"points",    "points.csv",    "summary.json", "plots.gp",
                                                       "plots.log", "arrhenius.png", "heatmap.png"};
  // Its points/ directory is made before anything else a sweep writes: a
  // DIR without one holds nothing of a sweep (whatever the files' names).
  std::string first;
  bool empty = true;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    empty = false;
    // NAME.tmp-PID: a file a killed launch was writing (write_file_atomic);
    // under DIR's lock no one writes it now.
    const auto tmp = name.rfind(".tmp-");
    if (tmp != std::string::npos && sweep_entries.count(name.substr(0, tmp)) > 0 && tmp + 5 < name.size() &&
        name.find_first_not_of("0123456789", tmp + 5) == std::string::npos) {
      stale.push_back(it->path());
      continue;
    }
    if (first.empty() && sweep_entries.count(name) == 0) first = name;
  }
  if (ec) throw input_error(fmt::format("--out {}: cannot read the directory: {}", o.out_dir, ec.message()));
  if (empty) return;
  const std::string why = !first.empty() ? "it holds " + first
                          : !fs::is_directory(fs::symlink_status(dir / "points", ec)) ? "no points/ directory"
                                                                                       : "";
  if (!why.empty())
    throw input_error(fmt::format("--out {}: exists and is not a sweep's output directory ({}): a sweep goes on only "
                                  "in its own directory; name another, or use --force to replace it",
                                  o.out_dir, why));
  for (const auto& p : stale) fs::remove(p, ec);
}

void check_finished_points(const sweep_plan& plan, const sweep_options& o) {
  for (const auto& p : plan.points) {
    const fs::path dir = point_dir(o, p);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(dir / "summary.json", ec))) continue;
    check_point(plan, dir, p, point_fingerprint(plan, o, p));
    (void)figures_of(dir / "summary.json");  // readable now, not refused mid-sweep
  }
}

void remove_stale_point_partials(const sweep_options& o) {
  // A point's run stages its output in points/pNNNNN.partial-PID (and moves
  // an old one aside to pNNNNN.replaced-PID); a killed command (SIGKILL, a
  // lost MPI rank) leaves them behind. The point's own run clears them when
  // the point runs again, but a point that another launch finished is never
  // run again, so its leftovers would stay for good: they are cleared here,
  // for every point, before any point of this sweep runs.
  //
  // Which ones are safe to remove: this runs under DIR's lock (no other
  // sweep on DIR) and before any point of this sweep starts (the MPI ranks
  // wait at the barrier after rank 0 has done this), so no process of ours
  // writes there. A process of an earlier launch may still (an MPI rank
  // whose mpirun died, possibly on another host, where its pid means
  // nothing here). A run stages its directory only while it holds the
  // point's lock (points/pNNNNN.lock, staged_dir), so a point whose lock we
  // cannot take is left alone, and one whose lock we hold has no writer
  // anywhere that honours the lock; as a second guard, for filesystems whose
  // flock does not reach other hosts, remove_stale_partials removes only
  // entries whose pid is not a live process on this host (a live one may be
  // another command's).
  const fs::path points = fs::path(o.out_dir) / "points";
  std::set<std::string> bases;
  std::error_code ec;
  for (fs::directory_iterator it(points, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // pNNNNN.SOMETHING other than its fingerprint and lock: a leftover that
    // remove_stale_partials judges (.partial-PID, .replaced-PID,
    // .fingerprint.tmp-PID of a dead process).
    const auto at = name.find('.');
    if (at != std::string::npos && at > 1 && name[0] == 'p' && name.find_first_not_of("0123456789", 1) == at &&
        name.compare(at, std::string::npos, ".fingerprint") != 0 && name.compare(at, std::string::npos, ".lock") != 0)
      bases.insert(name.substr(0, at));
  }
  for (const auto& base : bases) try {
    const output_lock point_lock((points / base).string());
    remove_stale_partials(points / base);
  } catch (const input_error&) {
    // Locked: its point is being run by a live command; its leftovers are its own.
  }
}

sweep_row run_sweep_point(const sweep_plan& plan, const sweep_options& o, const sweep_point& p) {
  const fs::path dir = point_dir(o, p);
  const std::string fingerprint = point_fingerprint(plan, o, p);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir / "summary.json", ec))) {
    check_point(plan, dir, p, fingerprint);
    return {p.index, figures_of(dir / "summary.json")};
  }
  write_file_atomic(fingerprint_file(dir), fingerprint);
  return {p.index, figures_of(run_experiment(plan.file, point_run_options(plan, o, p)).variants.front())};
}

std::vector<sweep_row> run_sweep_points(const sweep_plan& plan, const sweep_options& o, const std::vector<int>& indices) {
  std::vector<sweep_row> rows(indices.size());
  std::vector<std::exception_ptr> failure(indices.size());
  fs::create_directories(fs::path(o.out_dir) / "points");
  int done = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::max(1, o.jobs))
  for (int k = 0; k < static_cast<int>(indices.size()); ++k) try {
    const sweep_point& p = plan.points[static_cast<std::size_t>(indices[static_cast<std::size_t>(k)])];
    rows[static_cast<std::size_t>(k)] = run_sweep_point(plan, o, p);
#pragma omp critical(ionrail_sweep_progress)
    if (!o.quiet) fmt::print(stderr, "ionrail sweep: point {} done ({}/{})\n", p.index, ++done, indices.size());
  } catch (...) {
    failure[static_cast<std::size_t>(k)] = std::current_exception();
  }
  for (const auto& f : failure)
    if (f) std::rethrow_exception(f);
  return rows;
}

namespace {

// A figure of points.csv as an axis says it: quantity / unit, so that
// ln(...) of it reads right on the Arrhenius plot.
std::string figure_label(const std::string& figure) {
  static const std::vector<std::pair<std::string, std::string>> words{
      {"tau_s", "τ / s"},
      {"retained_after_10s", "excess state retained 10 s after release (fraction)"},
      {"lobe_area_positive_av", "I-V lobe area, V > 0 / (A V)"},
      {"lobe_area_negative_av", "I-V lobe area, V < 0 / (A V)"},
      {"d_tracer_m2_s", "tracer diffusivity / (m²/s)"},
      {"d_jump_m2_s", "jump diffusivity / (m²/s)"},
      {"haven_ratio", "Haven ratio"},
      {"conductivity_s_m", "ionic conductivity / (S/m)"},
      {"energy_j", "energy / J"}};
  for (const auto& [name, text] : words)
    if (name == figure) return text;
  return figure;
}

}  // namespace

void write_sweep_outputs(const sweep_plan& plan, const sweep_options& o, const std::vector<sweep_row>& rows_in) {
  auto rows = rows_in;
  std::sort(rows.begin(), rows.end(), [](const sweep_row& a, const sweep_row& b) { return a.index < b.index; });
  const fs::path dir(o.out_dir);
  const auto& figures = sweep_figures();
  std::string csv = "index,seed";
  for (const auto& k : plan.keys) csv += "," + k;
  for (const auto& f : figures) csv += "," + f;
  csv += "\n";
  for (const auto& r : rows) {
    const sweep_point& p = plan.points[static_cast<std::size_t>(r.index)];
    csv += fmt::format("{},{}", p.index, p.seed);
    for (double v : p.values) csv += "," + format_value(v);
    for (double f : r.figures) csv += "," + (std::isfinite(f) ? format_figure(f) : std::string());
    csv += "\n";
  }
  write_file_atomic(dir / "points.csv", csv);
  // The points.csv column (0-based) of a key or a figure.
  const auto col = [&](const std::string& name) {
    const auto k = std::find(plan.keys.begin(), plan.keys.end(), name);
    if (k != plan.keys.end()) return 2 + static_cast<int>(k - plan.keys.begin());
    return 2 + static_cast<int>(plan.keys.size() + static_cast<std::size_t>(std::find(figures.begin(), figures.end(), name) - figures.begin()));
  };
  // Arrhenius fit when temperature is the only key: ln(figure) against 1/T.
  json_doc arrhenius = nullptr;
  bool arrhenius_determined = false;
  if (plan.keys.size() == 1 && plan.keys[0] == "device.temperature_k" && rows.size() >= 2) {
    const auto figure = static_cast<std::size_t>(std::find(figures.begin(), figures.end(), plan.figure) - figures.begin());
    std::vector<double> t, y;
    for (const auto& r : rows) {
      t.push_back(plan.points[static_cast<std::size_t>(r.index)].values[0]);
      y.push_back(r.figures[figure]);
    }
    // τ ∝ exp(+Ea/kT); rates, diffusivities and conductivities ∝ exp(−Ea/kT).
    const arrhenius_fit fit = fit_arrhenius(t, y, plan.figure == "tau_s");
    // Undetermined (fewer than two distinct temperatures with a figure > 0):
    // null and "undetermined", never 0 ± 0.
    arrhenius = {{"figure", plan.figure},
                 {"activation_energy_ev", fit.determined ? json_number(fit.activation_energy_ev, 6) : json_doc()},
                 {"standard_error_ev", fit.error_determined ? json_number(fit.standard_error_ev, 3) : json_doc()},
                 {"undetermined", !fit.determined},
                 {"points", fit.inv_t_per_k.size()}};
    if (!o.quiet && fit.determined)
      fmt::print(stderr, "ionrail sweep: Arrhenius fit of {}: Ea = {:.4f} {} eV ({} points)\n", plan.figure,
                 fit.activation_energy_ev,
                 fit.error_determined ? fmt::format("± {:.4f}", fit.standard_error_ev) : std::string("(error undetermined)"),
                 fit.inv_t_per_k.size());
    if (!o.quiet && !fit.determined)
      fmt::print(stderr, "ionrail sweep: Arrhenius fit of {} undetermined ({} distinct temperature(s) with {} > 0)\n",
                 plan.figure, fit.inv_t_per_k.size(), plan.figure);
    arrhenius_determined = fit.determined;
  }
  write_json(dir / "summary.json", {{"file", plan.file},
                                    {"points", rows.size()},
                                    {"keys", plan.keys},
                                    {"base_seed", plan.base_seed},
                                    {"git", git_hash()},
                                    {"arrhenius", arrhenius}});
  std::ostringstream gp;
  gp << "set encoding utf8\nset datafile separator ','\nset terminal pngcairo noenhanced size 900,600 font 'DejaVu Sans,11'\n"
        "set grid\n";
  const std::string figure_words = gnuplot_quoted(figure_label(plan.figure));
  if (arrhenius_determined) {
    // The fit printed on the plot is the one summary.json holds.
    gp << "set output 'arrhenius.png'\nset title 'Arrhenius plot over the sweep'\nset xlabel '1/T (1/K)'\nset ylabel 'ln("
       << figure_words << ")'\nset key inside bottom right\n"
       << fmt::format("set label 1 'Ea = {:.3f} {} eV' at graph 0.05, graph 0.92 font ',13'\n", arrhenius["activation_energy_ev"].get<double>(),
                      arrhenius["standard_error_ev"].is_null() ? std::string("(error undetermined)")
                                                                : fmt::format("± {:.3f}", arrhenius["standard_error_ev"].get<double>()))
       << "set fit quiet\nset fit logfile '/dev/null'\nf(x) = a + b*x\nfit f(x) 'points.csv' every ::1 using (1/$3):(log($"
       << col(plan.figure) + 1 << ")) via a, b\nplot 'points.csv' every ::1 using (1/$3):(log($" << col(plan.figure) + 1
       << ")) with points pt 7 ps 1.5 title 'sweep points', f(x) with lines lw 2 title 'least-squares line'\nunset label 1\n";
  }
  // A heat map of nothing is no plot: every point without the figure (e.g.
  // retained_after_10s of runs shorter than 10 s after release) says so.
  const auto figure_index = static_cast<std::size_t>(std::find(figures.begin(), figures.end(), plan.figure) - figures.begin());
  const bool heatmap_has_data = std::any_of(rows.begin(), rows.end(), [&](const sweep_row& r) {
    return figure_index < r.figures.size() && std::isfinite(r.figures[figure_index]);
  });
  if (plan.heatmap.size() == 2 && !heatmap_has_data && !o.quiet)
    fmt::print(stderr, "ionrail sweep: no heat map: no point has a value of {}\n", plan.figure);
  if (plan.heatmap.size() == 2 && heatmap_has_data)
    gp << "set output 'heatmap.png'\nset title '" << figure_words << " over " << gnuplot_quoted(key_words(plan.heatmap[0]))
       << " and " << gnuplot_quoted(key_words(plan.heatmap[1])) << "'\nset xlabel '" << gnuplot_quoted(key_axis_label(plan.heatmap[0]))
       << "'\nset ylabel '" << gnuplot_quoted(key_axis_label(plan.heatmap[1])) << "'\nset cblabel '" << figure_words
       << "'\nset palette rgb 33,13,10\nset offsets graph 0.06, graph 0.06, graph 0.06, graph 0.06\n"
       << "plot 'points.csv' every ::1 using " << col(plan.heatmap[0]) + 1 << ":" << col(plan.heatmap[1]) + 1 << ":"
       << col(plan.figure) + 1 << " with points pt 5 ps 4 palette title ''\n";
  write_file_atomic(dir / "plots.gp", gp.str());
  if (arrhenius_determined || (plan.heatmap.size() == 2 && heatmap_has_data)) render_plots(dir.string(), o.quiet);
}

void run_sweep(const std::string& path, const sweep_options& o) {
  const sweep_plan plan = load_sweep(path, o.overrides);
  // Every point checked before DIR is touched: a refused sweep leaves
  // nothing behind (and --force removes nothing).
  check_sweep_points(plan, o);
  // DIR's lock for the whole sweep (its points lock their own directories):
  // a second sweep on DIR would run the same unfinished points twice.
  const output_lock lock(o.out_dir);
  if (o.force) {
    refuse_to_remove(o.out_dir, o.out_dir);  // the sweep file and what it reads, loaded above
    fs::remove_all(o.out_dir);
  }
  check_sweep_dir(o);
  check_finished_points(plan, o);  // before any point runs: nothing old is mixed with new
  remove_stale_point_partials(o);
  std::vector<int> all(plan.points.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  if (!o.quiet) fmt::print(stderr, "ionrail sweep: {} points, {} at a time\n", plan.points.size(), std::max(1, o.jobs));
  const auto rows = run_sweep_points(plan, o, all);
  write_sweep_outputs(plan, o, rows);
  if (!o.quiet) fmt::print(stderr, "ionrail sweep: wrote {}\n", (fs::path(o.out_dir) / "points.csv").string());
}

}  // namespace ionrail::app
