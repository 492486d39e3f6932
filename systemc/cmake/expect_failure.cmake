# Runs COMMAND with ARGS (a space-separated string) and passes only if it
# exits non-zero and its output matches the regular expression EXPECT: a
# checker that is supposed to catch a difference must really fail.
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${COMMAND} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a failure, but the command exited with 0")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "the output does not match '${EXPECT}' (exit code ${rc})")
endif()
message("failed as expected (exit code ${rc})")
