// The ngspice library and the Verilog-A module of a response table
// (circuit_export.hpp, docs/spice.md).
#include <ionrail/model_io/circuit_export.hpp>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <ionrail/model/formats.hpp>

namespace ionrail::model_io {
namespace {

// Shortest text that reads back to the same double to 9 significant digits.
std::string g9(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", x == 0.0 ? 0.0 : x);
  return buf;
}

// A number of the netlist: g9, never inf or nan, which ngspice reads as an
// undefined parameter and Verilog-A compilers refuse (a netlist is written
// whole and valid or not at all).
std::string num(double x) {
  if (!std::isfinite(x))
    throw std::invalid_argument("circuit export: a coefficient of the device is not finite (the table's dt_m_s is "
                                "too small or its entries too large for a circuit simulator's numbers)");
  return g9(x);
}

std::string hex16(std::uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Which table of the three (s, V) arrays.
enum class which { drift, noise, fluct };

double cell_value(const model::table& t, which w, int i, int j) {
  switch (w) {
    case which::drift: return t.drift_at(i, j).to_double();
    case which::noise: return t.noise_at(i, j).to_double();
    case which::fluct: return t.fluct_at(i, j).to_double();
  }
  return 0;
}

bool all_zero(const model::table& t, which w) {
  for (int i = 0; i < t.grid.n_s; ++i)
    for (int j = 0; j < t.grid.n_v; ++j)
      if (cell_value(t, w, i, j) != 0.0) return false;
  return true;
}

void check_input(const model::table& t, const circuit_export_info& info) {
  if (t.check() != model::table_status::ok) throw std::invalid_argument("circuit export: the table fails its checks");
  if (!(info.dt_m_s > 0) || !std::isfinite(info.dt_m_s))
    throw std::invalid_argument("circuit export: dt_m_s = " + g9(info.dt_m_s) + " is not a positive number of seconds");
  if (!(info.s_eq >= 0 && info.s_eq <= 1))
    throw std::invalid_argument("circuit export: s_eq = " + g9(info.s_eq) + " is outside [0, 1]");
}

// T(s, V) as a B-source expression of the clamped nodes sc (s) and vc (V):
// Σ_j pwl(v(sc), s_i, T_ij) · hat_j(v(vc)), hat_j the triangle of half width
// h around V_j. Exactly the bilinear interpolation of the model step
// (between grid points; the model's own is within 1 LSB of it).
std::string bilinear_expr(const model::table& t, which w) {
  const auto& g = t.grid;
  const double h = g.v_at(1) - g.v_at(0);
  std::string e;
  for (int j = 0; j < g.n_v; ++j) {
    e += j == 0 ? "+ " : "+ + ";
    e += "max(0,1-abs(v(vc)-(" + num(g.v_at(j)) + "))*" + num(1.0 / h) + ")*pwl(v(sc)";
    for (int i = 0; i < g.n_s; ++i) e += "," + num(g.s_at(i)) + "," + num(cell_value(t, w, i, j));
    e += ")\n";
  }
  return e;
}

std::string g_pwl(const model::table& t, const std::string& node) {
  std::string e = "pwl(v(" + node + ")";
  for (int i = 0; i < t.grid.n_s; ++i) e += "," + num(t.grid.s_at(i)) + "," + num(t.g[static_cast<std::size_t>(i)].to_double());
  return e + ")";
}

// The factor that stops a rate at the ends of [0, 1]: a rate pushing s past
// 1 (or below 0) fades to zero over the last `edge` of the range.
constexpr double edge = 1e-3;
std::string held_rate(const std::string& rate_node) {
  const std::string r = "v(" + rate_node + ")";
  return "max(" + r + ",0)*min(max((1-v(s))*" + num(1 / edge) + ",0),1)+min(" + r + ",0)*min(max(v(s)*" +
         num(1 / edge) + ",0),1)";
}

// The header line naming the table: format version, checksum, grid, dt_m.
std::string provenance(const model::table& t, const circuit_export_info& info) {
  const auto& g = t.grid;
  return "table format version " + std::to_string(model::table_format_version) + ", checksum " +
         hex16(t.checksum()) + ", grid " + std::to_string(g.n_s) + " s points x " + std::to_string(g.n_v) +
         " V points (" + num(g.v_at(0)) + " .. " + num(g.v_at(g.n_v - 1)) + " V), dt_m = " + num(info.dt_m_s) +
         " s per model step";
}

}  // namespace

std::string checksum_hex(const model::table& t) { return hex16(t.checksum()); }

std::string spice_library(const model::table& t, const circuit_export_info& info) {
  check_input(t, info);
  const auto& g = t.grid;
  const double v_lo = g.v_at(0), v_hi = g.v_at(g.n_v - 1);
  const double rate_scale = 1.0 / info.dt_m_s;
  std::string o;
  o += "* ionrail compact model for ngspice (ngspice 39 or later), written by `ionrail export spice`.\n";
  o += "* table: " + info.table_name + "\n";
  o += "* " + provenance(t, info) + "\n";
  o += "*\n";
  o += "* State equation (docs/spice.md): ds/dt = gain * D(s, V) / dt_m, D the table's drift per model step,\n";
  o += "* bilinear in (s, V); s held in [0, 1]; V clamped to the table's range; I(p, n) = G(s) * V(p, n),\n";
  o += "* G linear in s between the table's points. Internal nodes of an instance X1:\n";
  o += "*   v(x1.s)  the state s (1 V = 1)        v(x1.g)  the conductance in microsiemens\n";
  o += "* The state starts at s0 in the operating point (no `uic` needed). Parameters:\n";
  o += "*   s0    initial state in [0, 1] (default: the table's rest state s_eq = " + num(info.s_eq) + ")\n";
  o += "*   gain  device drift gain (1 = the calibrated mean device)\n";
  o += "* ionrail_mem is noise-free (the compact model's mean path). ionrail_mem_noise adds the slow noise\n";
  o += "* N(s, V) per model step and the fast fluctuation (Ornstein-Uhlenbeck, rho per step), driven by\n";
  o += "* trrandom sources: a unit normal draw held for each dt_m, as the model step draws one per step.\n";
  o += "* `.options seed=N` fixes the draws (without it ngspice seeds from the clock: every run differs).\n\n";

  auto common = [&](std::string& s, bool noise) {
    s += ".subckt " + std::string(noise ? "ionrail_mem_noise" : "ionrail_mem") + " p n params: s0=" + num(info.s_eq) +
         " gain=1\n";
    s += "* state: C = 1 F integrates the rate current; Rs0 (1e15 ohm, drift < 1e-15 per second) sets s = s0 in the\n";
    s += "* operating point, where the rate is off (time = 0)\n";
    s += "Cs s 0 1\nRs0 s s0n 1e15\nVs0 s0n 0 {s0}\n";
    s += "Bsc sc 0 V=min(max(v(s),0),1)\n";
    s += "Bvc vc 0 V=min(max(v(p,n)," + num(v_lo) + ")," + num(v_hi) + ")\n";
    s += "* drift per second, gain * D(s, V) / dt_m\n";
    s += "Bdr dr 0 V={gain}*" + num(rate_scale) + "*(\n" + bilinear_expr(t, which::drift) + "+ )\n";
  };

  // Noise-free device.
  common(o, false);
  o += "Brate 0 s I=(time>0)*(" + held_rate("dr") + ")\n";
  o += "Bg g 0 V=" + g_pwl(t, "sc") + "\n";
  o += "Bi p n I=" + num(model::cond_unit_siemens) + "*v(g)*v(p,n)\n";
  o += ".ends ionrail_mem\n\n";

  // Noisy device.
  const double rho = t.fluct_rho.to_double(), kappa = t.fluct_kick.to_double();
  const bool has_fluct = kappa > 0 && !all_zero(t, which::fluct);
  common(o, true);
  o += "* unit normal draws, each held for dt_m (Gaussian trrandom, mean 0, standard deviation 1)\n";
  o += "Vz1 z1 0 dc 0 trrandom(2 " + num(info.dt_m_s) + " 0 1 0)\n";
  o += "* slow noise: N(s, V) * z1 per model step, as a rate\n";
  o += "Bnz nz 0 V=" + num(rate_scale) + "*v(z1)*(\n" + bilinear_expr(t, which::noise) + "+ )\n";
  o += "Btot tot 0 V=v(dr)+v(nz)\n";
  o += "Brate 0 s I=(time>0)*(" + held_rate("tot") + ")\n";
  if (has_fluct) {
    // The model's step is d' = rho d + F kappa z2 (any rho and kappa the
    // table allows, not only kappa = sqrt(1 - rho^2)). With z2 held for a
    // step, dd/dt = -lambda d + c F z2 at lambda = -ln(rho)/dt_m moves d
    // over one step to rho d + c F z2 (1 - rho)/lambda: c = kappa
    // lambda/(1 - rho) gives the model's step exactly; c = kappa/dt_m at
    // rho = 1 (a random walk), and at rho = 0 d is kappa F z2 itself.
    o += "Vz2 z2 0 dc 0 trrandom(2 " + num(info.dt_m_s) + " 0 1 0)\n";
    o += "Bfl fl 0 V=(\n" + bilinear_expr(t, which::fluct) + "+ )\n";
    if (rho > 0) {
      const double lambda = -std::log(rho) / info.dt_m_s;
      const double c = rho < 1 ? kappa * lambda / (1 - rho) : kappa / info.dt_m_s;
      o += "* fast fluctuation d (read state s + d), the model's d' = rho d + kappa F(s, V) z2 per step (rho = " +
           num(rho) + ", kappa = " + num(kappa) + "):\n* relaxes at lambda = -ln(rho)/dt_m = " + num(lambda) +
           " per second; starts at 0\n";
      o += "Cd d 0 1\nRd0 d 0 1e15\n";
      o += "Bdd 0 d I=(time>0)*(-" + num(lambda) + "*v(d)+" + num(c) + "*v(fl)*v(z2))\n";
    } else {
      o += "* fast fluctuation d (read state s + d): rho = 0, so d is kappa F(s, V) z2, fresh every step (kappa = " +
           num(kappa) + ")\n";
      o += "Bdd d 0 V=(time>0)*" + num(kappa) + "*v(fl)*v(z2)\n";
    }
    o += "Bsr sr 0 V=min(max(v(s)+v(d),0),1)\n";
    o += "Bg g 0 V=" + g_pwl(t, "sr") + "\n";
  } else {
    o += "* this table has no fast fluctuation (kappa = 0 or fluct = 0)\n";
    o += "Bg g 0 V=" + g_pwl(t, "sc") + "\n";
  }
  o += "Bi p n I=" + num(model::cond_unit_siemens) + "*v(g)*v(p,n)\n";
  o += ".ends ionrail_mem_noise\n";
  return o;
}

std::string verilog_a_module(const model::table& t, const circuit_export_info& info) {
  check_input(t, info);
  const auto& g = t.grid;
  const double v_lo = g.v_at(0), v_hi = g.v_at(g.n_v - 1);
  const double h = g.v_at(1) - g.v_at(0);
  std::string o;
  o += "// ionrail compact model for Verilog-A simulators, written by `ionrail export verilog-a`.\n";
  o += "// table: " + info.table_name + "\n";
  o += "// " + provenance(t, info) + "\n";
  o += "//\n// ds/dt = gain * D(s, V) / dt_m (D: the table's drift per model step, bilinear in (s, V)),\n";
  o += "// s held in [0, 1], V clamped to the table's range, I(p, n) = G(s) * V(p, n) with G linear in s.\n";
  o += "// The state is the potential of the internal node x (1 V = 1), integrated by idt() from s0.\n";
  o += "// Noise-free (the compact model's mean path). Standard Verilog-A (OVI 2.0 / VAMS 2.x) only.\n\n";
  o += "`include \"disciplines.vams\"\n\n";
  o += "module ionrail_mem(p, n);\n  inout p, n;\n  electrical p, n, x;\n";
  o += "  parameter real s0 = " + num(info.s_eq) + " from [0:1];\n";
  o += "  parameter real gain = 1.0 from [0:inf);\n";
  o += "  real s, sc, vc, u, fs, fv, d, rate, gs;\n  integer i_s, i_v, k;\n\n";
  // The drift table, s-major: index i_s * n_v + i_v.
  o += "  // drift per model step at grid point k = i_s * " + std::to_string(g.n_v) + " + i_v\n";
  o += "  analog function real drift_tab;\n    input k;\n    integer k;\n    begin\n      case (k)\n";
  for (int i = 0; i < g.n_s; ++i)
    for (int j = 0; j < g.n_v; ++j)
      o += "        " + std::to_string(i * g.n_v + j) + ": drift_tab = " + num(t.drift_at(i, j).to_double()) + ";\n";
  o += "        default: drift_tab = 0.0;\n      endcase\n    end\n  endfunction\n\n";
  o += "  // conductance (microsiemens) at s point i_s\n";
  o += "  analog function real g_tab;\n    input k;\n    integer k;\n    begin\n      case (k)\n";
  for (int i = 0; i < g.n_s; ++i)
    o += "        " + std::to_string(i) + ": g_tab = " + num(t.g[static_cast<std::size_t>(i)].to_double()) + ";\n";
  o += "        default: g_tab = 0.0;\n      endcase\n    end\n  endfunction\n\n";
  const std::string ns1 = std::to_string(g.n_s - 1), ns2 = std::to_string(g.n_s - 2);
  const std::string nv = std::to_string(g.n_v), nv2 = std::to_string(g.n_v - 2);
  o += "  analog begin\n";
  o += "    s = V(x);\n";
  o += "    sc = min(max(s, 0.0), 1.0);\n";
  o += "    vc = min(max(V(p, n), " + num(v_lo) + "), " + num(v_hi) + ");\n";
  o += "    i_s = floor(sc * " + ns1 + ".0);\n    if (i_s > " + ns2 + ") i_s = " + ns2 + ";\n";
  o += "    fs = sc * " + ns1 + ".0 - i_s;\n";
  o += "    u = (vc - (" + num(v_lo) + ")) / " + num(h) + ";\n";
  o += "    i_v = floor(u);\n    if (i_v > " + nv2 + ") i_v = " + nv2 + ";\n    if (i_v < 0) i_v = 0;\n";
  o += "    fv = u - i_v;\n";
  o += "    k = i_s * " + nv + " + i_v;\n";
  o += "    d = (1.0 - fs) * ((1.0 - fv) * drift_tab(k) + fv * drift_tab(k + 1))\n";
  o += "        + fs * ((1.0 - fv) * drift_tab(k + " + nv + ") + fv * drift_tab(k + " + nv + " + 1));\n";
  o += "    rate = gain * d / " + num(info.dt_m_s) + ";\n";
  o += "    // hold s in [0, 1]: a rate pushing past an end fades over the last " + num(edge) + "\n";
  o += "    if (rate > 0.0)\n      rate = rate * min(max((1.0 - s) / " + num(edge) + ", 0.0), 1.0);\n";
  o += "    else\n      rate = rate * min(max(s / " + num(edge) + ", 0.0), 1.0);\n";
  o += "    V(x) <+ idt(rate, s0);\n";
  o += "    gs = " + num(model::cond_unit_siemens) + " * ((1.0 - fs) * g_tab(i_s) + fs * g_tab(i_s + 1));\n";
  o += "    I(p, n) <+ gs * V(p, n);\n";
  o += "  end\nendmodule\n";
  return o;
}

}  // namespace ionrail::model_io
