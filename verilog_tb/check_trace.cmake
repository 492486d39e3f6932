# ctest helper: a windowed VCD of tb_cell, checked by check_vcd_units (the
# real-valued volt/µS/µA signals equal raw × 2^-F; every time stamp inside
# the window; the first at 10 × FROM) and for size against a full trace.
#   cmake -DBENCH=tb_cell -DCHECK=check_vcd_units -DDIR=<work dir> -DFROM=c -DTO=c -P check_trace.cmake
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
execute_process(COMMAND ${BENCH} --model kat --steps 3000 --seed 1 --trace ${DIR}/window.vcd --trace-from ${FROM}
                        --trace-to ${TO}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "PASS tb_cell kat")
  message(FATAL_ERROR "tb_cell --trace-from ${FROM} --trace-to ${TO} failed (exit ${rc}):\n${out}")
endif()
execute_process(COMMAND ${BENCH} --model kat --steps 3000 --seed 1 --trace ${DIR}/full.vcd
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tb_cell --trace failed (exit ${rc}):\n${out}")
endif()
execute_process(COMMAND ${CHECK} ${DIR}/window.vcd ${FROM} ${TO} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "window.vcd failed the check (exit ${rc})")
endif()
execute_process(COMMAND ${CHECK} ${DIR}/full.vcd 0 -1 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "full.vcd failed the check (exit ${rc})")
endif()
file(SIZE ${DIR}/window.vcd window)
file(SIZE ${DIR}/full.vcd full)
message("window.vcd ${window} bytes, full.vcd ${full} bytes")
math(EXPR limit "${full} / 2")
if(window GREATER limit)
  message(FATAL_ERROR "the windowed VCD (${window} bytes) is not much smaller than the full one (${full} bytes)")
endif()
file(REMOVE_RECURSE ${DIR})
