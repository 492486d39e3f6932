// sc_main of the SystemC test binaries: libsystemc defines main() and calls
// sc_main, so GoogleTest's own main cannot be used.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include <gtest/gtest.h>
#include <systemc>

#include "sc_test.hpp"

namespace ionrail::sc::testing {

void isolated(const std::function<void()>& body) {
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0) << "fork failed";
  if (pid == 0) {
    // An exception must not escape into GoogleTest here: the child would go
    // on to run the parent's remaining tests.
    try {
      body();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "exception: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "unknown exception";
    }
    // The child's own assertion messages are already printed; its exit
    // status carries the verdict. _exit: no second run of the parent's
    // atexit handlers and static destructors.
    const bool failed = ::testing::Test::HasFailure();
    std::cout.flush();
    std::fflush(nullptr);
    _exit(failed ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status))
    ADD_FAILURE() << "the test's simulation process died of signal " << WTERMSIG(status);
  else if (WEXITSTATUS(status) != 0)
    ADD_FAILURE() << "the test's simulation process failed (its messages are above), exit status "
                  << WEXITSTATUS(status);
}

}  // namespace ionrail::sc::testing

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
