// The extension module ionrail._ionrail: thin pybind11 bindings of the C++
// libraries (docs/python.md). No physics here: every number comes from
// ionrail::model, ionrail::model_io, ionrail::circuits and ionrail::runs (the
// runner the `ionrail` commands call too).
// Errors: ionrail::input_error and std::invalid_argument become ValueError
// (FileNotFoundError when the file is missing) with the message the CLI
// prints after "ionrail: "; calibration::interrupted becomes
// KeyboardInterrupt. Long calls release the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>

#include <signal.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <ionrail/runs/calibrate.hpp>
#include <ionrail/runs/file_kind.hpp>
#include <ionrail/runs/runner.hpp>
#include <ionrail/config/run_config.hpp>
#include <ionrail/calibration/run_control.hpp>
#include <ionrail/circuits/crossbar_array.hpp>
#include <ionrail/circuits/crossbar_learning.hpp>
#include <ionrail/circuits/digits.hpp>
#include <ionrail/circuits/mnist.hpp>
#include <ionrail/model/batch.hpp>
#include <ionrail/model/table.hpp>
#include <ionrail/model_io/circuit_export.hpp>
#include <ionrail/model_io/input_error.hpp>
#include <ionrail/model_io/input_file.hpp>
#include <ionrail/model_io/table_files.hpp>

namespace py = pybind11;
using namespace ionrail;

namespace {

using f64_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

// Volts → q_volt raw, as model code converts them (from_double: nearest, saturated).
// Finite and within the model's ±16 V (q_volt would saturate a larger value
// silently: step(100) acted as step(16)).
void check_volts(const double* p, py::ssize_t n) {
  const double max = model::q_volt::max().to_double();
  for (py::ssize_t i = 0; i < n; ++i)
    if (!std::isfinite(p[i]) || std::fabs(p[i]) > max)
      throw std::invalid_argument("v[" + std::to_string(i) + "] is " + std::to_string(p[i]) +
                                  "; expected a finite voltage within +-" + std::to_string(max) + " V, the model's range");
}

std::vector<std::int16_t> to_volts(const f64_array& v, std::size_t n) {
  std::vector<std::int16_t> out(n);
  const auto buf = v.request();
  const double* p = static_cast<const double*>(buf.ptr);
  check_volts(p, buf.size);
  if (buf.size == 1) {
    const std::int16_t r = model::q_volt::from_double(p[0]).raw();
    for (auto& x : out) x = r;
  } else if (static_cast<std::size_t>(buf.size) == n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = model::q_volt::from_double(p[i]).raw();
  } else {
    throw std::invalid_argument("v has " + std::to_string(buf.size) + " values; expected 1 or " + std::to_string(n) +
                                " (one per device)");
  }
  return out;
}

model_io::table_format format_of(const std::string& name) { return model_io::parse_table_format(name); }

// A table and the numbers of its table.json that the commands use
// (model_io::table_metadata_keys: dt_m_s, s_eq, device_rails, the two
// initial variances), those it has, in that order: Table.save writes them
// back, so a loaded-then-saved table stays usable by `ionrail replay` and
// `ionrail export` (they were dropped, and the commands refused the copy).
struct table_py {
  model::table table;
  std::vector<std::pair<std::string, double>> metadata;
};

// The metadata DIR/table.json records, each checked against its range (as
// load_table_consistent does; a number out of range is refused, naming the
// file); a key it does not name is not recorded.
std::vector<std::pair<std::string, double>> metadata_of(const std::string& dir) {
  const std::string text = model_io::read_input_file((std::filesystem::path(dir) / "table.json").string());
  std::vector<std::pair<std::string, double>> out;
  for (const std::string& key : model_io::table_metadata_keys())
    if (text.find("\"" + key + "\"") != std::string::npos) out.emplace_back(key, model_io::table_metadata(dir, key));
  return out;
}

table_py loaded(const std::string& dir, model::table t) { return table_py{std::move(t), metadata_of(dir)}; }

// A metadata mapping from Python (None: none), every key one of
// table_metadata_keys and every value in its range
// (model_io::check_table_metadata), in the keys' order.
std::vector<std::pair<std::string, double>> metadata_from(const py::object& given) {
  std::vector<std::pair<std::string, double>> out;
  if (given.is_none()) return out;
  if (!py::isinstance(given, py::module_::import("collections.abc").attr("Mapping")))
    throw py::type_error("metadata must be a dict of table.json numbers (dt_m_s, s_eq, device_rails, "
                         "initial_variance, initial_slow_variance); got " +
                         std::string(py::str(py::type::of(given).attr("__name__"))));
  const py::dict d(given);
  const py::object real = py::module_::import("numbers").attr("Real");
  for (const auto& [k, v] : d) {
    if (!py::isinstance<py::str>(k))
      throw py::type_error("metadata keys must be strings; got " + std::string(py::repr(k)));
    const std::string key = k.cast<std::string>();
    const auto& keys = model_io::table_metadata_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string known;
      for (const auto& n : keys) known += (known.empty() ? "" : ", ") + n;
      throw std::invalid_argument("metadata: " + std::string(py::repr(k)) + " is not a table metadata key (expected " +
                                  known + ")");
    }
    if (py::isinstance<py::bool_>(v) || !py::isinstance(v, real))
      throw py::type_error("metadata[" + std::string(py::repr(k)) + "] must be a number; got " + std::string(py::repr(v)));
  }
  for (const std::string& key : model_io::table_metadata_keys())
    if (d.contains(key)) {
      const double x = d[py::str(key)].cast<double>();
      model_io::check_table_metadata(key, x, "metadata");
      out.emplace_back(key, x);
    }
  return out;
}

py::dict metadata_dict(const table_py& t) {
  py::dict d;
  for (const auto& [k, v] : t.metadata) {
    if (k == "device_rails")
      d[py::str(k)] = py::int_(static_cast<long long>(v));  // a whole number (checked)
    else
      d[py::str(k)] = v;
  }
  return d;
}

py::object metadata_view(const table_py& t) { return py::module_::import("types").attr("MappingProxyType")(metadata_dict(t)); }

// A finite number as JSON text that reads back as the same double (the
// shortest of %.15g, %.16g, %.17g that does: 0.05, not 0.050000000000000003).
std::string json_number(double v) {
  char buf[40];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

py::array_t<double> grid_array(const std::vector<model::q_delta>& a, const model::table_grid& g) {
  py::array_t<double> out({static_cast<py::ssize_t>(g.n_s), static_cast<py::ssize_t>(g.n_v)});
  double* p = out.mutable_data();
  for (std::size_t i = 0; i < a.size(); ++i) p[i] = a[i].to_double();
  return out;
}

std::vector<double> vec_of(const f64_array& a, const char* name, std::size_t n) {
  if (static_cast<std::size_t>(a.size()) != n)
    throw std::invalid_argument(std::string(name) + " has " + std::to_string(a.size()) + " values; expected " +
                                std::to_string(n));
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(a.data()[i]))
      throw std::invalid_argument(std::string(name) + "[" + std::to_string(i) + "] is not a finite number");
  return std::vector<double>(a.data(), a.data() + n);
}

// A batch of compact-model devices on one table (model/batch.hpp).
// Every call that releases the GIL holds the object's mutex while it works:
// two Python threads stepping one batch interleaved its devices' updates
// (a different state than either order would give).
struct device_batch_py {
  model::table table;
  model::device_batch b;
  std::vector<std::int16_t> vbuf;
  std::mutex busy;

