// The demo's physics claims are asserted, not just plotted: the full demo
// (the default material, the four paper experiments) runs here and every
// claim of its report must hold.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <ionrail/app/demo.hpp>

namespace fs = std::filesystem;

namespace {

using namespace ionrail::app;
using namespace ionrail::runs;

TEST(Demo, EveryPhysicsClaimHoldsAndEveryPlotExists) {
  const fs::path out = fs::path(::testing::TempDir()) / "ionrail_demo";
  fs::remove_all(out);
  demo_options o;
  o.out_dir = out.string();
  o.quiet = true;
  o.experiments_dir = std::string(IONRAIL_SOURCE_DIR) + "/experiments";
  ASSERT_EQ(run_demo(o), 0) << "a claim failed: see " << (out / "report.md");
  std::ifstream report(out / "report.md");
  const std::string md((std::istreambuf_iterator<char>(report)), {});
  EXPECT_EQ(md.find("**NO**"), std::string::npos);
  const bool gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  const std::regex image(R"(!\[[^\]]*\]\(([^)]+)\))");
  int images = 0;
  for (auto it = std::sregex_iterator(md.begin(), md.end(), image); it != std::sregex_iterator(); ++it, ++images)
    if (gnuplot) {
      EXPECT_TRUE(fs::exists(out / (*it)[1].str())) << (*it)[1].str();
    }
  EXPECT_GE(images, 8);
}

TEST(Demo, ClaimsDetectViolations) {
  // The checks must be able to fail: feed them results that break each claim.
  experiment_result rates;
  for (double rate : {0.1, 0.25}) {
    variant_result v;
    v.series_value = rate;
    v.loop.lobe_area_positive = rate;  // area rising with rate: wrong
    v.loop.max_abs_current_a = 1;
    v.loop.max_abs_current_at_zero_v_a = 0.1;  // not pinched
    rates.variants.push_back(v);
  }
  for (const auto& c : iv_claims(rates)) EXPECT_FALSE(c.holds) << c.text;

  experiment_result pulses;
  variant_result v;
  v.config.protocol.pulses.n_pot = 2;
  v.config.protocol.pulses.n_dep = 2;
  v.read_g_s = {1.0, 0.9, 1.1, 1.2, 0.8};  // dips during potentiation, rises during depression
  pulses.variants.push_back(v);
  const auto claims = pulse_claims(pulses);
  EXPECT_FALSE(claims[0].holds);
  EXPECT_FALSE(claims[1].holds);
}

}  // namespace
