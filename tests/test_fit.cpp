// `ionrail fit`'s inputs and arithmetic: the measured CSV reader and the
// measurement file's checks (every refusal names the file and line and what
// was expected; the command exits 2 and writes nothing), the output
// directory and checkpoint of one small fit (a 64-rail device, 5 evaluations),
// the Gauss-Newton covariance and identifiability on Jacobians with known
// answers, the checkpoint history round trip, and the fitted material file
// read back to the same device.
#include <gtest/gtest.h>

#include <iostream>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <ionrail/calibration/fit.hpp>
#include <ionrail/calibration/measurement.hpp>
#include <ionrail/config/run_config.hpp>

#include "cli_run.hpp"
#include "refusal.hpp"

namespace {

namespace fs = std::filesystem;
using ionrail::input_error;
using namespace ionrail::calibration;
using ionrail_test::scratch_dir;
using ionrail_test::write_file;

using ionrail_test::has;
using ionrail_test::refusal;

// ---------------------------------------------------------------- the CSV reader

TEST(MeasuredCurve, ReadsColumnsByNameWithUnitsAndComments) {
  const fs::path d = scratch_dir("fit_read");
  const auto f = write_file(d / "g.csv", "# a comment\n\ng_s, t_s ,v_v,g_sigma_s\n1e-5,0,0,1e-7\n2e-5,0.5,1,2e-7\n");
  const measured_curve c = read_measured_curve(f);
  EXPECT_EQ(c.quantity, measured_quantity::conductance);
  ASSERT_EQ(c.t_s.size(), 2u);
  EXPECT_EQ(c.t_s[1], 0.5);
  EXPECT_EQ(c.value[1], 2e-5);
  EXPECT_EQ(c.sigma[0], 1e-7);
  EXPECT_EQ(c.v_v[1], 1.0);
  EXPECT_EQ(c.line[0], 4u);
  const auto i = write_file(d / "i.csv", "t_s,i_a\n0,1e-6\n");
  const measured_curve ci = read_measured_curve(i);
  EXPECT_EQ(ci.quantity, measured_quantity::current);
  EXPECT_FALSE(ci.has_sigma());
  EXPECT_FALSE(ci.has_voltage());
}

TEST(MeasuredCurve, RefusesBadInputNamingFileLineAndWhatWasExpected) {
  const fs::path d = scratch_dir("fit_bad");
  struct bad_case {
    const char* name;
    const char* text;
    const char* where;     // FILE:LINE suffix expected
    const char* expected;  // part of the message
  };
  const bad_case cases[] = {
      {"columns", "t_s,v_v,g_s\n0,0,1e-5\n1,0\n", ":3:", "2 columns: expected 3"},
      {"monotonic", "t_s,g_s\n0,1e-5\n1,1e-5\n1,2e-5\n", ":4:", "expected strictly increasing times"},
      {"backwards", "t_s,g_s\n0,1e-5\n2,1e-5\n1,2e-5\n", ":4:", "expected strictly increasing times"},
      {"no_units", "t,g\n0,1e-5\n", ":1:", "no known name with its unit"},
      {"other_unit", "t_ms,g_s\n0,1e-5\n", ":1:", "expected one of t_s, v_v"},
      {"numbers_as_header", "0,1e-5\n1,2e-5\n", ":1:", "expected a first line naming the columns"},
      {"nan", "t_s,g_s\n0,1e-5\n1,nan\n", ":3:", "expected a finite number"},
      {"inf", "t_s,g_s\n0,inf\n", ":2:", "expected a finite number"},
      {"text", "t_s,g_s\n0,abc\n", ":2:", "expected a decimal number"},
      {"empty_cell", "t_s,g_s\n0,\n", ":2:", "expected a decimal number"},
      {"zero_rows", "# only a header\nt_s,g_s\n", ":2:", "zero data rows"},
      {"empty", "", ":1:", "empty file"},
      {"both", "t_s,g_s,i_a\n0,1,1\n", ":1:", "both g_s and i_a"},
      {"neither", "t_s,v_v\n0,1\n", ":1:", "neither g_s nor i_a"},
      {"no_time", "g_s,v_v\n0,1\n", ":1:", "no t_s column"},
      {"sigma_zero", "t_s,g_s,g_sigma_s\n0,1e-5,0\n", ":2:", "an uncertainty > 0"},
      {"sigma_mismatch", "t_s,g_s,i_sigma_a\n0,1e-5,1\n", ":1:", "g_sigma_s with g_s"},
      {"negative_time", "t_s,g_s\n-1,1e-5\n", ":2:", "expected >= 0"},
      {"twice", "t_s,t_s,g_s\n0,0,1\n", ":1:", "appears twice"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string f = write_file(d / (std::string(c.name) + ".csv"), c.text);
    const std::string m = refusal([&] { read_measured_curve(f); });
    EXPECT_TRUE(has(m, f + c.where)) << m;
    EXPECT_TRUE(has(m, c.expected)) << m;
  }
  EXPECT_TRUE(has(refusal([&] { read_measured_curve((d / "missing.csv").string()); }), "missing.csv"));
  // Not text: a NUL cut the message short, CR-only line ends (one long line)
  // showed a raw CR; and 1e-400, which underflows, was read as 0.
  using namespace std::string_literals;
  for (const auto& [name, text, says] :
       {std::tuple<std::string, std::string, std::string>{"nul", "t_s,g_s\n0,1e-5\n1,\0\n"s, ":3: byte 0x00 (a control character)"},
        {"cr_only", "t_s,g_s\r0,1e-5\r1,1e-5\r", ":1: byte 0x0d (a carriage return inside a line"},
        {"underflow", "t_s,g_s\n0,1e-400\n", ":2: g_s = '1e-400': expected a decimal number in a double's range"}}) {
    SCOPED_TRACE(name);
    const std::string f = write_file(d / (name + ".csv"), text);
    const std::string m = refusal([&] { read_measured_curve(f); });
    EXPECT_TRUE(has(m, f + says)) << m;
  }
  // A UTF-8 byte-order mark (as spreadsheets write) is not part of a name.
  const std::string bom = write_file(d / "bom.csv", "\xEF\xBB\xBFt_s,g_s\r\n0,1e-5\r\n1,2e-5\r\n");
  EXPECT_EQ(read_measured_curve(bom).t_s.size(), 2u);
}

TEST(MeasuredCurve, DriveComesFromTheWaveformOrTheVoltageColumnAndCoversEveryTime) {
  const fs::path d = scratch_dir("fit_drive");
  const auto f = write_file(d / "g.csv", "t_s,v_v,g_s\n0,0,1e-5\n1,2,1e-5\n2,0,1e-5\n");
  fit_curve_spec spec;
  spec.file = f;
  auto drive = curve_drive(spec, read_measured_curve(f));
  EXPECT_EQ(drive->voltage(0.5), 1.0);
  // A curve without v_v needs a waveform, and must lie within it.
  const auto g = write_file(d / "reads.csv", "t_s,g_s\n0.5,1e-5\n3,1e-5\n");
  spec.file = g;
  EXPECT_TRUE(has(refusal([&] { curve_drive(spec, read_measured_curve(g)); }), "no v_v column and no waveform"));
  spec.waveform = write_file(d / "w.csv", "time_s,volts\n0,0\n2,1\n");
  const std::string late = refusal([&] { curve_drive(spec, read_measured_curve(g)); });
  EXPECT_TRUE(has(late, g + ":3:")) << late;
  EXPECT_TRUE(has(late, "after the end of the drive")) << late;
  spec.waveform = write_file(d / "w.csv", "time_s,volts\n0,0\n1,1\n1,2\n");
  EXPECT_TRUE(has(refusal([&] { curve_drive(spec, read_measured_curve(g)); }), "w.csv:4:"));
}

// ---------------------------------------------------------------- the measurement file

struct measurement_files {
  fs::path dir;
  std::string csv, material;
  explicit measurement_files(const std::string& name) : dir(scratch_dir(name)) {
    csv = write_file(dir / "g.csv", "t_s,v_v,g_s\n0,0,1e-5\n1,2,1.2e-5\n2,0,1.1e-5\n");
    material = write_file(dir / "material.toml", "[device]\nsites = 20\nrails = 64\nzones = 4\n\n[[species]]\n"
                                                 "activation_energy_ev = 0.7\nfill = 0.3\n");
  }
  std::string file(const std::string& parameters, const std::string& extra = "") const {
    return write_file(dir / "fit.toml", "material = \"material.toml\"\n\n[fit]\nmax_evaluations = 5\n" + extra +
                                            "\n[[fit.curve]]\nfile = \"g.csv\"\n\n" + parameters);
  }
};

TEST(MeasurementFile, ReadsCurvesAndParametersWithTheMaterialAsStart) {
  measurement_files m("fit_file_ok");
  const auto path = m.file("[[fit.parameter]]\nname = \"activation_energy_ev\"\nlower = 0.6\nupper = 0.8\n\n"
                           "[[fit.parameter]]\nname = \"attempt_frequency_hz\"\nlower = 1e12\nupper = 1e14\n"
                           "scale = \"log\"\nstart = 2e13\n");
  const auto cfg = ionrail::config::load_run_config(path);
  ASSERT_EQ(cfg.fit.curves.size(), 1u);
  EXPECT_EQ(fs::path(cfg.fit.curves[0].file), fs::path(m.csv));
  EXPECT_EQ(cfg.fit.curves[0].label, "g");
  ASSERT_EQ(cfg.fit.parameters.size(), 2u);
  EXPECT_EQ(cfg.fit.parameters[0].start, 0.7);  // the material's
  EXPECT_EQ(cfg.fit.parameters[1].scale, fit_scale::log);
  EXPECT_EQ(cfg.fit.parameters[1].start, 2e13);
  EXPECT_EQ(cfg.fit.max_evaluations, 5);
}

TEST(MeasurementFile, RefusesParametersOutsideBoundsNamingFileAndLine) {
  measurement_files m("fit_file_bad");
  struct bad_case {
    const char* name;
    std::string parameters;
    const char* where;
    const char* expected;
  };
  const std::vector<bad_case> cases{
      {"fill_above_material_range", "[[fit.parameter]]\nname = \"fill\"\nlower = 0.2\nupper = 1.5\n", ":12:",
       "outside the range of the material key species.fill"},
      {"negative_energy", "[[fit.parameter]]\nname = \"activation_energy_ev\"\nlower = -0.5\nupper = 0.8\n", ":11:",
       "outside the range of the material key species.activation_energy_ev"},
      {"upper_below_lower", "[[fit.parameter]]\nname = \"activation_energy_ev\"\nlower = 0.8\nupper = 0.6\n", ":12:",
       "must be > lower"},
      {"start_outside", "[[fit.parameter]]\nname = \"activation_energy_ev\"\nlower = 0.6\nupper = 0.8\nstart = 0.9\n",
       ":13:", "must be within the bounds [0.6, 0.8]"},
      {"material_outside", "[[fit.parameter]]\nname = \"activation_energy_ev\"\nlower = 0.75\nupper = 0.8\n", ":9:",
       "(the start) is outside the bounds"},
      {"log_of_zero", "[[fit.parameter]]\nname = \"g0_s\"\nlower = 0\nupper = 1e-4\nscale = \"log\"\n", ":11:",
       "must be > 0 for scale = \"log\""},
      {"unknown_name", "[[fit.parameter]]\nname = \"mobility\"\nlower = 0\nupper = 1\n", ":10:", "activation_energy_ev"},
      {"twice", "[[fit.parameter]]\nname = \"g0_s\"\nlower = 1e-6\nupper = 1e-4\n\n[[fit.parameter]]\nname = \"g0_s\"\n"
                "lower = 1e-6\nupper = 1e-4\n", ":15:", "already fitted"},
      {"missing_bound", "[[fit.parameter]]\nname = \"g0_s\"\nlower = 1e-6\n", ":9:", "upper is missing"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = m.file(c.parameters);
    const std::string msg = refusal([&] { ionrail::config::load_run_config(path); });
    EXPECT_TRUE(has(msg, path + c.where)) << msg;
    EXPECT_TRUE(has(msg, c.expected)) << msg;
  }
  // A curve's file that does not exist, and a key of the wrong range.
  const std::string missing = write_file(m.dir / "fit2.toml", "material = \"material.toml\"\n[[fit.curve]]\nfile = "
                                                              "\"nope.csv\"\n");
  EXPECT_TRUE(has(refusal([&] { ionrail::config::load_run_config(missing); }), "fit2.toml:3:"));
  const std::string weight = write_file(m.dir / "fit3.toml", "material = \"material.toml\"\n[[fit.curve]]\nfile = "
                                                             "\"g.csv\"\nweight = -1\n");
  EXPECT_TRUE(has(refusal([&] { ionrail::config::load_run_config(weight); }), "fit3.toml:4:"));
}

// Every refusal exits 2 with the file and line and leaves nothing behind:
// no output directory, no checkpoint, no lock.
TEST(MeasurementFile, TheCommandExitsTwoAndWritesNothingOnBadInput) {
  measurement_files m("fit_cli_bad");
  const std::string param = "[[fit.parameter]]\nname = \"activation_energy_ev\"\nlower = 0.6\nupper = 0.8\n";
  struct bad_case {
    const char* name;
    std::string csv;    // replaces g.csv
    std::string param;  // the parameters
    std::string where;  // in the message
  };
  const std::vector<bad_case> cases{
      {"columns", "t_s,v_v,g_s\n0,0,1e-5\n1,2\n", param, "g.csv:3: 2 columns: expected 3"},
      {"time", "t_s,v_v,g_s\n0,0,1e-5\n2,2,1e-5\n1,0,1e-5\n", param, "g.csv:4:"},
      {"units", "t,v,g\n0,0,1e-5\n", param, "g.csv:1:"},
      {"nan", "t_s,v_v,g_s\n0,0,1e-5\n1,2,NaN\n", param, "g.csv:3:"},
      {"zero_rows", "t_s,v_v,g_s\n", param, "g.csv:1: zero data rows"},
      {"bounds", "t_s,v_v,g_s\n0,0,1e-5\n1,2,1.2e-5\n",
       "[[fit.parameter]]\nname = \"fill\"\nlower = 0.1\nupper = 2\n", "fit.toml:12:"},
      // Found at the first evaluation: every objective was infinite, and the
      // fit crashed leaving its checkpoint behind.
      {"scale", "t_s,v_v,g_s,g_sigma_s\n0,0,1e-5,1e-7\n1,2,1e300,1e-7\n2,0,1.1e-5,1e-7\n", param,
       "g.csv:3: the model misses this point by"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    write_file(m.dir / "g.csv", c.csv);
    const std::string path = m.file(c.param);
    const fs::path out = m.dir / "out";
    const auto r = ionrail_test::run_cli("fit " + path + " --out " + out.string() + " --quiet");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(has(r.output, c.where)) << r.output;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out.string() + ".checkpoint"));
    EXPECT_FALSE(fs::exists(out.string() + ".lock"));
  }
}

TEST(MeasurementFile, TheCommandWritesDirWhateverItsSpellingAndLeavesNoCheckpointOnFailure) {
  measurement_files m("fit_cli_out");
  const std::string path = m.file("[[fit.parameter]]\nname = \"activation_energy_ev\"\nlower = 0.6\nupper = 0.8\n");
  // "DIR/" once put the checkpoint at DIR/.checkpoint, making DIR itself.
  const fs::path out = m.dir / "out";
  auto r = ionrail_test::run_cli("fit " + path + " --out " + out.string() + "/ --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(out / ".checkpoint"));
  EXPECT_FALSE(fs::exists(out.string() + ".checkpoint"));
  // g.csv has no sigma column: the curve's range (2e-6 S) is every point's
  // sigma, in the fit and in the model curve written (it was once 1 S there).
  std::ifstream csv(out / "curve0.csv");
  std::string line;
  std::getline(csv, line);
  int rows = 0;
  for (; std::getline(csv, line); ++rows) {
    double t = 0, measured = 0, sigma = 0, model = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf", &t, &measured, &sigma, &model), 4) << line;
    EXPECT_DOUBLE_EQ(sigma, 2e-6) << line;
    EXPECT_LT(std::fabs(model), 1e-3) << line;  // a conductance, not the residual times 1 S
  }
  EXPECT_EQ(rows, 3);
  // A run-time failure at the first evaluation (exit 1) saved nothing: no
  // checkpoint is left to block the corrected command.
  const fs::path failed = m.dir / "failed";
  r = ionrail_test::run_cli("fit " + path + " --out " + failed.string() +
                            " --quiet --set sim.dt_s=1e-4 --set field.ion_density_m3=1e27");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_TRUE(has(r.output, "hop probability")) << r.output;
  EXPECT_FALSE(fs::exists(failed));
  EXPECT_FALSE(fs::exists(failed.string() + ".checkpoint"));
  EXPECT_EQ(ionrail_test::run_cli("fit " + path + " --out " + failed.string() + " --quiet").code, 0);
}

TEST(MeasurementFile, WorkIsBoundedAtEveryCornerOfTheParameterBox) {
  // Ea low with nu0 high hops fastest: a corner that neither "all lower" nor
  // "all upper" is, and once went unchecked (about 6e9 hop attempts per
  // evaluation there, 1e7 at the start and at those two corners).
  measurement_files m("fit_cli_work");
  const std::string path = m.file(
      "[[fit.parameter]]\nname = \"activation_energy_ev\"\nlower = 0.5\nupper = 0.8\n\n"
      "[[fit.parameter]]\nname = \"attempt_frequency_hz\"\nlower = 1e12\nupper = 1e15\nscale = \"log\"\n");
  const fs::path out = m.dir / "out";
  const auto r = ionrail_test::run_cli("fit " + path + " --out " + out.string() + " --quiet --max-work 1e9");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(has(r.output, "beyond the limit of 1e+09")) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

// ---------------------------------------------------------------- uncertainties

// A problem with one curve of n points (nothing simulated: the tests give
// the Jacobian and residuals); its parameters are fill, ion density, ...
// (not the activation energy and attempt frequency, which have a rule of
// their own: ArrheniusPair below).
fit_problem toy_problem(std::size_t points, int parameters, ionrail::kmc::sim_params sim = {}) {
  fit_params f;
  for (int k = 0; k < parameters; ++k) {
    fit_parameter_spec p;
    p.name = static_cast<fit_parameter_name>(k + static_cast<int>(fit_parameter_name::fill));
    p.lower = 0;
    p.upper = 1;
    f.parameters.push_back(p);
  }
  fit_curve c;
  c.measured.t_s.resize(points);
  c.measured.value.assign(points, 0.0);
  c.measured.value[0] = 1;
  return fit_problem(ionrail::kmc::device_params{}, sim, f, {c});
}

TEST(FitUncertainty, GaussNewtonCovarianceOfAKnownLinearModel) {
  // Residuals r = x1 a + x2 b - y with x1 = 1, x2 = t: ordinary least
  // squares, whose covariance is s2 (X^T X)^-1. Alternating residuals
  // (+e, -e) have a negative lag-1 autocorrelation: no inflation.
  const std::size_t m = 20;
  const auto problem = toy_problem(m, 2);
  std::vector<std::vector<double>> jac(2, std::vector<double>(m));
  std::vector<double> r(m);
  for (std::size_t i = 0; i < m; ++i) {
    jac[0][i] = 1;
    jac[1][i] = static_cast<double>(i);
    r[i] = (i % 2 ? 0.1 : -0.1);
  }
  const fit_uncertainty u = uncertainty_from_jacobian(problem, problem.to_scaled(problem.start_values()), jac, r);
  const double s2 = 20 * 0.01 / 18;
  double sx = 0, sxx = 0;
  for (std::size_t i = 0; i < m; ++i) {
    sx += static_cast<double>(i);
    sxx += static_cast<double>(i * i);
  }
  const double det = static_cast<double>(m) * sxx - sx * sx;
  EXPECT_NEAR(u.s2, s2, 1e-12);
  EXPECT_EQ(u.correlation_inflation, 1.0);
  EXPECT_NEAR(u.sigma_u[0], std::sqrt(s2 * sxx / det), 1e-9);
  EXPECT_NEAR(u.sigma_u[1], std::sqrt(s2 * static_cast<double>(m) / det), 1e-9);
  EXPECT_NEAR(u.correlation[0][1], -sx / std::sqrt(sxx * static_cast<double>(m)), 1e-9);
  EXPECT_TRUE(u.identifiable[0] && u.identifiable[1]);
}

// For residuals linear in the parameters the profile of the objective is
// exactly quadratic, rise = (x / sigma)² with the Fisher sigma: the profile
// (NLopt re-minimising the other parameter at each point, from the valley
// the Fisher covariance predicts, which here is exact and must not be left)
// must give the Fisher interval, with no offset.
TEST(FitUncertainty, ProfileOfALinearModelIsTheFisherInterval) {
  if (!have_nlopt()) GTEST_SKIP() << "no NLopt in this build";
  const std::size_t m = 20;
  const auto problem = toy_problem(m, 2);
  std::vector<double> y(m);
  for (std::size_t i = 0; i < m; ++i) y[i] = 0.5 + 0.02 * static_cast<double>(i) + (i % 2 ? 0.01 : -0.01);
  const residual_function residuals = [&](const std::vector<double>& u) {
    std::vector<double> r(m);
    for (std::size_t i = 0; i < m; ++i) r[i] = u[0] + u[1] * static_cast<double>(i) - y[i];
    return r;
  };
  // The least-squares optimum and the Jacobian.
  double sx = 0, sxx = 0, sy = 0, sxy = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const double t = static_cast<double>(i);
    sx += t, sxx += t * t, sy += y[i], sxy += t * y[i];
  }
  const double det = static_cast<double>(m) * sxx - sx * sx;
  const std::vector<double> best{(sxx * sy - sx * sxy) / det, (static_cast<double>(m) * sxy - sx * sy) / det};
  std::vector<std::vector<double>> jac(2, std::vector<double>(m));
  for (std::size_t i = 0; i < m; ++i) jac[0][i] = 1, jac[1][i] = static_cast<double>(i);
  const std::vector<double> r = residuals(best);
  const fit_uncertainty unc = uncertainty_from_jacobian(problem, problem.to_scaled(problem.start_values()), jac, r);
  const auto profiles = profile_likelihood(problem, residuals, best, sum_of_squares(r), unc, 60);
  ASSERT_EQ(profiles.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    SCOPED_TRACE(k);
    const parameter_profile& p = profiles[k];
    ASSERT_TRUE(p.computed);
    EXPECT_EQ(p.u.size(), 7u);
    EXPECT_NEAR(p.sigma_data_u, unc.sigma_u[k], 1e-12);
    EXPECT_NEAR(p.offset, 0.0, 0.02);
    EXPECT_NEAR(best[k] - p.low_u, unc.sigma_u[k], 0.01 * unc.sigma_u[k]);
    EXPECT_NEAR(p.high_u - best[k], unc.sigma_u[k], 0.01 * unc.sigma_u[k]);
    for (std::size_t i = 0; i < p.u.size(); ++i) {
      const double x = (p.u[i] - best[k]) / unc.sigma_u[k];
      EXPECT_NEAR(p.rise[i], x * x, 0.02) << x;
    }
  }
}

TEST(FitUncertainty, CorrelatedResidualsWidenTheUncertainty) {
  const std::size_t m = 40;
  const auto problem = toy_problem(m, 1);
  std::vector<std::vector<double>> jac(1, std::vector<double>(m, 1.0));
  std::vector<double> white(m), slow(m);
  for (std::size_t i = 0; i < m; ++i) {
    white[i] = i % 2 ? 0.1 : -0.1;
    slow[i] = (i / 10) % 2 ? 0.1 : -0.1;  // runs of ten: lag-1 autocorrelation 0.9 (ends aside)
  }
  const auto a = uncertainty_from_jacobian(problem, problem.to_scaled(problem.start_values()), jac, white);
  const auto b = uncertainty_from_jacobian(problem, problem.to_scaled(problem.start_values()), jac, slow);
  EXPECT_NEAR(b.lag1_autocorrelation[0], 33.0 / 40.0, 1e-12);  // 36 equal neighbours, 3 sign changes
  EXPECT_GT(b.correlation_inflation, 10.0);
  EXPECT_NEAR(b.sigma_u[0], a.sigma_u[0] * std::sqrt(b.correlation_inflation), 1e-12);
}

TEST(FitUncertainty, ConfoundedOrUnconstrainedParametersAreNotIdentifiable) {
  const std::size_t m = 30;
  std::vector<double> r(m);
  for (std::size_t i = 0; i < m; ++i) r[i] = i % 2 ? 0.01 : -0.01;
  // Columns 0 and 1 equal: only their sum shows (an exact null direction).
  const auto p3 = toy_problem(m, 3);
  std::vector<std::vector<double>> jac(3, std::vector<double>(m));
  for (std::size_t i = 0; i < m; ++i) {
    jac[0][i] = jac[1][i] = std::sin(0.3 * static_cast<double>(i));
    jac[2][i] = std::cos(0.7 * static_cast<double>(i));
  }
  auto u = uncertainty_from_jacobian(p3, p3.to_scaled(p3.start_values()), jac, r);
  EXPECT_FALSE(u.identifiable[0]);
  EXPECT_FALSE(u.identifiable[1]);
  EXPECT_TRUE(u.identifiable[2]);
  EXPECT_TRUE(std::isinf(u.sigma_u[0]));
  EXPECT_TRUE(has(u.why_not[0], "null direction"));
  // Nearly equal (a KMC Jacobian's noise): confounded, by their correlation,
  // though a good fit (small residuals) keeps both uncertainties in range.
  for (std::size_t i = 0; i < m; ++i) jac[1][i] += 1e-3 * std::cos(1.9 * static_cast<double>(i));
  std::vector<double> small(m);
  for (std::size_t i = 0; i < m; ++i) small[i] = 1e-4 * r[i];
  u = uncertainty_from_jacobian(p3, p3.to_scaled(p3.start_values()), jac, small);
  EXPECT_LT(u.eigenvalues[0], 1e-4 * u.eigenvalues[2]);
  EXPECT_GT(u.eigenvalues[0], 1e-10 * u.eigenvalues[2]);
  EXPECT_FALSE(u.identifiable[0]);
  EXPECT_TRUE(has(u.why_not[0], "confounded with")) << u.why_not[0];
  EXPECT_TRUE(u.identifiable[2]);
  // A column so small that its uncertainty exceeds the bound range.
  for (std::size_t i = 0; i < m; ++i) jac[1][i] = 1e-4 * std::cos(1.3 * static_cast<double>(i));
  u = uncertainty_from_jacobian(p3, p3.to_scaled(p3.start_values()), jac, r);
  EXPECT_FALSE(u.identifiable[1]);
  EXPECT_TRUE(has(u.why_not[1], "exceeds its bound range")) << u.why_not[1];
}

// The activation energy and the attempt frequency (log10 scale), two curves
// of m points at temperatures t1 and t2 (nothing simulated).
fit_problem arrhenius_problem(std::size_t m, double t1_k, double t2_k) {
  fit_params f;
  fit_parameter_spec ea, nu;
  ea.name = fit_parameter_name::activation_energy_ev;
  ea.lower = 0.6, ea.upper = 0.9, ea.start = 0.75;
  nu.name = fit_parameter_name::attempt_frequency_hz;
  nu.lower = 1e12, nu.upper = 1e14, nu.start = 1e13, nu.scale = fit_scale::log;
  f.parameters = {ea, nu};
  std::vector<fit_curve> curves(2);
  curves[0].spec.temperature_k = t1_k;
  curves[1].spec.temperature_k = t2_k;
  for (auto& c : curves) {
    c.measured.t_s.resize(m);
    c.measured.value.assign(m, 0.0);
    c.measured.value[0] = 1;
  }
  return fit_problem(ionrail::kmc::device_params{}, ionrail::kmc::sim_params{}, f, curves);
}

// Residuals that depend on the parameters only through ln Γ(T) = ln ν0 −
// Ea / kB T of their curve's temperature, with slope `gain`: the Jacobian of
// curve c's points is gain · (−1 / kB T_c, ln 10) in (Ea, log10 ν0).
std::vector<std::vector<double>> arrhenius_jacobian(std::size_t m, double t1_k, double t2_k) {
  std::vector<std::vector<double>> jac(2, std::vector<double>(2 * m));
  for (std::size_t i = 0; i < 2 * m; ++i) {
    const double t = i < m ? t1_k : t2_k;
    const double gain = 1.0 + 0.1 * std::sin(static_cast<double>(i));
    jac[0][i] = -gain / (8.617333262e-5 * t);
    jac[1][i] = gain * std::log(10.0);
  }
  return jac;
}

TEST(ArrheniusPair, OneTemperatureNeverSeparatesThemSeveralCan) {
  const std::size_t m = 40;
  std::vector<double> r(2 * m);
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = i % 2 ? 1e-3 : -1e-3;
  // One temperature: the Jacobian's columns are proportional (a null
  // direction) but the rule does not depend on how the noise left them.
  {
    const auto p = arrhenius_problem(m, 300, 300);
    auto jac = arrhenius_jacobian(m, 300, 300);
    for (std::size_t i = 0; i < r.size(); ++i) jac[0][i] *= 1.0 + 0.05 * std::cos(2.3 * static_cast<double>(i));
    const auto u = uncertainty_from_jacobian(p, p.to_scaled(p.start_values()), jac, r);
    EXPECT_FALSE(u.identifiable[0]);
    EXPECT_FALSE(u.identifiable[1]);
    EXPECT_TRUE(has(u.why_not[0], "at one temperature (300 K)")) << u.why_not[0];
    const auto a = arrhenius_summary(p, p.to_scaled(p.start_values()), u);
    EXPECT_EQ(a.temperatures, 1u);
    EXPECT_DOUBLE_EQ(a.t_ref_k, 300.0);
  }
  // 280 and 330 K, data this good: Ea and ln nu0 correlate above 0.99 (an
  // Arrhenius line's slope and far intercept), but Ea and ln Γ(T_ref) do
  // not: both identifiable.
  {
    const auto p = arrhenius_problem(m, 280, 330);
    const auto u = uncertainty_from_jacobian(p, p.to_scaled(p.start_values()), arrhenius_jacobian(m, 280, 330), r);
    EXPECT_TRUE(u.identifiable[0]) << u.why_not[0];
    EXPECT_TRUE(u.identifiable[1]) << u.why_not[1];
    EXPECT_GT(std::fabs(u.correlation[0][1]), max_identifiable_correlation);
    const auto a = arrhenius_summary(p, p.to_scaled(p.start_values()), u);
    EXPECT_EQ(a.temperatures, 2u);
    EXPECT_NEAR(a.t_ref_k, 2.0 / (1.0 / 280 + 1.0 / 330), 1e-9);
    EXPECT_LT(std::fabs(a.centred_correlation), 0.5);
    EXPECT_GT(std::fabs(a.correlation), std::fabs(a.centred_correlation));
  }
  // 300 and 300.5 K: Ea is the slope over a hundredth of the 1/T range, so
  // its uncertainty is about a hundred times larger (measured: 3.6e-5 eV at
  // 280/330 K, 0.035 eV at 300/300.5 K with ten times the residuals); with a
  // hundred times the residuals it exceeds the bound range (0.3 eV).
  {
    const auto wide = arrhenius_problem(m, 280, 330);
    const auto narrow = arrhenius_problem(m, 300, 300.5);
    const auto a = uncertainty_from_jacobian(wide, wide.to_scaled(wide.start_values()), arrhenius_jacobian(m, 280, 330), r);
    std::vector<double> r100(r);
    for (double& x : r100) x *= 100;
    const auto b =
        uncertainty_from_jacobian(narrow, narrow.to_scaled(narrow.start_values()), arrhenius_jacobian(m, 300, 300.5), r100);
    std::cout << "sigma Ea " << a.sigma_u[0] << " eV (280/330 K), " << b.sigma_u[0] << " (300/300.5 K, 100x residuals)\n";
    EXPECT_FALSE(b.identifiable[0]);
    EXPECT_TRUE(has(b.why_not[0], "exceeds its bound range")) << b.why_not[0];
  }
}

// Gauss-Newton refinement on a linear least-squares problem (exact
// Jacobian by finite differences) whose objective has one narrow feature of
// a few units, as the common-random-number KMC objective has everywhere: a
// dip where the refinement starts, 1.2 sigma from the bottom, must not hold
// it there (a rule that takes only descending steps stays in the dip); a
// bump at the bottom far above the allowance must refuse the full step.
TEST(FitRefinement, ALocalDipDoesNotHoldItAndABigRiseIsRefused) {
  const std::size_t m = 40;
  const auto problem = toy_problem(m, 2);
  std::vector<double> t(m), y(m);
  for (std::size_t i = 0; i < m; ++i) {
    t[i] = static_cast<double>(i) / static_cast<double>(m);
    y[i] = 0.4 + 0.2 * t[i] + (i % 2 ? 0.01 : -0.01);
  }
  const auto smooth = [&](const std::vector<double>& u) {
    std::vector<double> r(m);
    for (std::size_t i = 0; i < m; ++i) r[i] = (u[0] + u[1] * t[i] - y[i]) / 0.01;
    return r;
  };
  // The bottom, and the least-determined direction (JᵀJ's small eigenvector).
  double st = 0, stt = 0, sy = 0, sty = 0;
  for (std::size_t i = 0; i < m; ++i) st += t[i], stt += t[i] * t[i], sy += y[i], sty += t[i] * y[i];
  const double n = static_cast<double>(m), det = n * stt - st * st;
  const std::vector<double> best{(stt * sy - st * sty) / det, (n * sty - st * sy) / det};
  std::vector<double> values;
  std::vector<std::vector<double>> vectors;
  symmetric_eigen({{n, st}, {st, stt}}, values, vectors);
  const double min_objective = sum_of_squares(smooth(best));
  const double s2 = min_objective / (n - 2);
  // Start where the smooth objective is 1.5 s2 above the bottom.
  const double a = std::sqrt(1.5 * s2 / values[0]) * 0.01;
  const std::vector<double> start{best[0] + a * vectors[0][0], best[1] + a * vectors[1][0]};
  const auto near = [](const std::vector<double>& u, const std::vector<double>& c) {
    return std::fabs(u[0] - c[0]) < 1e-4 && std::fabs(u[1] - c[1]) < 1e-4;
  };
  {
    // The dip takes the start 1 s2 below the bottom.
    const double k = std::sqrt((min_objective - s2) / sum_of_squares(smooth(start)));
    const residual_function dipped = [&](const std::vector<double>& u) {
      std::vector<double> r = smooth(u);
      if (near(u, start))
        for (double& x : r) x *= k;
      return r;
    };
    const std::vector<double> r0 = dipped(start);
    ASSERT_LT(sum_of_squares(r0), min_objective);
    const refined_fit f = refine_gauss_newton(problem, dipped, start, r0, 8);
    // The step from the dip is k times the full one (the dip scales the
    // residuals by k), and the rest, 3 % of the way, is below a quarter sigma.
    EXPECT_TRUE(f.converged());
    EXPECT_EQ(f.accepted_steps, 1);
    for (std::size_t j = 0; j < 2; ++j) EXPECT_NEAR(f.u[j], start[j] + k * (best[j] - start[j]), 1e-9);
  }
  {
    // A bump at the bottom, 20 s2 high: the full step is refused, the
    // halved one (on the smooth slope, lower than the start) taken.
    const residual_function bumped = [&](const std::vector<double>& u) {
      std::vector<double> r = smooth(u);
      if (near(u, best)) r[0] += std::sqrt(20 * s2) + 1;
      return r;
    };
    const refined_fit f = refine_gauss_newton(problem, bumped, start, bumped(start), 1);
    EXPECT_EQ(f.accepted_steps, 1);
    EXPECT_NEAR(f.u[0], 0.5 * (start[0] + best[0]), 1e-9);
    EXPECT_NEAR(f.u[1], 0.5 * (start[1] + best[1]), 1e-9);
  }
}

// Two parameters the curves see only through their sum: neither is
// identifiable (infinite sigmas), but the sum is, and the refinement must
// bring it to the bottom before it calls itself converged.
TEST(FitRefinement, AConfoundedPairStillHasItsCombinationBroughtDown) {
  const std::size_t m = 40;
  const auto problem = toy_problem(m, 2);
  const residual_function sum_only = [&](const std::vector<double>& u) {
    std::vector<double> r(m);
    for (std::size_t i = 0; i < m; ++i) r[i] = (u[0] + u[1] - 0.7) / 0.01 + (i % 2 ? 1.0 : -1.0);
    return r;
  };
  const std::vector<double> start{0.2, 0.2};
  const refined_fit f = refine_gauss_newton(problem, sum_only, start, sum_only(start), 8);
  EXPECT_FALSE(f.uncertainty.identifiable[0]);
  EXPECT_FALSE(f.uncertainty.identifiable[1]);
  EXPECT_TRUE(f.converged());
  EXPECT_EQ(f.accepted_steps, 1);
  EXPECT_NEAR(f.u[0] + f.u[1], 0.7, 1e-9);
  EXPECT_NEAR(f.u[0], f.u[1], 1e-9);  // the pseudo-inverse does not move along the null direction
}

// At one temperature a residual that depends on Ea and ν0 only through
// the rate, nonlinearly (a saturating response), gives finite-difference
// columns that are not exactly proportional, so the flat direction
// d ln ν0 = d Ea / kB T looks slightly curved. The refinement must bring
// the rate to the bottom and not move along the flat direction at all.
TEST(FitRefinement, OneTemperatureDoesNotWalkAlongTheFlatArrheniusDirection) {
  const std::size_t m = 40;
  const auto problem = arrhenius_problem(m, 300, 300);
  const double kt = 8.617333262e-5 * 300, target = std::log(1e13) - 0.75 / kt;
  const residual_function residuals = [&](const std::vector<double>& u) {
    const double ln_rate = u[1] * std::log(10.0) - u[0] / kt;
    std::vector<double> r(2 * m);
    for (std::size_t i = 0; i < r.size(); ++i) {
      const double time = 0.1 * static_cast<double>(i % m + 1);
      r[i] = (std::exp(-time * std::exp(ln_rate - target)) - std::exp(-time)) / 0.01 + (i % 2 ? 0.5 : -0.5);
    }
    return r;
  };
  const std::vector<double> start{0.70, 12.5};  // ln Γ 0.78 above the target
  const refined_fit f = refine_gauss_newton(problem, residuals, start, residuals(start), 8);
  EXPECT_TRUE(f.converged());
  EXPECT_GE(f.accepted_steps, 1);
  EXPECT_NEAR(f.u[1] * std::log(10.0) - f.u[0] / kt, target, 1e-3);
  // The move is along the rate only: in range-normalised coordinates it is
  // orthogonal to the flat direction (1 / 0.3, 1 / (kB T ln 10) / 2).
  const double w_e = 1.0 / 0.3, w_n = 1.0 / (kt * std::log(10.0)) / 2.0;
  const double dx_e = (f.u[0] - start[0]) / 0.3, dx_n = (f.u[1] - start[1]) / 2.0;
  EXPECT_NEAR((w_e * dx_e + w_n * dx_n) / std::hypot(w_e, w_n), 0.0, 1e-9);
}

// The sync solver's error, first order in its step: for a linear model
// whose residuals carry step_scale times a fixed error c, the step check
// must give the exact move of the least-squares optimum from step_scale 1
// to 0, u*(0) - u*(1) = (JᵀJ)⁻¹Jᵀc; a draw-dependent offset that averages
// out over the seeds leaves the mean and shows in the standard error. The
// BKL solver has no step: no check.
TEST(FitStepCheck, GivesTheMoveToTheContinuousTimeLimitAndItsNoise) {
  const std::size_t m = 30;
  const auto problem = toy_problem(m, 2);
  std::vector<double> t(m), y(m), c(m);
  for (std::size_t i = 0; i < m; ++i) {
    t[i] = static_cast<double>(i) / static_cast<double>(m);
    y[i] = 0.4 + 0.2 * t[i];
    c[i] = 0.03 * std::exp(-3 * t[i]);  // the step's error: a response a little high early on
  }
  const double offset = 0.002;  // the halved step's re-draw, +/- by seed
  const stepped_residual_function residuals = [&](const std::vector<double>& u, int seed, double step_scale) {
    std::vector<double> r(m);
    for (std::size_t i = 0; i < m; ++i) {
      const double draw = step_scale == 1.0 ? 0.0 : (seed % 2 ? offset : -offset);
      r[i] = (u[0] + u[1] * t[i] + step_scale * c[i] + draw - y[i]) / 0.01;
    }
    return r;
  };
  // Least squares of y - s c on (1, t), in closed form.
  double st = 0, stt = 0;
  for (std::size_t i = 0; i < m; ++i) st += t[i], stt += t[i] * t[i];
  const double n = static_cast<double>(m), det = n * stt - st * st;
  auto optimum = [&](double s) {
    double sy = 0, sty = 0;
    for (std::size_t i = 0; i < m; ++i) sy += y[i] - s * c[i], sty += t[i] * (y[i] - s * c[i]);
    return std::vector<double>{(stt * sy - st * sty) / det, (n * sty - st * sy) / det};
  };
  const std::vector<double> u1 = optimum(1.0), u0 = optimum(0.0);
  std::vector<std::vector<double>> jac(2, std::vector<double>(m));
  for (std::size_t i = 0; i < m; ++i) jac[0][i] = 1 / 0.01, jac[1][i] = t[i] / 0.01;
  const step_check_result check = sync_step_check(problem, residuals, u1, residuals(u1, 0, 1.0), jac, 4);
  ASSERT_EQ(check.seeds, 4);
  EXPECT_EQ(check.evaluations, 7);  // seed 0's full step is the fit's own residuals
  for (std::size_t k = 0; k < 2; ++k) EXPECT_NEAR(check.shift_u[k], u0[k] - u1[k], 1e-9) << k;
  ASSERT_GT(std::fabs(u0[0] - u1[0]), 1e-3);  // the check is not trivially zero
  // Each seed's shift of the intercept is 2 x (-/+ offset): standard error 2 offset / sqrt(3).
  EXPECT_NEAR(check.noise_u[0], 2 * offset / std::sqrt(3.0), 1e-9);
  EXPECT_NEAR(check.noise_u[1], 0.0, 1e-9);
  EXPECT_EQ(sync_step_check(problem, residuals, u1, residuals(u1, 0, 1.0), jac, 0).seeds, 0);
  ionrail::kmc::sim_params bkl;
  bkl.solver = ionrail::kmc::method::bkl;
  EXPECT_EQ(sync_step_check(toy_problem(m, 2, bkl), residuals, u1, residuals(u1, 0, 1.0), jac, 4).seeds, 0);
}

TEST(FitModelDraw, ReplicatesWalkToTheirOwnFixedPointsWithTheFitsJacobian) {
  // Residuals (a_k (u0 - 0.4) + d_k + (u1 - 0.2) t) / 0.01: the fit's own
  // draw (k = 0) has slope a = 1 and fits exactly at (0.4, 0.2); another
  // draw is offset by d_k = +/- delta and answers u0 with half the slope,
  // as a re-drawn KMC model answers a weakly fixed direction less than the
  // fit's own finite-difference Jacobian. Its fixed point is u0 = 0.4 -
  // d_k / a_k, twice as far as the linearised shift -d_k; each step with
  // the fit's Jacobian covers half of what is left.
  const std::size_t m = 30;
  const auto problem = toy_problem(m, 2);
  const double delta = 0.002;
  std::vector<double> t(m);
  for (std::size_t i = 0; i < m; ++i) t[i] = static_cast<double>(i) / static_cast<double>(m);
  int calls = 0;
  const seeded_residual_function residuals = [&](const std::vector<double>& u, int seed) {
    ++calls;
    const double a = seed == 0 ? 1.0 : 0.5, d = seed == 0 ? 0.0 : (seed % 2 ? delta : -delta);
    std::vector<double> r(m);
    for (std::size_t i = 0; i < m; ++i) r[i] = (a * (u[0] - 0.4) + d + (u[1] - 0.2) * t[i]) / 0.01;
    return r;
  };
  std::vector<std::vector<double>> jac(2, std::vector<double>(m));
  for (std::size_t i = 0; i < m; ++i) jac[0][i] = 1 / 0.01, jac[1][i] = t[i] / 0.01;
  const std::vector<double> best = {0.4, 0.2};
  const std::vector<double> r0 = residuals(best, 0);
  for (int steps : {1, 3, 6}) {
    calls = 0;
    const model_draw draw = model_noise_covariance(problem, residuals, best, r0, jac, 4, steps);
    // The residuals at the optimum are exact (s2 = 0): no step is ever
    // "below a quarter sigma", so every replicate takes all its steps.
    EXPECT_EQ(draw.evaluations, 4 * steps);
    EXPECT_EQ(calls, 4 * steps);
    const double walked = 2 * delta * (1 - std::pow(0.5, steps));  // |shift| after `steps` steps
    EXPECT_NEAR(draw.covariance_u[0][0], walked * walked / 2, 1e-12) << steps;
    EXPECT_NEAR(draw.linearised_covariance_u[0][0], delta * delta / 2, 1e-12) << steps;
    EXPECT_NEAR(draw.covariance_u[1][1], 0.0, 1e-12);
    EXPECT_NEAR(draw.covariance_u[0][1], 0.0, 1e-12);
  }
  EXPECT_EQ(model_noise_covariance(problem, residuals, best, r0, jac, 0, 4).evaluations, 0);
}

TEST(FitUncertainty, JacobiEigenvaluesOfAKnownMatrix) {
  std::vector<double> values;
  std::vector<std::vector<double>> vectors;
  symmetric_eigen({{2, 1, 0}, {1, 2, 0}, {0, 0, 5}}, values, vectors);
  ASSERT_EQ(values.size(), 3u);
  EXPECT_NEAR(values[0], 1, 1e-12);
  EXPECT_NEAR(values[1], 3, 1e-12);
  EXPECT_NEAR(values[2], 5, 1e-12);
  EXPECT_NEAR(std::fabs(vectors[0][0]), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(vectors[0][0], -vectors[1][0], 1e-12);
}

// ---------------------------------------------------------------- checkpoint and material

TEST(FitCheckpoint, HistoryRoundTripsExactly) {
  std::vector<fit_evaluation> h{{{0.1, 1.0 / 3.0}, {1e-300, -2.5, std::nextafter(1.0, 2.0)}},
                                {{0.7, 13.25}, {0.0, -0.0, 6.02e23}}};
  const auto back = parse_history(history_text(h), 2, 3, "history");
  ASSERT_EQ(back.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(back[k].u, h[k].u);
    EXPECT_EQ(back[k].residuals, h[k].residuals);
  }
  EXPECT_TRUE(has(refusal([&] { parse_history("u 1 2\nr 1\n", 2, 3, "H"); }), "H: damaged"));
  EXPECT_TRUE(has(refusal([&] { parse_history("u 1 2\n", 2, 3, "H"); }), "truncated"));
}

TEST(FittedMaterial, ReadsBackToTheSameDevice) {
  const fs::path d = scratch_dir("fit_material");
  const std::string source = std::string(IONRAIL_SOURCE_DIR) + "/materials/polymer.toml";
  auto cfg = ionrail::config::load_run_config(source);
  cfg.device.species[0].activation_energy_ev = 0.7512345678901234;
  cfg.device.readout.g1_s = 1.234567e-4;
  cfg.device.site_energy_ev.assign(static_cast<std::size_t>(cfg.device.sites), 0.0);
  cfg.device.site_energy_ev[3] = -0.125;
  const auto written = write_file(d / "m.toml", ionrail::config::material_toml(cfg));
  const auto back = ionrail::config::load_run_config(written);
  auto device_json = [](const ionrail::config::run_config& c) {
    ionrail::config::run_config only;
    only.device = c.device;
    return ionrail::config::resolved_parameters_json(only);
  };
  EXPECT_EQ(device_json(back), device_json(cfg));
  EXPECT_EQ(back.device.species[0].activation_energy_ev, 0.7512345678901234);
  EXPECT_EQ(back.device.site_energy_ev[3], -0.125);
}

}  // namespace