  device_batch_py(const model::table& t, std::size_t n, std::uint64_t seed, double gain_sigma, double offset_sigma_s,
                  double initial_state, bool noise)
      : table(t) {
    circuits::check_device_start(initial_state, gain_sigma, offset_sigma_s, "");
    b = model::make_batch(n, seed, model::variation_params::from_si(gain_sigma, offset_sigma_s),
                          model::q_state::from_double(initial_state), noise);
  }
  device_batch_py(const model::table& t, model::device_batch devices) : table(t), b(std::move(devices)) {}
  // An independent batch in this one's exact state, taken under the lock.
  device_batch_py(device_batch_py& from) : table(from.table), b(from.snapshot()) {}
  std::size_t size() const { return b.size(); }

  void step_raw_ptr(const std::int16_t* v, int steps) {
    py::gil_scoped_release nogil;
    const std::lock_guard<std::mutex> hold(busy);  // one call at a time per object, from any Python thread
    const model::table_view tv = table.view();
    for (int k = 0; k < steps; ++k) model::step_batch(tv, b, v);
  }

  // The devices in one consistent state (a copy, a pickle): taken under the
  // lock, without the GIL, while another Python thread may be stepping.
  model::device_batch snapshot() {
    py::gil_scoped_release nogil;
    const std::lock_guard<std::mutex> hold(busy);
    return b;
  }
};

template <class T>
py::array_t<T> view_of(std::vector<T>& v, py::object owner) {
  return py::array_t<T>({static_cast<py::ssize_t>(v.size())}, {static_cast<py::ssize_t>(sizeof(T))}, v.data(), owner);
}

// ---- pickles (docs/python.md): exact raw values, checked on the way back ----
// A state is a tuple (pickle_format, ...); whatever it holds is checked as
// user input is (the table's checks and checksum, the crossbar's params and
// restore), so a corrupt or edited pickle raises ValueError, never builds a
// bad object.
constexpr long long pickle_format = 1;

// __reduce_ex__ of the pickled classes, for every protocol: rebuilt by
// copyreg.__newobj__(cls) and __setstate__(state). pybind11's own path
// (object.__reduce_ex__) aborted the process for protocols 0 and 1
// ("instance allocation failed"); from 2 on pickle writes this as NEWOBJ.
py::tuple reduce_by_state(const py::object& self, int /*protocol*/) {
  return py::make_tuple(py::module_::import("copyreg").attr("__newobj__"), py::make_tuple(py::type::of(self)),
                        self.attr("__getstate__")());
}

// STATE as the tuple of a WHAT pickle of N items in this format.
py::tuple pickle_state(const py::object& state, const std::string& what, std::size_t n) {
  if (!py::isinstance<py::tuple>(state) || py::len(state) != n || !py::isinstance<py::int_>(py::tuple(state)[0]) ||
      py::tuple(state)[0].cast<long long>() != pickle_format)
    throw std::invalid_argument(what + " pickle: expected a tuple of " + std::to_string(n) + " items, format " +
                                std::to_string(pickle_format) + " first (a pickle of this ionrail version); got " +
                                std::string(py::repr(state)).substr(0, 80));
  return py::tuple(state);
}

// D[KEY] of a WHAT pickle's dict, cast to T (ValueError if D is no dict, lacks KEY or holds another type).
template <class T>
T pickled(const py::object& d, const char* key, const std::string& what) {
  if (!py::isinstance<py::dict>(d) || !py::dict(d).contains(key))
    throw std::invalid_argument(what + " pickle: no \"" + key + "\" in " + std::string(py::repr(d)).substr(0, 80));
  try {
    return py::dict(d)[key].cast<T>();
  } catch (const py::cast_error&) {
    throw std::invalid_argument(what + " pickle: \"" + key + "\" is " + std::string(py::repr(py::dict(d)[key])).substr(0, 80) +
                                "; expected " + py::type_id<T>());
  }
}

// F() with pybind11's errors for a malformed WHAT state (an item of the
// wrong type, an int too large) as ValueError "WHAT pickle: ...".
template <class F>
auto unpickled(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const py::cast_error& e) {
    throw std::invalid_argument(what + " pickle: an item has the wrong type (" + std::string(e.what()) + ")");
  } catch (const py::type_error& e) {
    throw std::invalid_argument(what + " pickle: " + std::string(e.what()));
  }
}

// Raw values as a NumPy array (a copy) and back: a 1-D array of exactly
// dtype T and N values, ValueError naming NAME otherwise.
template <class T>
py::array_t<T> raw_array(const T* v, std::size_t n) {
  return py::array_t<T>(static_cast<py::ssize_t>(n), v);
}
template <class T>
std::vector<T> raw_vector(const py::object& o, const std::string& name, std::size_t n) {
  // check_: an array of a type equivalent to T's (a dtype from another pickle is not the same object).
  if (!py::array_t<T>::check_(o) || py::array(o).ndim() != 1 ||
      static_cast<std::size_t>(py::array(o).size()) != n)
    throw std::invalid_argument(name + ": expected a 1-D " + std::string(py::str(py::dtype::of<T>())) + " array of " +
                                std::to_string(n) + " values; got " + std::string(py::repr(o)).substr(0, 80));
  const auto a = py::array_t<T, py::array::c_style>::ensure(o);
  return std::vector<T>(a.data(), a.data() + n);
}
// The same for fixed-point entries (their raw words).
template <class Q>
py::array_t<typename Q::raw_type> fixed_array(const std::vector<Q>& v) {
  std::vector<typename Q::raw_type> raw(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) raw[i] = v[i].raw();
  return raw_array(raw.data(), raw.size());
}
template <class Q>
std::vector<Q> fixed_vector(const py::object& o, const std::string& name, std::size_t n) {
  std::vector<Q> out;
  out.reserve(n);
  for (const auto r : raw_vector<typename Q::raw_type>(o, name, n)) out.push_back(Q::from_raw(r));
  return out;
}

// Table pickle: (format, (n_s, n_v, s_log2_step, v_log2_step), drift, noise,
// fluct, g (raw int32 arrays), fluct_rho raw, fluct_kick raw, checksum hex,
// metadata dict).
py::tuple table_state(const table_py& tp) {
  const model::table& t = tp.table;
  return py::make_tuple(pickle_format, py::make_tuple(t.grid.n_s, t.grid.n_v, t.grid.s_log2_step, t.grid.v_log2_step),
                        fixed_array(t.drift), fixed_array(t.noise), fixed_array(t.fluct), fixed_array(t.g),
                        t.fluct_rho.raw(), t.fluct_kick.raw(), model_io::checksum_hex(t), metadata_dict(tp));
}

table_py table_from_state(const py::object& state) {
  const std::string what = "Table";
  const py::tuple s = pickle_state(state, what, 10);
  return unpickled(what, [&] {
    const auto grid_items = s[1].cast<std::vector<std::int32_t>>();
    if (grid_items.size() != 4)
      throw std::invalid_argument("Table pickle: grid: expected (n_s, n_v, s_log2_step, v_log2_step); got " +
                                  std::string(py::repr(s[1])));
    model::table t;
    t.grid = model::table_grid{grid_items[0], grid_items[1], grid_items[2], grid_items[3]};
    if (model::check_grid(t.grid) != model::table_status::ok)
      throw std::invalid_argument("Table pickle: grid: " + std::string(model::describe(model::check_grid(t.grid))));
    const std::size_t cells = t.grid.cells();
    t.drift = fixed_vector<model::q_delta>(s[2], "Table pickle: drift", cells);
    t.noise = fixed_vector<model::q_delta>(s[3], "Table pickle: noise", cells);
    t.fluct = fixed_vector<model::q_delta>(s[4], "Table pickle: fluct", cells);
    t.g = fixed_vector<model::q_cond>(s[5], "Table pickle: g", static_cast<std::size_t>(t.grid.n_s));
    t.fluct_rho = model::q_coeff::from_raw(s[6].cast<std::int32_t>());
    t.fluct_kick = model::q_coeff::from_raw(s[7].cast<std::int32_t>());
    if (t.check() != model::table_status::ok)
      throw std::invalid_argument("Table pickle: " + std::string(model::describe(t.check())));
    const std::string recorded = s[8].cast<std::string>(), actual = model_io::checksum_hex(t);
    if (actual != recorded)
      throw std::invalid_argument("Table pickle: checksum " + actual + " of its entries is not the recorded " + recorded +
                                  ": " + model::describe(model::table_status::bad_checksum));
    try {
      return table_py{std::move(t), metadata_from(s[9])};
    } catch (const ionrail::input_error& e) {  // a value out of its range
      throw std::invalid_argument("Table pickle: " + std::string(e.what()));
    } catch (const std::invalid_argument& e) {  // a key that is none of table.json's
      throw std::invalid_argument("Table pickle: " + std::string(e.what()));
    }
  });
}

