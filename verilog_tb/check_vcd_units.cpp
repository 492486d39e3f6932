// Checks a VCD written by `tb_cell --trace` (verilog_tb/CMakeLists.txt):
//   check_vcd_units FILE.vcd FROM TO
// - the engineering-unit signals of tb/tb_cell.sv are VCD `real` variables
//   and, at every time stamp, equal their raw fixed-point port × 2^-F:
//   v_volt = v / 2^11 (V), g_eff_us = g_eff / 2^20 (µS), g_offset_us,
//   current_ua = current / 2^31 (µA), state_real, fluct_real = raw / 2^30;
// - every time stamp lies in the trace window of clock cycles [FROM, TO)
//   (10 time units a cycle; TO = -1: no end), and the first one is 10 · FROM.
// Prints the number of comparisons; exits 1 on any difference, 2 on usage.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct pair_spec {
  const char* raw;
  const char* real;
  int frac;
};
constexpr pair_spec pairs[] = {{"v", "v_volt", 11},          {"g_eff", "g_eff_us", 20}, {"g_offset", "g_offset_us", 20},
                               {"current", "current_ua", 31}, {"state", "state_real", 30}, {"fluct", "fluct_real", 30}};

struct var {
  std::string type;
  int width = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s FILE.vcd FROM TO\n", argv[0]);
    return 2;
  }
  const long long from = std::atoll(argv[2]), to = std::atoll(argv[3]);
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "check_vcd_units: cannot open %s\n", argv[1]);
    return 2;
  }
  // Header: the variables of scope tb_cell, by name and by code.
  std::vector<std::string> scopes;
  std::map<std::string, std::string> code_of;  // name -> code
  std::map<std::string, var> vars;             // code -> type, width
  std::string tok;
  while (in >> tok) {
    if (tok == "$scope") {
      std::string kind, name;
      in >> kind >> name;
      scopes.push_back(name);
    } else if (tok == "$upscope") {
      if (!scopes.empty()) scopes.pop_back();
    } else if (tok == "$var") {
      std::string type, width, code, name;
      in >> type >> width >> code >> name;
      if (!scopes.empty() && scopes.back() == "tb_cell") {
        code_of[name] = code;
        vars[code] = var{type, std::atoi(width.c_str())};
      }
    } else if (tok == "$enddefinitions") {
      in >> tok;  // $end
      break;
    }
  }
  int failures = 0;
  for (const auto& p : pairs) {
    if (!code_of.count(p.raw) || !code_of.count(p.real)) {
      std::printf("FAIL: scope tb_cell has no '%s' or no '%s'\n", p.raw, p.real);
      return 1;
    }
    if (vars[code_of[p.real]].type != "real") {
      std::printf("FAIL: %s is a VCD '%s', not 'real'\n", p.real, vars[code_of[p.real]].type.c_str());
      return 1;
    }
  }
  // Value changes, then the check at the end of each time stamp.
  std::map<std::string, std::int64_t> raw;
  std::map<std::string, double> real;
  long long stamps = 0, compared = 0, first = -1, last = -1;
  auto check = [&]() {
    for (const auto& p : pairs) {
      const std::string& rc = code_of[p.raw];
      const std::string& fc = code_of[p.real];
      if (!raw.count(rc) || !real.count(fc)) continue;
      const double want = static_cast<double>(raw[rc]) / std::ldexp(1.0, p.frac);
      const double got = real[fc];
      ++compared;
      // VCD reals are printed with 16 significant digits.
      if (std::fabs(got - want) > 1e-15 * std::fabs(want) + 1e-300) {
        if (++failures <= 10)
          std::printf("FAIL at time %lld: %s = %.17g, but %s = %lld x 2^-%d = %.17g\n", last, p.real, got, p.raw,
                      static_cast<long long>(raw[rc]), p.frac, want);
      }
    }
  };
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (stamps > 0) check();
      last = std::atoll(line.c_str() + 1);
      if (first < 0) first = last;
      ++stamps;
      if (last < 10 * from || (to >= 0 && last >= 10 * to)) {
        std::printf("FAIL: time %lld outside the window of cycles [%lld, %lld)\n", last, from, to);
        return 1;
      }
    } else if (line[0] == 'b') {
      std::istringstream w(line.substr(1));
      std::string bits, code;
      w >> bits >> code;
      auto it = vars.find(code);
      if (it == vars.end()) continue;
      std::uint64_t u = 0;
      for (char c : bits) u = (u << 1) | (c == '1' ? 1u : 0u);
      const int width = it->second.width;
      // Verilator writes every bit; sign-extend from the declared width.
      if (width < 64 && bits.size() == static_cast<std::size_t>(width) && bits[0] == '1') u |= ~std::uint64_t{0} << width;
      raw[code] = static_cast<std::int64_t>(u);
    } else if (line[0] == 'r') {
      std::istringstream w(line.substr(1));
      std::string value, code;
      w >> value >> code;
      if (vars.count(code)) real[code] = std::strtod(value.c_str(), nullptr);
    }
  }
  if (stamps > 0) check();
  if (stamps == 0) {
    std::printf("FAIL: no time stamps in %s\n", argv[1]);
    return 1;
  }
  if (first != 10 * from) {
    std::printf("FAIL: the first time stamp is %lld, not 10 x --trace-from = %lld\n", first, 10 * from);
    return 1;
  }
  if (failures > 0) {
    std::printf("FAIL: %d differences between the real-valued signals and raw x scale\n", failures);
    return 1;
  }
  std::printf("PASS check_vcd_units: %lld time stamps in [%lld, %lld], %lld real values equal raw x 2^-F\n", stamps,
              first, last, compared);
  return 0;
}
