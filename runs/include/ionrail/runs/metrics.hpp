#pragma once
// Figures of merit computed from a trace: what a report states and what the
// demo's physics claims are tested on.
#include <vector>

#include <ionrail/kmc/engine.hpp>

namespace ionrail::runs {

// Areas of the two lobes of an I–V loop, ∮ I dV over the parts of the sweep
// with V > 0 and V < 0 (absolute values, A·V), and |I| where V crosses 0.
struct loop_figures {
  double lobe_area_positive = 0;
  double lobe_area_negative = 0;
  double max_abs_current_a = 0;
  double max_abs_current_at_zero_v_a = 0;  // largest |I| interpolated at V = 0 crossings
};
loop_figures iv_loop(const std::vector<kmc::sample>& trace);

// The readout state at time t, linearly interpolated between samples (held
// at the ends).
double state_at(const std::vector<kmc::sample>& trace, double t);

// Exponential fit of the readout state's excess over its uniform value
// during relaxation (t >= relax_start_s): s − s_eq ≈ A exp(−(t − t0)/τ),
// by least squares on log(s − s_eq) over points still above 5 % of the
// excess at relax_start_s.
struct relax_figures {
  double excess_at_start = 0;   // s − s_eq when the voltage is removed
  double tau_s = 0;             // fitted time constant (0: no decay to fit)
  // (s − s_eq) 10 s after removal, as a fraction of excess_at_start; one
  // run's noise can put it above 1 or below 0. NaN when the run ends sooner.
  double retained_after_10s = 0;
  double final_excess = 0;        // s − s_eq at the end
  int points = 0;
};
relax_figures relaxation(const std::vector<kmc::sample>& trace, double relax_start_s, double s_eq);

// Ordinary least squares y = a + b x; returns {a, b, standard error of b}.
// Without two distinct x the line is not determined: `determined` is false
// and the numbers are zeros that mean nothing (never report them).
struct line_fit {
  double intercept = 0;
  double slope = 0;
  double slope_error = 0;
  bool determined = false;
};
line_fit fit_line(const std::vector<double>& x, const std::vector<double>& y);

// Arrhenius fit of a thermally activated figure y(T): ln y against 1/T by
// least squares over the points with y > 0 (others have nothing to fit).
// A time constant grows as exp(+Ea / kB T) (`falls_with_temperature`); a
// rate, diffusivity or conductivity as exp(-Ea / kB T).
// Fewer than two distinct temperatures among the points fitted (or a
// singular fit) leave Ea undetermined: `determined` is false and a report
// must say so (JSON null), never print the zeros. The standard error needs
// a third point: with two it is undetermined too (`error_determined`).
struct arrhenius_fit {
  std::vector<double> inv_t_per_k, ln_y;  // the points fitted
  line_fit line;                           // ln y = intercept + slope / T
  double activation_energy_ev = 0;
  double standard_error_ev = 0;
  bool determined = false;
  bool error_determined = false;
};
arrhenius_fit fit_arrhenius(const std::vector<double>& temperature_k, const std::vector<double>& y,
                            bool falls_with_temperature);

}  // namespace ionrail::runs