// Crossbar with energy and pulse counters kept beside it.
struct crossbar_py {
  circuits::crossbar_array x;
  std::mutex busy;  // as device_batch_py's
  double energy_j = 0;
  long long pulses = 0;
  long long reads = 0;
  crossbar_py(const model::table& t, const circuits::crossbar_params& p) : x(t, p) {}
  // An independent crossbar in this one's exact state (every device's
  // state, fluctuation, variation and generator, the step count and the
  // counters): crossbar_array's copy, taken under the lock.
  crossbar_py(crossbar_py& from) : x(from.snapshot()), energy_j(from.energy_j), pulses(from.pulses), reads(from.reads) {}

  // The array in one consistent state, as device_batch_py::snapshot.
  circuits::crossbar_array snapshot() {
    py::gil_scoped_release nogil;
    const std::lock_guard<std::mutex> hold(busy);
    return x;
  }
};

// A number the table's metadata records, if it does.
std::optional<double> recorded(const table_py& t, const std::string& key) {
  for (const auto& [k, v] : t.metadata)
    if (k == key) return v;
  return std::nullopt;
}

// The model step and initial state of a Crossbar on table T, as `ionrail
// crossbar` takes them (apps/src/crossbar_run.cpp): always the table's
// recorded dt_m_s (its drift and noise are per step of that length; the
// command has no key to change it), so another value given is refused; the
// table's s_eq unless initial_state is given. A table that records neither
// (from_arrays without metadata) takes the values given, or 0.05 s and 0.25.
void table_step_and_state(const table_py& t, std::optional<double> dt_m_s, std::optional<double> initial_state,
                          circuits::crossbar_params& p) {
  if (const auto table_dt = recorded(t, "dt_m_s")) {
    if (dt_m_s && !(*dt_m_s == *table_dt))
      throw std::invalid_argument("dt_m_s = " + json_number(*dt_m_s) + ": the table records its model step, dt_m_s = " +
                                  json_number(*table_dt) + " s (its drift and noise are per step of that length), and "
                                  "`ionrail crossbar` always steps at it (no key changes it): leave dt_m_s out or pass " +
                                  json_number(*table_dt));
    p.dt_m_s = *table_dt;
  } else {
    p.dt_m_s = dt_m_s.value_or(0.05);
  }
  p.initial_state = initial_state ? *initial_state : recorded(t, "s_eq").value_or(0.25);
}

circuits::cell_selector selector_of(const std::string& name) {
  if (name == "passive") return circuits::cell_selector::passive;
  if (name == "1t1r") return circuits::cell_selector::transistor;
  throw std::invalid_argument("selector must be \"passive\" or \"1t1r\"; got \"" + name + "\"");
}

// The members of the pickled dicts, by name (the constructor's keywords for
// the params).
template <class S, class T>
using members = std::vector<std::pair<const char*, T S::*>>;
const members<circuits::crossbar_params, int> param_ints{
    {"rows", &circuits::crossbar_params::rows}, {"cols", &circuits::crossbar_params::cols},
    {"dac_bits", &circuits::crossbar_params::dac_bits}, {"adc_bits", &circuits::crossbar_params::adc_bits}};
const members<circuits::crossbar_params, double> param_reals{
    {"v_read_v", &circuits::crossbar_params::v_read_v}, {"adc_full_scale_a", &circuits::crossbar_params::adc_full_scale_a},
    {"wire_ohm", &circuits::crossbar_params::wire_ohm}, {"gain_sigma", &circuits::crossbar_params::gain_sigma},
    {"offset_sigma_s", &circuits::crossbar_params::offset_sigma_s}, {"dt_m_s", &circuits::crossbar_params::dt_m_s},
    {"initial_state", &circuits::crossbar_params::initial_state}};
const members<circuits::array_activity, long long> activity_counts{
    {"reads", &circuits::array_activity::reads}, {"dac_conversions", &circuits::array_activity::dac_conversions},
    {"adc_conversions", &circuits::array_activity::adc_conversions}, {"write_steps", &circuits::array_activity::write_steps},
    {"cells_driven", &circuits::array_activity::cells_driven}, {"relax_steps", &circuits::array_activity::relax_steps}};
const members<circuits::array_activity, double> activity_sums{
    {"read_power_w", &circuits::array_activity::read_power_w}, {"row_v2", &circuits::array_activity::row_v2},
    {"write_energy_j", &circuits::array_activity::write_energy_j}};
const members<model::device_batch, std::vector<std::int32_t>> device_words{
    {"state", &model::device_batch::state}, {"fluct", &model::device_batch::fluct},
    {"gain", &model::device_batch::gain}, {"g_offset", &model::device_batch::g_offset}};

template <class S, class T>
void put(py::dict& d, const S& from, const members<S, T>& m) {
  for (const auto& [name, at] : m) d[name] = from.*at;
}
template <class S, class T>
void take(const py::object& d, S& into, const members<S, T>& m, const std::string& what) {
  for (const auto& [name, at] : m) into.*at = pickled<T>(d, name, what);
}

// Item I of a WHAT pickle's state: a Table (ValueError otherwise).
const model::table& pickled_table(const py::tuple& s, std::size_t i, const std::string& what) {
  if (!py::isinstance<table_py>(s[i]))
    throw std::invalid_argument(what + " pickle: item " + std::to_string(i) + " is " +
                                std::string(py::repr(s[i])).substr(0, 80) + "; expected an ionrail.Table");
  return s[i].cast<const table_py&>().table;
}

// Every device's raw words as a dict of NumPy arrays (the pickles of a
// Crossbar and a DeviceBatch), and back: N devices, each array checked for
// its dtype and length (values are checked by circuits::check_device_batch).
py::dict devices_dict(const model::device_batch& b) {
  py::dict devices;
  for (const auto& [name, at] : device_words) devices[name] = raw_array((b.*at).data(), (b.*at).size());
  devices["rng"] = raw_array(b.rng.data(), b.rng.size());
  devices["noise"] = raw_array(b.noise.data(), b.noise.size());
  return devices;
}
model::device_batch devices_from(const py::object& d, std::size_t n, const std::string& what) {
  if (!py::isinstance<py::dict>(d)) throw std::invalid_argument(what + " pickle: an item is not the dict of device arrays");
  model::device_batch b;
  for (const auto& [name, at] : device_words)
    b.*at = raw_vector<std::int32_t>(pickled<py::object>(d, name, what), what + " pickle: devices " + name, n);
  b.rng = raw_vector<std::uint32_t>(pickled<py::object>(d, "rng", what), what + " pickle: devices rng", n);
  b.noise = raw_vector<std::uint8_t>(pickled<py::object>(d, "noise", what), what + " pickle: devices noise", n);
  return b;
}

