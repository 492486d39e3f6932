#pragma once
// Shared pieces of the Verilator testbenches: command-line options, the
// clock with optional VCD tracing, and the mismatch report (which exits
// non-zero: a bench that finds one difference has failed).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

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
};

[[noreturn]] inline void usage(const char* argv0, const char* what) {
  std::fprintf(stderr,
               "usage: %s --model NAME [--steps N | --ops N] [--seed S] [--kat FILE] [--trace FILE.vcd]\n%s\n",
               argv0, what);
  std::exit(2);
}

inline options parse(int argc, char** argv, const char* models) {
  options o;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    auto value = [&]() -> std::string {
      if (k + 1 >= argc) usage(argv[0], models);
      return argv[++k];
    };
    if (a == "--model")
      o.model = value();
    else if (a == "--steps" || a == "--ops")
      o.count = std::stoll(value());
    else if (a == "--seed")
      o.seed = std::stoull(value());
    else if (a == "--kat")
      o.kat = value();
    else if (a == "--trace")
      o.trace = value();
    else
      usage(argv[0], models);
  }
  if (o.model.empty()) usage(argv[0], models);
  return o;
}

// A Verilated model with its context, a clock and an optional VCD.
template <class V>
class clocked {
 public:
  explicit clocked(const options& o) : ctx_(new VerilatedContext) {
    ctx_->debug(0);
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

 private:
  void dump() {
#if VM_TRACE
    if (vcd_) vcd_->dump(time_);
#endif
  }
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
#if VM_TRACE
  std::unique_ptr<VerilatedVcdC> vcd_;
#endif
  std::uint64_t time_ = 0;
};

}  // namespace ionrail::tb
