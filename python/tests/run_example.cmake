# One example of python/examples/ run in DIR: it must exit 0 and write PLOT
# (a PNG) there. cmake -DPYTHON=... -DSCRIPT=... -DARGS=a|b -DPLOT=... -DDIR=... -P run_example.cmake
string(REPLACE "|" ";" ARGS "${ARGS}")
file(REMOVE ${DIR}/${PLOT})
execute_process(COMMAND ${PYTHON} ${SCRIPT} ${ARGS} WORKING_DIRECTORY ${DIR} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} ${ARGS}: exit ${rc}\n${err}")
endif()
if(NOT EXISTS ${DIR}/${PLOT})
  message(FATAL_ERROR "${SCRIPT} ${ARGS}: no ${PLOT} written in ${DIR}")
endif()
file(READ ${DIR}/${PLOT} magic LIMIT 8 HEX)
if(NOT magic STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "${SCRIPT}: ${PLOT} is not a PNG file")
endif()