// Crossbar pickle: (format, params dict, Table, devices dict of raw arrays,
// steps, activity dict, counters dict {energy_j, pulses, reads}).
py::tuple crossbar_state(crossbar_py& c) {
  const circuits::crossbar_array x = c.snapshot();  // as copy.deepcopy
  const circuits::crossbar_params& p = x.params();
  py::dict params, activity, counters;
  put(params, p, param_ints);
  put(params, p, param_reals);
  params["noise"] = p.noise;
  params["seed"] = p.seed;
  params["selector"] = p.selector == circuits::cell_selector::transistor ? "1t1r" : "passive";
  put(activity, x.activity(), activity_counts);
  put(activity, x.activity(), activity_sums);
  counters["energy_j"] = c.energy_j;
  counters["pulses"] = c.pulses;
  counters["reads"] = c.reads;
  return py::make_tuple(pickle_format, params, table_py{x.table(), {}}, devices_dict(x.devices()), x.steps(), activity,
                        counters);
}

crossbar_py* crossbar_from_state(const py::object& state) {
  const std::string what = "Crossbar";
  const py::tuple s = pickle_state(state, what, 7);
  return unpickled(what, [&] {
    const model::table& table = pickled_table(s, 2, what);
    circuits::crossbar_params p;
    take(s[1], p, param_ints, what);
    take(s[1], p, param_reals, what);
    p.noise = pickled<bool>(s[1], "noise", what);
    p.seed = pickled<std::uint64_t>(s[1], "seed", what);
    p.selector = selector_of(pickled<std::string>(s[1], "selector", what));
    auto c = std::make_unique<crossbar_py>(table, p);  // checks the params
    const std::size_t n = c->x.devices().size();
    const model::device_batch b = devices_from(s[3], n, what);
    circuits::array_activity a;
    take(s[5], a, activity_counts, what);
    take(s[5], a, activity_sums, what);
    if (!py::isinstance<py::int_>(s[4])) throw std::invalid_argument("Crossbar pickle: item 4 (steps) is not an int");
    c->x.restore(b, s[4].cast<long long>(), a);  // checks every value
    c->energy_j = pickled<double>(s[6], "energy_j", what);
    c->pulses = pickled<long long>(s[6], "pulses", what);
    c->reads = pickled<long long>(s[6], "reads", what);
    if (!(std::isfinite(c->energy_j) && c->energy_j >= 0) || c->pulses < 0 || c->reads < 0)
      throw std::invalid_argument("Crossbar pickle: energy_j " + std::to_string(c->energy_j) + ", pulses " +
                                  std::to_string(c->pulses) + ", reads " + std::to_string(c->reads) +
                                  "; expected a finite energy >= 0 and counts >= 0");
    return c.release();
  });
}

// DeviceBatch pickle: (format, Table, devices dict of raw arrays, as a
// Crossbar's). Every device keeps its own noise flag here.
py::tuple device_batch_state(device_batch_py& d) {
  return py::make_tuple(pickle_format, table_py{d.table, {}}, devices_dict(d.snapshot()));
}

device_batch_py* device_batch_from_state(const py::object& state) {
  const std::string what = "DeviceBatch";
  const py::tuple s = pickle_state(state, what, 3);
  return unpickled(what, [&] {
    const model::table& table = pickled_table(s, 1, what);
    // The batch is as long as its pickled state array; every other array must match it.
    const py::object state_array = py::isinstance<py::dict>(s[2]) ? pickled<py::object>(s[2], "state", what) : py::none();
    if (!py::isinstance<py::array>(state_array) || py::array(state_array).ndim() != 1)
      throw std::invalid_argument("DeviceBatch pickle: item 2 is not the dict of device arrays (a 1-D \"state\" first)");
    model::device_batch b = devices_from(s[2], static_cast<std::size_t>(py::array(state_array).size()), what);
    circuits::check_device_batch(b, b.size(), "DeviceBatch pickle");
    return new device_batch_py(table, std::move(b));
  });
}

// While it lives, the process's SIGINT and SIGTERM actions are those saved
// at its construction when it ends: calibration::run_control installs its own
// handlers for a run and resets them to SIG_DFL afterwards, which would leave
// Python without its KeyboardInterrupt handler.
class signal_guard {
 public:
  signal_guard() {
    sigaction(SIGINT, nullptr, &int_);
    sigaction(SIGTERM, nullptr, &term_);
  }
  ~signal_guard() {
    sigaction(SIGINT, &int_, nullptr);
    sigaction(SIGTERM, &term_, nullptr);
  }
  signal_guard(const signal_guard&) = delete;
  signal_guard& operator=(const signal_guard&) = delete;

 private:
  struct sigaction int_ {};
  struct sigaction term_ {};
};

py::dict info_dict(const kmc::run_info& i) {
  py::dict d;
  d["solver"] = i.solver == kmc::method::sync ? "sync" : "bkl";
  d["backend"] = i.backend;
  d["seed"] = i.seed;
  d["dt_s"] = i.dt_s;
  d["steps"] = i.steps;
  d["events"] = i.events;
  d["attempts"] = i.attempts;
  d["threads"] = i.threads;
  return d;
}

}  // namespace

