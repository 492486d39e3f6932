// `ionrail fit` end to end on the shipped examples (experiments/measured/,
// made by scripts/make_measured.py from KMC runs at known parameters plus 1 %
// Gaussian noise; the truth is in polymer/truth.json):
// - polymer.toml recovers Ea, g0 and g1 within their reported 95 % intervals
//   (± 2σ; one data set, so this is one draw of the coverage that
//   scripts/fit_coverage.sh measures over ten seeds), and writes the report,
//   its plots and a material that loads;
// - polymer_degenerate.toml (Ea and ν0 at one temperature) reports both as
//   not identifiable, recovers their combination ν0 exp(-Ea/kT), and g1;
// - a fit stopped by SIGINT and resumed gives the same fit as one never stopped.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <ionrail/config/run_config.hpp>

#include "cli_run.hpp"
#include "sanitizer.hpp"
#include "spawn.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ionrail_test::scratch_dir;
using ionrail_test::slurp;
using ionrail_test::spawn;
using ionrail_test::sanitizer_sized;
using ionrail_test::wait_for;

const std::string source = IONRAIL_SOURCE_DIR;

json read_json(const fs::path& p) { return json::parse(slurp(p)); }

// The true value of `name` from truth.json's "section.key=value" list.
double truth_of(const json& truth, const std::string& name) {
  for (const auto& s : truth.at("true_parameters")) {
    const std::string text = s.get<std::string>();
    const auto eq = text.find('=');
    const std::string key = text.substr(0, eq);
    if (key.size() >= name.size() && key.compare(key.size() - name.size(), name.size(), name) == 0)
      return std::stod(text.substr(eq + 1));
  }
  ADD_FAILURE() << name << " not in truth.json";
  return 0;
}

const json* parameter(const json& fit, const std::string& name) {
  for (const auto& p : fit.at("parameters"))
    if (p.at("name") == name) return &p;
  ADD_FAILURE() << name << " not in fit.json";
  return nullptr;
}

