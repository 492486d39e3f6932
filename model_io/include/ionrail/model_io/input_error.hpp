#pragma once
// The one error for bad input anywhere in ionrail (a table, a known-answer
// vector file, a configuration): what() is one line naming the file (and line
// or key where there is one), the value and what was expected. The command
// line prints it and exits with code 2; a library user catches it.
#include <stdexcept>

namespace ionrail {

class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ionrail