PYBIND11_MODULE(_ionrail, m) {
  m.doc() = "ionrail C++ core (pybind11)";
  m.attr("__version__") = IONRAIL_VERSION;

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const calibration::interrupted& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const ionrail::input_error& e) {
      const std::string w = e.what();
      if (w.find("(no such file") != std::string::npos)
        PyErr_SetString(PyExc_FileNotFoundError, e.what());
      else
        PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::system_error& e) {
      // A write that failed (a full disk, no permission, a missing
      // directory; std::filesystem's errors too): OSError with its errno,
      // so that PermissionError and the like can be caught as usual.
      if (e.code().category() == std::generic_category() || e.code().category() == std::system_category()) {
        py::object err = py::reinterpret_steal<py::object>(
            PyObject_CallFunction(PyExc_OSError, "is", e.code().value(), e.what()));
        if (err) PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(err.ptr())), err.ptr());
      } else {
        PyErr_SetString(PyExc_RuntimeError, e.what());
      }
    }
  });

  // ---- tables ----
  py::class_<table_py>(m, "Table", "A response table (model::table) and its table.json metadata; see docs/compact-model-format.md")
      .def_static(
          "load",
          [](const std::filesystem::path& dir, const std::string& format) {
            return loaded(dir.string(), model_io::load_table(dir.string(), format_of(format)));
          },
          py::arg("dir"), py::arg("format") = "hex",
          "Load a table directory in one of its formats (hex, csv, header) and the metadata its table.json records")
      .def_static(
          "from_arrays",
          [](int s_log2_step, int v_log2_step, const f64_array& drift, const f64_array& noise, const f64_array& fluct,
             const f64_array& g_siemens, double fluct_rho, const py::object& metadata) {
            if (drift.ndim() != 2) throw std::invalid_argument("drift must be a 2-D array (n_s, n_v)");
            auto meta = metadata_from(metadata);
            const model::table_grid grid{static_cast<std::int32_t>(drift.shape(0)), static_cast<std::int32_t>(drift.shape(1)),
                                         s_log2_step, v_log2_step};
            const std::size_t cells = static_cast<std::size_t>(drift.size());
            return table_py{model_io::table_from_arrays(grid, vec_of(drift, "drift", cells), vec_of(noise, "noise", cells),
                                                        vec_of(fluct, "fluct", cells), vec_of(g_siemens, "g_siemens", grid.n_s),
                                                        fluct_rho),
                            std::move(meta)};
          },
          py::arg("s_log2_step"), py::arg("v_log2_step"), py::arg("drift"), py::arg("noise"), py::arg("fluct"),
          py::arg("g_siemens"), py::arg("fluct_rho") = 0.0, py::kw_only(), py::arg("metadata") = py::none(),
          "Build a table from NumPy arrays (n_s, n_v) in state units per model step and G(s) in siemens; metadata: "
          "a dict of table.json numbers (dt_m_s, s_eq, device_rails, initial_variance, initial_slow_variance)")
      .def(
          "save",
          [](const table_py& t, const std::filesystem::path& dir, bool overwrite) {
            std::error_code ec;
            const std::filesystem::path json = dir / "table.json";
            if (!overwrite && std::filesystem::exists(json, ec)) {
              // A calibrated table's directory was replaced without a word.
              py::object err = py::reinterpret_steal<py::object>(PyObject_CallFunction(
                  PyExc_FileExistsError, "is", EEXIST,
                  (json.string() + ": a table is already saved there; pass overwrite=True to replace it").c_str()));
              if (err) PyErr_SetObject(PyExc_FileExistsError, err.ptr());
              throw py::error_already_set();
            }
            model_io::table_record record;
            for (const auto& [k, v] : t.metadata) record.json_members.emplace_back(k, json_number(v));
            model_io::write_table(dir.string(), t.table, record);
          },
          py::arg("dir"), py::arg("overwrite") = false,
          "Write every format and the metadata into DIR (created if needed), table.json last; FileExistsError if DIR "
          "already holds a table.json, unless overwrite=True")
      .def_property(
          "metadata", [](const table_py& t) { return metadata_view(t); },
          [](table_py& t, const py::object& m) { t.metadata = metadata_from(m); },
          "The table.json numbers the commands use (a read-only mapping; assign a dict to replace them)")
      .def_property_readonly("grid",
                             [](const table_py& tp) {
                               const model::table& t = tp.table;
                               py::dict d;
                               d["n_s"] = t.grid.n_s;
                               d["n_v"] = t.grid.n_v;
                               d["s_log2_step"] = t.grid.s_log2_step;
                               d["v_log2_step"] = t.grid.v_log2_step;
                               return d;
                             })
      .def_property_readonly("s_points",
                             [](const table_py& tp) {
                               const model::table& t = tp.table;
                               py::array_t<double> a(t.grid.n_s);
                               for (int i = 0; i < t.grid.n_s; ++i) a.mutable_at(i) = t.grid.s_at(i);
                               return a;
                             })
      .def_property_readonly("v_points",
                             [](const table_py& tp) {
                               const model::table& t = tp.table;
                               py::array_t<double> a(t.grid.n_v);
                               for (int j = 0; j < t.grid.n_v; ++j) a.mutable_at(j) = t.grid.v_at(j);
                               return a;
                             })
      .def_property_readonly("drift", [](const table_py& t) { return grid_array(t.table.drift, t.table.grid); })
      .def_property_readonly("noise", [](const table_py& t) { return grid_array(t.table.noise, t.table.grid); })
      .def_property_readonly("fluct", [](const table_py& t) { return grid_array(t.table.fluct, t.table.grid); })
      .def_property_readonly("g_siemens",
                             [](const table_py& tp) {
                               const model::table& t = tp.table;
                               py::array_t<double> a(t.grid.n_s);
                               for (int i = 0; i < t.grid.n_s; ++i)
                                 a.mutable_at(i) = t.g[static_cast<std::size_t>(i)].to_double() * model::cond_unit_siemens;
                               return a;
                             })
      .def_property_readonly("fluct_rho", [](const table_py& t) { return t.table.fluct_rho.to_double(); })
      .def_property_readonly("checksum", [](const table_py& t) { return model_io::checksum_hex(t.table); })
      .def("__eq__",
           [](const table_py& self, const py::object& other) -> py::object {
             // Another type: NotImplemented, so `t == 5` is False (it raised TypeError).
             if (!py::isinstance<table_py>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
             const model::table& a = self.table;
             const model::table& b = other.cast<const table_py&>().table;
             if (a.grid != b.grid || a.fluct_rho.raw() != b.fluct_rho.raw() || a.fluct_kick.raw() != b.fluct_kick.raw())
               return py::bool_(false);
             auto same = [](const auto& x, const auto& y) {
               if (x.size() != y.size()) return false;
               for (std::size_t i = 0; i < x.size(); ++i)
                 if (x[i].raw() != y[i].raw()) return false;
               return true;
             };
             return py::bool_(same(a.drift, b.drift) && same(a.noise, b.noise) && same(a.fluct, b.fluct) && same(a.g, b.g));
           })
      .def(py::pickle([](const table_py& t) -> py::object { return table_state(t); },
                      [](const py::object& state) { return table_from_state(state); }),
           "Pickled exactly: raw fixed-point entries and metadata, checked (and the checksum) when unpickled")
      .def("__reduce_ex__", &reduce_by_state, py::arg("protocol"))
      .def("__repr__", [](const table_py& t) {
        return "<ionrail.Table " + std::to_string(t.table.grid.n_s) + "x" + std::to_string(t.table.grid.n_v) + " checksum " +
               model_io::checksum_hex(t.table) + ">";
      });

  m.def("table_metadata", [](const std::filesystem::path& dir, const std::string& key) { return model_io::table_metadata(dir.string(), key); }, py::arg("dir"), py::arg("key"),
        "A number from DIR/table.json under KEY (first member of that name, any depth)");

  // ---- devices ----
  py::class_<device_batch_py>(m, "DeviceBatch", "N compact-model devices stepped together (model/batch.hpp)")
      .def(py::init([](const table_py& t, std::size_t n, std::uint64_t seed, double gain_sigma, double offset_sigma_s,
                       double initial_state, bool noise) {
             return new device_batch_py(t.table, n, seed, gain_sigma, offset_sigma_s, initial_state, noise);
           }),
           py::arg("table"),
           py::arg("n"), py::arg("seed"), py::arg("gain_sigma") = 0.0, py::arg("offset_sigma_s") = 0.0,
           py::arg("initial_state") = 0.0, py::arg("noise") = true)
      .def("__len__", &device_batch_py::size)
      .def(
          "step",
          [](device_batch_py& d, const f64_array& v, int steps) {
            if (steps < 0) throw std::invalid_argument("steps " + std::to_string(steps) + " is negative");
            if (v.ndim() > 1)
              throw std::invalid_argument("v must be a scalar or a 1-D array (one value per device); got " +
                                          std::to_string(v.ndim()) + " dimensions");
            if (steps == 1 && v.ndim() == 1 && static_cast<std::size_t>(v.size()) == d.size() && d.size() > 1) {
              // One step, one voltage per device: the C++ call for volts
              // (converted block by block in cache), no copy of v.
              check_volts(v.data(), v.size());
              bool finite = true;
              {
                py::gil_scoped_release nogil;
                const std::lock_guard<std::mutex> hold(d.busy);  // one call at a time per object, from any Python thread
                finite = model::step_batch_volts(d.table.view(), d.b, v.data());
              }
              if (finite) return;
            }
            const std::vector<std::int16_t> raw = to_volts(v, d.size());  // names the bad value
            d.step_raw_ptr(raw.data(), steps);
          },
          py::arg("v"), py::arg("steps") = 1,
          "STEPS model steps with v volts (a scalar or one value per device)")
      .def(
          "step_raw",
          [](device_batch_py& d, const py::array& given, int steps) {
            // int16 only: a cast from int32 wrapped +100000 to -15.2 V.
            if (!given.dtype().is(py::dtype::of<std::int16_t>()))
              throw std::invalid_argument("v must be an int16 array of q_volt raw words; got dtype " +
                                          std::string(py::str(given.dtype())));
            const auto v = py::array_t<std::int16_t, py::array::c_style>::ensure(given);
            if (static_cast<std::size_t>(v.size()) != d.size())
              throw std::invalid_argument("v has " + std::to_string(v.size()) + " values; expected " + std::to_string(d.size()));
            if (steps < 0) throw std::invalid_argument("steps " + std::to_string(steps) + " is negative");
            d.step_raw_ptr(v.data(), steps);
          },
          py::arg("v"), py::arg("steps") = 1, "Model steps with int16 q_volt raw voltages (LSB 2^-11 V), no conversion")
      .def(
          "read_raw",
          [](device_batch_py& d, const py::object& v) {
            std::vector<std::int16_t> converted;
            const std::int16_t* raw = nullptr;
            py::array_t<std::int16_t, py::array::c_style> v16;
            // A NumPy integer array or scalar is raw words if int16 and
            // refused otherwise: np.array([2, 2]) (int64) was read as 2 V,
            // 2048 times the raw word 2 (as step_raw, which takes int16 only).
            const bool numpy_value = py::isinstance<py::array>(v) ||
                                     py::isinstance(v, py::module_::import("numpy").attr("generic"));
            const py::dtype dt = numpy_value ? py::dtype::from_args(v.attr("dtype")) : py::dtype::of<double>();
            if (dt.is(py::dtype::of<std::int16_t>())) {
              const py::array a = py::array::ensure(v);
              if (a.ndim() != 1 || static_cast<std::size_t>(a.size()) != d.size())
                throw std::invalid_argument("v is int16, q_volt raw words: expected a 1-D array of " + std::to_string(d.size()) +
                                            " values (one per device); got " + std::to_string(a.size()) + " values in " +
                                            std::to_string(a.ndim()) + " dimensions");
              v16 = py::array_t<std::int16_t, py::array::c_style>::ensure(a);
              raw = v16.data();  // q_volt raw already: no conversion
            } else if (dt.kind() == 'i' || dt.kind() == 'u' || dt.kind() == 'b') {
              throw std::invalid_argument("v has dtype " + std::string(py::str(py::object(dt))) +
                                          ": expected volts as a float array (or a number), or q_volt raw words as "
                                          "an int16 array");
            } else {
              converted = to_volts(f64_array::ensure(v), d.size());
              raw = converted.data();
            }
            py::array_t<std::int64_t> out(static_cast<py::ssize_t>(d.size()));
            std::int64_t* o = out.mutable_data();
            {
              py::gil_scoped_release nogil;
              const std::lock_guard<std::mutex> hold(d.busy);  // one call at a time per object, from any Python thread
              model::read_current_batch(d.table.view(), d.b, raw, o);
            }
            return out;
          },
          py::arg("v"),
          "Read currents as q_current raw (µA · 2^31); v in volts, or an int16 array of q_volt raw (one per device)")
      .def(
          "read",
          [](device_batch_py& d, const f64_array& v) {
            const std::vector<std::int16_t> raw = to_volts(v, d.size());
            std::vector<std::int64_t> cur(d.size());
            py::array_t<double> out(static_cast<py::ssize_t>(d.size()));
            double* o = out.mutable_data();
            {
              py::gil_scoped_release nogil;
              const std::lock_guard<std::mutex> hold(d.busy);  // one call at a time per object, from any Python thread
              model::read_current_batch(d.table.view(), d.b, raw.data(), cur.data());
              for (std::size_t i = 0; i < cur.size(); ++i)
                o[i] = static_cast<double>(cur[i]) * model::q_current::lsb * model::current_unit_ampere;
            }
            return out;
          },
          py::arg("v"), "Read currents (A) at v volts; a read does not move the devices")
      .def_property_readonly("state_raw", [](py::object self) { return view_of(self.cast<device_batch_py&>().b.state, self); },
                             "Slow state s as q_state raw int32 (LSB 2^-30): a view, no copy")
      .def_property_readonly("fluct_raw", [](py::object self) { return view_of(self.cast<device_batch_py&>().b.fluct, self); })
      .def_property_readonly("gain_raw", [](py::object self) { return view_of(self.cast<device_batch_py&>().b.gain, self); })
      .def_property_readonly("g_offset_raw",
                             [](py::object self) { return view_of(self.cast<device_batch_py&>().b.g_offset, self); })
      .def_property_readonly("rng", [](py::object self) { return view_of(self.cast<device_batch_py&>().b.rng, self); })
      .def_property_readonly("state",
                             [](device_batch_py& d) {
                               py::array_t<double> a(static_cast<py::ssize_t>(d.size()));
                               double* p = a.mutable_data();
                               for (std::size_t i = 0; i < d.size(); ++i) p[i] = d.b.state[i] * model::q_state::lsb;
                               return a;
                             },
                             "Slow state s in [0, 1] (float64 copy)")
      .def_property_readonly("conductance",
                             [](device_batch_py& d) {
                               const std::vector<double> g = circuits::device_conductances_s(d.table.view(), d.b);
                               return py::array_t<double>(static_cast<py::ssize_t>(g.size()), g.data());
                             },
                             "Effective conductance (S) of every device: the read current at 1 V")
      .def("__copy__", [](device_batch_py& d) { return new device_batch_py(d); },
           "An independent batch in this one's exact state (copy.copy and copy.deepcopy)")
      .def("__deepcopy__", [](device_batch_py& d, const py::object&) { return new device_batch_py(d); }, py::arg("memo"))
      .def(py::pickle([](device_batch_py& d) -> py::object { return device_batch_state(d); },
                      [](const py::object& state) { return device_batch_from_state(state); }),
           "Pickled exactly (docs/python.md): the table and every device's raw state, checked when unpickled")
      .def("__reduce_ex__", &reduce_by_state, py::arg("protocol"));

  // ---- crossbar ----
  py::class_<crossbar_py>(m, "Crossbar", "The circuits crossbar: differential pairs, DAC/ADC, IR drop, V/2 writes (passive cells) or 1T1R writes")
      .def(py::init([](const table_py& t, int rows, int cols, int dac_bits, int adc_bits, double v_read_v,
                       double adc_full_scale_a, double wire_ohm, double gain_sigma, double offset_sigma_s, bool noise,
                       std::optional<double> dt_m_s, std::optional<double> initial_state, std::uint64_t seed,
                       const std::string& selector) {
             circuits::crossbar_params p;
             p.selector = selector_of(selector);
             p.rows = rows;
             p.cols = cols;
             p.dac_bits = dac_bits;
             p.adc_bits = adc_bits;
             p.v_read_v = v_read_v;
             p.adc_full_scale_a = adc_full_scale_a;
             p.wire_ohm = wire_ohm;
             p.gain_sigma = gain_sigma;
             p.offset_sigma_s = offset_sigma_s;
             p.noise = noise;
             table_step_and_state(t, dt_m_s, initial_state, p);
             p.seed = seed;
             return new crossbar_py(t.table, p);
           }),
           py::arg("table"), py::arg("rows"), py::arg("cols"), py::arg("dac_bits") = 8, py::arg("adc_bits") = 8,
           py::arg("v_read_v") = 0.2, py::arg("adc_full_scale_a") = 0.0, py::arg("wire_ohm") = 0.0,
           py::arg("gain_sigma") = 0.0, py::arg("offset_sigma_s") = 0.0, py::arg("noise") = true,
           py::arg("dt_m_s") = py::none(), py::arg("initial_state") = py::none(), py::arg("seed") = 1,
           py::arg("selector") = "passive",
           "dt_m_s: the table's recorded model step (another value raises ValueError, as `ionrail crossbar` takes "
           "the table's), 0.05 s for a table without one; initial_state: the table's s_eq, 0.25 without one")
      .def("__copy__", [](crossbar_py& c) { return new crossbar_py(c); },
           "An independent crossbar in this one's exact state (copy.copy and copy.deepcopy)")
      .def("__deepcopy__", [](crossbar_py& c, const py::object&) { return new crossbar_py(c); }, py::arg("memo"))
      .def(py::pickle([](crossbar_py& c) -> py::object { return crossbar_state(c); },
                      [](const py::object& state) { return crossbar_from_state(state); }),
           "Pickled exactly (docs/python.md): params, table, every device's raw state, step count and counters")
      .def("__reduce_ex__", &reduce_by_state, py::arg("protocol"))
      .def_property_readonly("rows", [](const crossbar_py& c) { return c.x.rows(); })
      .def_property_readonly("cols", [](const crossbar_py& c) { return c.x.cols(); })
      .def(
          "forward",
          [](crossbar_py& c, const f64_array& x, bool exact) {
            const int rows = c.x.rows(), cols = c.x.cols();
            const bool single = x.ndim() == 1;
            if ((x.ndim() != 1 && x.ndim() != 2) || x.shape(x.ndim() - 1) != rows)
              throw std::invalid_argument("x must have shape (rows,) or (batch, rows) with rows = " + std::to_string(rows));
            const py::ssize_t batch = single ? 1 : x.shape(0);
            for (py::ssize_t i = 0; i < x.size(); ++i)
              if (!(x.data()[i] >= 0.0 && x.data()[i] <= 1.0))
                throw std::invalid_argument("x must be in [0, 1]; got " + std::to_string(x.data()[i]));
            py::array_t<double> out = single ? py::array_t<double>(cols) : py::array_t<double>({batch, static_cast<py::ssize_t>(cols)});
            const double* xp = x.data();
            double* op = out.mutable_data();
            {
              py::gil_scoped_release nogil;
              const std::lock_guard<std::mutex> hold(c.busy);  // one call at a time per object, from any Python thread
              for (py::ssize_t b = 0; b < batch; ++b) {
                if (exact)
                  c.x.read_exact(xp + b * rows, op + b * cols);
                else
                  c.x.read(xp + b * rows, op + b * cols);
              }
            }
            c.reads += batch;
            return out;
          },
          py::arg("x"), py::arg("exact") = false,
          "Differential column currents (A) for inputs x in [0, 1], shape (rows,) or (batch, rows); exact: no DAC/ADC, ideal wires")
      .def(
          "pulse",
          [](crossbar_py& c, const f64_array& row_v, const f64_array& col_plus_v, const f64_array& col_minus_v) {
            const auto r = vec_of(row_v, "row_v", c.x.rows());
            const auto p = vec_of(col_plus_v, "col_plus_v", c.x.cols());
            const auto q = vec_of(col_minus_v, "col_minus_v", c.x.cols());
            // What a cell sees, row minus column, within the model's ±16 V
            // (it was saturated silently).
            const double vmax = model::q_volt::max().to_double();
            const auto [rlo, rhi] = std::minmax_element(r.begin(), r.end());
            for (const auto* col : {&p, &q}) {
              const auto [clo, chi] = std::minmax_element(col->begin(), col->end());
              if (*rhi - *clo > vmax || *chi - *rlo > vmax)
                throw std::invalid_argument("a cell would see " + std::to_string(std::max(*rhi - *clo, *chi - *rlo)) +
                                            " V (row minus column); expected within +-" + std::to_string(vmax) +
                                            " V, the model's range");
            }
            double e = 0;
            {
              py::gil_scoped_release nogil;
              const std::lock_guard<std::mutex> hold(c.busy);  // one call at a time per object, from any Python thread
              e = c.x.pulse(r.data(), p.data(), q.data());
            }
            c.energy_j += e;
            c.pulses += 1;
            return e;
          },
          py::arg("row_v"), py::arg("col_plus_v"), py::arg("col_minus_v"),
          "One model step with these line voltages (V); returns the pulse energy (J)")
      .def(
          "write_outer",
          [](crossbar_py& c, const std::vector<int>& active, const std::vector<int>& dir, double v_write) {
            for (int d : dir)
              if (d < -1 || d > 1) throw std::invalid_argument("dir values must be -1, 0 or +1; got " + std::to_string(d));
            double e = 0;
            {
              py::gil_scoped_release nogil;
              const std::lock_guard<std::mutex> hold(c.busy);  // one call at a time per object, from any Python thread
              e = circuits::write_outer(c.x, active, dir, v_write);
            }
            c.energy_j += e;
            c.pulses += circuits::write_outer_steps(c.x);
            return e;
          },
          py::arg("active"), py::arg("dir"), py::arg("v_write"),
          "One outer-product write (two model steps with the V/2 scheme, one with 1T1R gates): rows with active != 0 and columns with dir = ±1 move one "
          "pulse in direction dir (circuits::write_outer); returns the energy (J)")
      .def(
          "relax",
          [](crossbar_py& c, int steps) {
            py::gil_scoped_release nogil;
            const std::lock_guard<std::mutex> hold(c.busy);  // one call at a time per object, from any Python thread
            c.x.relax(steps);
          },
          py::arg("steps"))
      .def_property_readonly("conductances",
                             [](const crossbar_py& c) {
                               const auto g = c.x.conductances();
                               py::array_t<double> a({static_cast<py::ssize_t>(c.x.rows()), static_cast<py::ssize_t>(2 * c.x.cols())});
                               std::memcpy(a.mutable_data(), g.data(), g.size() * sizeof(double));
                               return a;
                             },
                             "(rows, 2·cols) conductances (S): G+ at even, G− at odd columns")
      .def_property_readonly("weights",
                             [](const crossbar_py& c) {
                               const auto w = c.x.weights();
                               py::array_t<double> a({static_cast<py::ssize_t>(c.x.rows()), static_cast<py::ssize_t>(c.x.cols())});
                               std::memcpy(a.mutable_data(), w.data(), w.size() * sizeof(double));
                               return a;
                             },
                             "G+ − G− (S), shape (rows, cols)")
      .def_property_readonly("v_read_v", [](const crossbar_py& c) { return c.x.params().v_read_v; },
                             "Read voltage of a full-scale input (V)")
      .def_property_readonly("adc_full_scale_a", [](const crossbar_py& c) { return c.x.adc_full_scale_a(); })
      .def_property_readonly("g_span_s", [](const crossbar_py& c) { return c.x.g_span_s(); })
      .def_property_readonly("dt_m_s", [](const crossbar_py& c) { return c.x.params().dt_m_s; },
                             "The model step (s): the table's recorded dt_m_s, or the value given for a table without one")
      .def_property_readonly("initial_state", [](const crossbar_py& c) { return c.x.params().initial_state; },
                             "The devices' initial state: the value given, or the table's s_eq (0.25 without one)")
      .def_property_readonly("steps", [](const crossbar_py& c) { return c.x.steps(); })
      .def_property_readonly("energy_j", [](const crossbar_py& c) { return c.energy_j; }, "Σ pulse energies (J)")
      .def_property_readonly("pulses", [](const crossbar_py& c) { return c.pulses; })
      .def_property_readonly("reads", [](const crossbar_py& c) { return c.reads; });

  // ---- the 8x8 digits (circuits/digits.hpp) ----
  m.def(
      "load_digits",
      [](const std::filesystem::path& path) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {  // as every other reader here (docs/python.md)
          PyErr_SetString(PyExc_FileNotFoundError, (path.string() + ": no such file").c_str());
          throw py::error_already_set();
        }
        const auto data = circuits::load_digits(path.string());
        py::array_t<std::uint8_t> x({static_cast<py::ssize_t>(data.size()), static_cast<py::ssize_t>(64)});
        py::array_t<std::int64_t> y(static_cast<py::ssize_t>(data.size()));
        for (std::size_t i = 0; i < data.size(); ++i) {
          std::memcpy(x.mutable_data(static_cast<py::ssize_t>(i), 0), data[i].pixels.data(), 64);
          y.mutable_at(static_cast<py::ssize_t>(i)) = data[i].label;
        }
        return py::make_tuple(x, y);
      },
      py::arg("path"), "data/digits.csv.gz as (pixels uint8 (n, 64) in 0..16, labels (n,))");
  m.def(
      "split_digits",
      [](const py::array_t<std::int64_t>& labels, int test_count, std::uint64_t seed) {
        if (labels.ndim() != 1) throw std::invalid_argument("labels must be a 1-D array; got " + std::to_string(labels.ndim()) + " dimensions");
        std::vector<circuits::digit> data(static_cast<std::size_t>(labels.size()));
        for (std::size_t i = 0; i < data.size(); ++i) {
          const std::int64_t label = labels.at(static_cast<py::ssize_t>(i));
          if (label < 0 || label > 9)
            throw std::invalid_argument("labels[" + std::to_string(i) + "] = " + std::to_string(label) + " is outside 0-9");
          data[i].label = static_cast<int>(label);
        }
        const auto s = circuits::split_digits(data, test_count, seed);
        return py::make_tuple(py::array_t<int>(static_cast<py::ssize_t>(s.train.size()), s.train.data()),
                              py::array_t<int>(static_cast<py::ssize_t>(s.test.size()), s.test.data()));
      },
      py::arg("labels"), py::arg("test_count"), py::arg("seed"),
      "The C++ stratified, seeded train/test split: (train indices, test indices)");

  // ---- MNIST IDX files (circuits/mnist.hpp); ionrail.load_mnist checks the SHA256SUMS first ----
  m.def(
      "_load_mnist_idx",
      [](const std::filesystem::path& images, const std::filesystem::path& labels) {
        const circuits::mnist_set s = circuits::load_mnist(images.string(), labels.string());
        py::array_t<std::uint8_t> x({static_cast<py::ssize_t>(s.count), static_cast<py::ssize_t>(s.rows),
                                     static_cast<py::ssize_t>(s.cols)});
        py::array_t<std::uint8_t> y(static_cast<py::ssize_t>(s.count));
        if (!s.images.empty()) std::memcpy(x.mutable_data(), s.images.data(), s.images.size());
        if (!s.labels.empty()) std::memcpy(y.mutable_data(), s.labels.data(), s.labels.size());
        return py::make_tuple(x, y);
      },
      py::arg("images"), py::arg("labels"),
      "The C++ IDX loader: (images uint8 (n, rows, cols), labels uint8 (n,)); ValueError naming the file");
  m.def(
      "split_mnist",
      [](int n, int test_count, std::uint64_t seed) {
        const auto s = circuits::split_mnist(n, test_count, seed);
        return py::make_tuple(py::array_t<int>(static_cast<py::ssize_t>(s.train.size()), s.train.data()),
                              py::array_t<int>(static_cast<py::ssize_t>(s.test.size()), s.test.data()));
      },
      py::arg("n"), py::arg("test_count"), py::arg("seed"),
      "The C++ split of an MNIST set (a seeded splitmix64 shuffle, not numpy's): (train indices, test indices)");

  // ---- calibration (`ionrail calibrate`) ----
  m.def(
      "calibrate",
      [](const std::filesystem::path& path, const std::filesystem::path& out_dir, const std::vector<std::string>& overrides,
         bool force, bool resume, double max_work, bool progress) {
        runs::calibrate_options o;
        o.out_dir = out_dir.string();
        o.force = force;
        o.resume = resume;
        o.quiet = !progress;
        o.checkpoints = true;  // SIGINT saves the runs in OUT_DIR.checkpoint (KeyboardInterrupt)
        o.overrides = overrides;
        o.max_work = max_work;
        model_io::forget_input_files_read();  // this command's inputs only (staged_dir's --force check)
        {
          const signal_guard keep_python_handlers;
          py::gil_scoped_release nogil;
          runs::run_calibration(path.string(), o);
        }
        return loaded(o.out_dir, model_io::load_table(o.out_dir));
      },
      py::arg("path"), py::arg("out_dir"), py::arg("overrides") = std::vector<std::string>{}, py::arg("force") = false,
      py::arg("resume") = false, py::arg("max_work") = kmc::default_work_limit, py::arg("progress") = false,
      "`ionrail calibrate PATH --out OUT_DIR`: the table directory written, the table returned (GIL released)");

  // ---- KMC ----
  m.def(
      "run_experiment",
      [](const std::filesystem::path& path_in, const std::filesystem::path& out_dir, const std::vector<std::string>& overrides,
         bool force, double max_work, bool progress) {
        const std::string path = path_in.string();
        runs::run_options o;
        o.out_dir = out_dir.string();
        o.force = force;
        o.quiet = !progress;  // the CLI's progress lines on stderr
        o.overrides = overrides;
        o.checkpoints = true;  // SIGINT saves a checkpoint and stops the run (KeyboardInterrupt)
        o.max_work = max_work;
        runs::experiment_result r;
        model_io::forget_input_files_read();  // this command's inputs only (staged_dir's --force check)
        // As `ionrail run`: a file for another command (only [crossbar], say)
        // is refused, not run with the default protocol.
        runs::check_file_is_for(config::load_run_config(path, overrides), "run");
        {
          const signal_guard keep_python_handlers;
          py::gil_scoped_release nogil;
          r = runs::run_experiment(path, o);
        }
        py::list variants;
        for (const auto& v : r.variants) {
          const std::size_t n = v.trace.size();
          py::dict trace;
          const char* names[] = {"t_s", "v", "f_left", "f_right", "state", "g_s", "i_a", "i_ion_a", "energy_j"};
          double kmc::sample::*members[] = {&kmc::sample::t_s,   &kmc::sample::v,       &kmc::sample::f_left,
                                            &kmc::sample::f_right, &kmc::sample::state, &kmc::sample::g_s,
                                            &kmc::sample::i_a,   &kmc::sample::i_ion_a, &kmc::sample::energy_j};
          for (int k = 0; k < 9; ++k) {
            py::array_t<double> a(static_cast<py::ssize_t>(n));
            for (std::size_t i = 0; i < n; ++i) a.mutable_at(i) = v.trace[i].*members[k];
            trace[names[k]] = a;
          }
          py::dict d;
          d["label"] = v.label;
          d["subdir"] = v.subdir;
          d["series_value"] = v.series_value;
          d["temperature_k"] = v.temperature_k;
          d["trace"] = trace;
          d["read_times_s"] = py::array_t<double>(static_cast<py::ssize_t>(v.read_times_s.size()), v.read_times_s.data());
          d["read_g_s"] = py::array_t<double>(static_cast<py::ssize_t>(v.read_g_s.size()), v.read_g_s.data());
          d["info"] = info_dict(v.info);
          d["drive_end_s"] = v.drive_end_s;
          d["s_eq"] = v.s_eq;
          d["wall_s"] = v.wall_s;
          variants.append(d);
        }
        py::dict res;
        res["out_dir"] = r.out_dir;
        res["series_key"] = r.series_key;
        res["variants"] = variants;
        return res;
      },
      py::arg("path"), py::arg("out_dir"), py::arg("overrides") = std::vector<std::string>{}, py::arg("force") = false,
      py::arg("max_work") = kmc::default_work_limit, py::arg("progress") = false,
      "`ionrail run PATH -o OUT_DIR`: the experiment's files in OUT_DIR, its traces returned (GIL released)");
}
