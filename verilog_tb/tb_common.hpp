#pragma once
// Shared pieces of the Verilator testbenches: command-line options, the
// clock with optional VCD tracing, and the mismatch report (which exits
// non-zero: a bench that finds one difference has failed).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <verilated.h>
#if VM_TRACE
#include <verilated_vcd_c.h>
#endif

namespace ionrail::tb {

struct options {
  std::string model;      // which Verilated model (the bench lists them)
  long long count = 0;    // steps (cell, neuron) or operations (crossbar); 0: the bench's default
  std::uint64_t seed = 1;
  std::string kat;        // a known-answer vector file to replay instead of random stimulus
  std::string trace;      // write a VCD here
  long long trace_from = 0;   // the VCD holds clock cycles [trace_from, trace_to)
  long long trace_to = -1;    // -1: to the end of the run
  bool require_coverage = false;  // missing corner coverage fails the run (random mode)
  std::vector<std::string> plusargs;  // +name=value for the Verilated context ($value$plusargs)
};

// What a bench says about itself in its usage text.
struct bench_help {
  const char* count_option;  // "--steps" or "--ops"
  const char* models;        // "models: a b c" (and what else --model takes)
};

// Usage on stdout with exit 0 (--help) or on stderr with exit 2 (a usage error).
[[noreturn]] inline void usage(const char* argv0, const bench_help& h, int code = 2) {
  std::FILE* out = code == 0 ? stdout : stderr;
  std::fprintf(out,
               "usage: %s --model NAME [%s N] [--seed S] [--kat FILE] [--require-coverage]\n"
               "       %*s [--trace FILE.vcd [--trace-from C] [--trace-to C]]\n"
               "  --model NAME        the Verilated model to run; %s\n"
               "  %-19s how many in random mode (the bench's default when absent)\n"
               "  --seed S            seed of the random stimulus (1)\n"
               "  --kat FILE          replay a known-answer vector file instead of random stimulus\n"
               "  --require-coverage  fail the run if random stimulus missed a corner the bench counts\n"
               "                      (bit-exactness against the C++ model always decides PASS/FAIL)\n"
               "  --trace FILE.vcd    write a VCD of the bench's top (10 time units per clock cycle)\n"
               "  --trace-from C      first clock cycle in the VCD (0)\n"
               "  --trace-to C        clock cycle where the VCD stops, exclusive (the end of the run)\n"
               "  -h, --help          this text\n"
               "exit status: 0 pass, 1 mismatch (or missing required coverage), 2 usage error\n",
               argv0, h.count_option, static_cast<int>(std::strlen(argv0)), "", h.models, (std::string(h.count_option) + " N").c_str());
  std::exit(code);
}

[[noreturn]] inline void usage_error(const char* argv0, const bench_help& h, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", argv0, why.c_str());
  usage(argv0, h, 2);
}

inline options parse(int argc, char** argv, const bench_help& h) {
  options o;
  bool from_given = false, to_given = false;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "-h" || a == "--help") usage(argv[0], h, 0);
    auto value = [&]() -> std::string {
      if (k + 1 >= argc) usage_error(argv[0], h, a + " needs a value");
      return argv[++k];
    };
    // A whole non-negative decimal number, or a usage error.
    auto number = [&]() -> long long {
      const std::string v = value();
      std::size_t used = 0;
      long long n = -1;
      try {
        n = std::stoll(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != v.size() || n < 0) usage_error(argv[0], h, a + " needs a non-negative whole number, not '" + v + "'");
      return n;
    };
    if (a == "--model")
      o.model = value();
    else if (a == h.count_option)
      o.count = number();
    else if (a == "--seed")
      o.seed = static_cast<std::uint64_t>(number());
    else if (a == "--kat")
      o.kat = value();
    else if (a == "--trace")
      o.trace = value();
    else if (a == "--trace-from") {
      o.trace_from = number();
      from_given = true;
    } else if (a == "--trace-to") {
      o.trace_to = number();
      to_given = true;
    } else if (a == "--require-coverage")
      o.require_coverage = true;
    else
      usage_error(argv[0], h, "unknown option '" + a + "'");
  }
  if (o.model.empty()) usage_error(argv[0], h, "--model is required");
  if ((from_given || to_given) && o.trace.empty()) usage_error(argv[0], h, "--trace-from/--trace-to need --trace FILE.vcd");
  if (to_given && o.trace_to <= o.trace_from)
    usage_error(argv[0], h, "empty trace window: --trace-to " + std::to_string(o.trace_to) + " must be greater than --trace-from " +
                                std::to_string(o.trace_from));
  if (o.require_coverage && !o.kat.empty()) usage_error(argv[0], h, "--require-coverage applies to random stimulus, not --kat");
  return o;
}

