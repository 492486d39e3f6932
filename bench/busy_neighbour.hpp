#pragma once
// A process that keeps one core busy while a benchmark runs (a compiler, a
// test suite, another user's job), as a forked child spinning until killed:
// the contended benchmarks of the thread governor (kmc::thread_governor).
#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

namespace ionrail::bench {

class busy_neighbour {
 public:
  busy_neighbour() {
    pid_ = ::fork();
    if (pid_ == 0) {
      volatile unsigned long spin = 0;
      for (;;) spin = spin + 1;
    }
  }
  ~busy_neighbour() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  busy_neighbour(const busy_neighbour&) = delete;
  busy_neighbour& operator=(const busy_neighbour&) = delete;

 private:
  pid_t pid_ = -1;
};

}  // namespace ionrail::bench
