#include "ionrail/sc/memristor.hpp"

#include <stdexcept>
#include <string>

#include <ionrail/model/step.hpp>

namespace ionrail::sc {

namespace {
const model::table_view& checked(const model::table_view& t, const char* name) {
  // The step assumes a valid table; refuse a broken one at elaboration.
  const model::table_status s = model::check_table(t);
  if (s != model::table_status::ok)
    throw std::invalid_argument(std::string(name) + ": " + model::describe(s));
  return t;
}
}  // namespace

memristor::memristor(sc_core::sc_module_name name, const model::table_view& table, std::uint64_t seed,
                     model::variation_params var, model::q_state initial)
    : memristor(name, table, model::make_device(seed, var, initial, false)) {}

memristor::memristor(sc_core::sc_module_name name, const model::table_view& table, const model::device& d)
    : sc_core::sc_module(name),
      clk("clk"),
      rst("rst"),
      step_en("step_en"),
      noise_en("noise_en"),
      v("v"),
      state("state"),
      fluct("fluct"),
      rng("rng"),
      g_eff("g_eff"),
      current("current"),
      table_(checked(table, this->name())),
      dev_(d),
      reset_(d) {
  // One process drives every output (a signal has one writer): it runs at
  // the clock edge and whenever v changes, and once at start-up so the
  // outputs show the initial device.
  SC_HAS_PROCESS(memristor);
  SC_METHOD(update);
  sensitive << clk.pos() << v;
}

void memristor::update() {
  if (clk.posedge()) {
    if (rst.read()) {
      dev_ = reset_;
    } else if (step_en.read()) {
      dev_.noise = noise_en.read();
      model::step(table_, dev_, from_port<model::q_volt>(v.read()));
    }
  }
  state.write(to_port(dev_.state));
  fluct.write(to_port(dev_.fluct));
  rng.write(rng_t(dev_.rng));
  g_eff.write(to_port(model::conductance(table_, dev_)));
  current.write(to_port(model::read_current(table_, dev_, from_port<model::q_volt>(v.read()))));
}

}  // namespace ionrail::sc
