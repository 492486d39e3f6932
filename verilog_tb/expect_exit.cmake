# ctest helper: runs COMMAND with ARGS (a ;-list, or a space-separated
# string) and passes only if it exits with EXIT and its output (stdout and
# stderr) matches the regular expression EXPECT. Options and usage errors of
# the benches and examples are tested with it (exit 0 for --help, 2 for a
# usage error), where PASS_REGULAR_EXPRESSION alone would ignore the exit code.
#   cmake -DCOMMAND=exe "-DARGS=..." -DEXIT=n "-DEXPECT=regex" [-DWORKDIR=dir [-DTOUCH=file]] -P expect_exit.cmake
# WORKDIR: removed and created empty first (for commands that write files);
# TOUCH: an empty file created there (a file in the way of a directory).
if(DEFINED WORKDIR)
  file(REMOVE_RECURSE ${WORKDIR})
  file(MAKE_DIRECTORY ${WORKDIR})
endif()
if(DEFINED TOUCH)
  file(TOUCH ${TOUCH})
endif()
if(NOT ARGS MATCHES ";")
  separate_arguments(ARGS UNIX_COMMAND "${ARGS}")
endif()
execute_process(COMMAND ${COMMAND} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc STREQUAL "${EXIT}")
  message(FATAL_ERROR "expected exit status ${EXIT}, got ${rc}")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "exit status ${rc} as expected, but the output does not match '${EXPECT}'")
endif()
message("exit status ${rc} and output as expected")