// The end of a random run. Bit-exactness decides PASS or FAIL (a mismatch
// has already returned 1); coverage of the corners the bench counts is a
// separate, stated check: MISSING lists the corners never exercised (empty:
// complete). Missing coverage fails the run only with --require-coverage
// (the ctest runs of the full default length pass it).
inline int verdict(const char* bench, const std::string& name, const options& o, const std::string& missing,
                   const char* more) {
  if (missing.empty()) {
    std::printf("coverage %s %s: complete\n", bench, name.c_str());
  } else {
    std::printf("coverage %s %s: INCOMPLETE, never exercised:%s (run more %s)\n", bench, name.c_str(), missing.c_str(),
                more);
    if (o.require_coverage) {
      std::printf("FAIL %s %s: bit-exact, but --require-coverage and the coverage is incomplete\n", bench, name.c_str());
      return 1;
    }
  }
  std::printf("PASS %s %s: bit-exact%s\n", bench, name.c_str(),
              missing.empty() ? ", coverage complete" : " (coverage incomplete, not required)");
  return 0;
}

// Appends " WHAT" to MISSING when COUNT is 0 (for verdict()).
inline void need(std::string& missing, long long count, const char* what) {
  if (count == 0) (missing += " ") += what;
}

// A Verilated model with its context, a clock and an optional VCD.
template <class V>
class clocked {
 public:
  explicit clocked(const options& o) : ctx_(new VerilatedContext), from_(o.trace_from), to_(o.trace_to) {
    ctx_->debug(0);
    // Always set (no plusargs: none), so RTL built to read plusargs can.
    std::vector<const char*> args{"tb"};
    for (const auto& a : o.plusargs) args.push_back(a.c_str());
    ctx_->commandArgs(static_cast<int>(args.size()), args.data());
    ctx_->randReset(0);  // registers start at zero, as after an all-zero reset
#if VM_TRACE
    if (!o.trace.empty()) ctx_->traceEverOn(true);
#endif
    top_.reset(new V{ctx_.get(), "top"});
#if VM_TRACE
    if (!o.trace.empty()) {
      vcd_.reset(new VerilatedVcdC);
      top_->trace(vcd_.get(), 99);
      vcd_->open(o.trace.c_str());
    }
#else
    if (!o.trace.empty()) {
      std::fprintf(stderr, "this bench was built without tracing (verilate(... TRACE))\n");
      std::exit(2);
    }
#endif
    top_->clk = 0;
    top_->eval();  // runs the initial blocks: the ROM load and its checks
  }
  ~clocked() {
    top_->final();
#if VM_TRACE
    if (vcd_) vcd_->close();
#endif
  }
  V& top() { return *top_; }
  // Evaluates the inputs just set with the clock low (combinational outputs
  // settle), then raises the clock (registers update). 10 time units a cycle.
  void settle() {
    top_->clk = 0;
    top_->eval();
    dump();
  }
  void rise() {
    time_ += 5;
    top_->clk = 1;
    top_->eval();
    dump();
    time_ += 5;
  }
  void tick() {
    settle();
    rise();
  }
  std::uint64_t cycle() const { return time_ / 10; }

  // What a bench returns: RC, or 2 when --trace-from lies beyond the end of
  // the run (the VCD would hold no cycle at all).
  int finish(int rc) const {
#if VM_TRACE
    if (rc == 0 && vcd_ && dumped_ == 0) {
      std::fprintf(stderr, "trace window: --trace-from %lld is past the end of the run (%llu cycles): nothing traced\n",
                   from_, static_cast<unsigned long long>(cycle()));
      return 2;
    }
#endif
    return rc;
  }

 private:
  // Dumps only inside the window [from_, to_) of clock cycles.
  void dump() {
#if VM_TRACE
    const auto c = static_cast<long long>(cycle());
    if (vcd_ && c >= from_ && (to_ < 0 || c < to_)) {
      vcd_->dump(time_);
      ++dumped_;
    }
#endif
  }
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
#if VM_TRACE
  std::unique_ptr<VerilatedVcdC> vcd_;
#endif
  std::uint64_t time_ = 0;
  long long from_, to_;
  long long dumped_ = 0;
};

}  // namespace ionrail::tb
