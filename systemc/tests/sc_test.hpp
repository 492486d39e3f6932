#pragma once
// SystemC elaborates once per process, and a GoogleTest binary runs many
// tests in one. isolated(body) runs one test's elaboration and simulation in
// a child process (fork) and reports the child's failures in the parent, so
// any selection of tests runs in one invocation. ctest runs every test in a
// process of its own as well (gtest_discover_tests).
#include <functional>

namespace ionrail::sc::testing {

// Runs body in a child process; the current test fails if the child records
// a failure, dies or exits without finishing body.
void isolated(const std::function<void()>& body);

}  // namespace ionrail::sc::testing