TEST(FitRecovery, ShippedExampleRecoversTheKnownParametersWithinTheirIntervals) {
  const fs::path out = scratch_dir("fit_example") / "out";
  const auto r = ionrail_test::run_cli("fit " + source + "/experiments/measured/polymer.toml --out " + out.string() +
                                       " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  const json fit = read_json(out / "fit.json");
  const json truth = read_json(source + "/experiments/measured/polymer/truth.json");
  for (const char* name : {"activation_energy_ev", "g0_s", "g1_s"}) {
    SCOPED_TRACE(name);
    const json* p = parameter(fit, name);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(p->at("identifiable").get<bool>());
    const double value = p->at("value"), sigma = p->at("uncertainty"), t = truth_of(truth, name);
    EXPECT_GT(sigma, 0);
    EXPECT_LE(std::fabs(value - t), 2 * sigma) << "fitted " << value << " ± " << sigma << ", true " << t;
    // And an informative fit: the interval is far narrower than the bounds.
    EXPECT_LT(4 * sigma, p->at("bounds")[1].get<double>() - p->at("bounds")[0].get<double>());
    // The data's device is a KMC ensemble of 10000 rails (fit.device_rails),
    // the model's 2000: the device's own draw is the model's scaled by
    // sqrt(2000 / 10000), and both are inside the total.
    const double model = p->at("uncertainty_scaled_model_draw"), device = p->at("uncertainty_scaled_device_draw");
    const double total = p->at("uncertainty_scaled");
    EXPECT_NEAR(device / model, std::sqrt(0.2), 2e-3);
    EXPECT_GT(total * total, model * model + device * device);
  }
  // The only warnings are the solver step's: the data come from the same
  // sync solver (sim.p_max 0.5), so for them the fit is exact, but the check
  // says how far the continuous-time model would put the values. Its
  // activation energy: lower, by several sigma (refitting with p_max 0.125
  // moved it by -0.86 meV, sigma 0.26 meV; the check estimates -1.4 meV).
  for (const auto& w : fit.at("warnings"))
    EXPECT_NE(w.get<std::string>().find("sync solver's step"), std::string::npos) << w;
  {
    const json* ea = parameter(fit, "activation_energy_ev");
    ASSERT_NE(ea, nullptr);
    const json& shift = ea->at("sync_step_shift");
    EXPECT_LT(shift.at("in_sigma").get<double>(), -2.0) << shift;
    EXPECT_LT(3 * shift.at("standard_error").get<double>(), -shift.at("value").get<double>()) << shift;
  }
  // The report, its data and (with gnuplot) its plots; the fitted material loads.
  const std::string report = slurp(out / "report.md");
  EXPECT_NE(report.find("## Parameters"), std::string::npos);
  for (const char* f : {"curve0.csv", "curve1.csv", "curve2.csv", "history.csv", "plots.gp", "material.toml"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
    EXPECT_TRUE(fs::exists(out / "curve0.png"));
    EXPECT_TRUE(fs::exists(out / "curve2_residuals.png"));
    EXPECT_NE(report.find("![measured and fitted](curve0.png)"), std::string::npos);
  }
  const auto material = ionrail::config::load_run_config((out / "material.toml").string());
  // fit.json rounds to 10 significant digits; the material keeps every bit.
  EXPECT_NEAR(material.device.species[0].activation_energy_ev,
              parameter(fit, "activation_energy_ev")->at("value").get<double>(), 1e-9);
  EXPECT_NEAR(material.device.readout.g1_s / parameter(fit, "g1_s")->at("value").get<double>(), 1.0, 1e-9);
  EXPECT_FALSE(fs::exists(out.string() + ".checkpoint"));
}

TEST(FitRecovery, EaAndAttemptFrequencyAtOneTemperatureAreReportedNotIdentifiable) {
  const fs::path out = scratch_dir("fit_degenerate") / "out";
  const auto r = ionrail_test::run_cli("fit " + source + "/experiments/measured/polymer_degenerate.toml --out " +
                                       out.string() + " --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: activation_energy_ev is not identifiable"), std::string::npos) << r.output;
  const json fit = read_json(out / "fit.json");
  const json truth = read_json(source + "/experiments/measured/polymer/truth.json");
  const json* ea = parameter(fit, "activation_energy_ev");
  const json* nu = parameter(fit, "attempt_frequency_hz");
  const json* g1 = parameter(fit, "g1_s");
  ASSERT_TRUE(ea && nu && g1);
  EXPECT_FALSE(ea->at("identifiable").get<bool>());
  EXPECT_FALSE(nu->at("identifiable").get<bool>());
  EXPECT_TRUE(ea->at("uncertainty").is_null());
  EXPECT_TRUE(g1->at("identifiable").get<bool>());
  EXPECT_LE(std::fabs(g1->at("value").get<double>() - truth_of(truth, "g1_s")), 2 * g1->at("uncertainty").get<double>());
  // What the curves do fix: the hop rate at 300 K, within 5 % (the truth
  // has the material's nu0 = 1e13 Hz).
  const double kt = 8.617333262e-5 * 300;
  const double fitted = nu->at("value").get<double>() * std::exp(-ea->at("value").get<double>() / kt);
  const double real = 1e13 * std::exp(-truth_of(truth, "activation_energy_ev") / kt);
  EXPECT_NEAR(fitted / real, 1.0, 0.05);
  // fit.json reports that combination with its uncertainty: T_ref = 300 K
  // (one temperature), the same rate, the truth within 3 sigma.
  const json& a = fit.at("arrhenius");
  EXPECT_DOUBLE_EQ(a.at("t_ref_k").get<double>(), 300.0);
  EXPECT_NEAR(a.at("rate_hz").get<double>() / fitted, 1.0, 1e-5);
  const double rel = a.at("rate_relative_uncertainty").get<double>();
  EXPECT_GT(rel, 0.0);
  EXPECT_LE(std::fabs(fitted / real - 1.0), 3 * rel) << fitted << " vs " << real << " +- " << rel;
  EXPECT_FALSE(fit.at("warnings").empty());
}

TEST(FitRecovery, InterruptedAndResumedFitEqualsAnUninterruptedOne) {
  const fs::path d = scratch_dir("fit_resume");
  // No Gauss-Newton step: the replicates then start at the optimiser's best
  // point, whose residuals a resumed fit once took from a replicate's
  // evaluation there (another seed) instead of the optimiser's.
  // Fewer rails under the sanitizers (the resume is exact at any size).
  const std::string rails = "fit.rails=" + std::to_string(sanitizer_sized(400, 50));
  const std::vector<std::string> common{"fit", source + "/experiments/measured/polymer.toml", "--quiet", "--set",
                                        rails, "--set", "fit.max_evaluations=25", "--set", "fit.refine_steps=0"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = common;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  ASSERT_EQ(wait_for(spawn(with({"--out", (d / "whole").string()}), d / "whole.log")), 0) << slurp(d / "whole.log");
  const fs::path out = d / "stopped";
  const pid_t pid = spawn(with({"--out", out.string()}), d / "stopped.log");
  // Stop it once a few evaluations are saved (in the optimiser's phase).
  const fs::path history = out.string() + ".checkpoint/history";
  // The evaluations the checkpoint holds: one line starting with 'u' each.
  auto saved = [&] {
    std::istringstream in(fs::exists(history) ? slurp(history) : std::string());
    int count = 0;
    for (std::string line; std::getline(in, line);) count += !line.empty() && line[0] == 'u';
    return count;
  };
  auto stop_after = [&](pid_t p, int evaluations, const fs::path& log) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline && saved() < evaluations)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_GE(saved(), evaluations);
    kill(p, SIGINT);
    ASSERT_EQ(wait_for(p), 130) << slurp(log);
  };
  stop_after(pid, 5, d / "stopped.log");
  EXPECT_NE(slurp(d / "stopped.log").find("--resume"), std::string::npos);
  EXPECT_FALSE(fs::exists(out));
  // Without --resume a checkpoint is not thrown away.
  EXPECT_EQ(wait_for(spawn(with({"--out", out.string()}), d / "refused.log")), 2);
  // Stopped again among the replicates' evaluations (25 by the optimiser, 6
  // for the Jacobian, then 26 by the replicates), and resumed.
  stop_after(spawn(with({"--out", out.string(), "--resume"}), d / "stopped2.log"), 41, d / "stopped2.log");
  ASSERT_EQ(wait_for(spawn(with({"--out", out.string(), "--resume"}), d / "resumed.log")), 0) << slurp(d / "resumed.log");
  const json a = read_json(d / "whole" / "fit.json"), b = read_json(out / "fit.json");
  EXPECT_EQ(a.at("parameters"), b.at("parameters"));
  EXPECT_EQ(a.at("objective"), b.at("objective"));
  EXPECT_GT(b.at("cost").at("replayed_from_checkpoint").get<int>(), 0);
  EXPECT_EQ(a.at("correlation"), b.at("correlation"));
  EXPECT_EQ(a.at("curves"), b.at("curves"));
  for (const char* f : {"history.csv", "curve0.csv", "curve1.csv", "curve2.csv", "material.toml"})
    EXPECT_EQ(slurp(d / "whole" / f), slurp(out / f)) << f;
  EXPECT_FALSE(fs::exists(out.string() + ".checkpoint"));
}

}  // namespace
