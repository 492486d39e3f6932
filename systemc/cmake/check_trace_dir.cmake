# ctest helper: `sc_cosim --trace DIR/a/b` where DIR/a/b does not exist must
# create it (like mkdir -p), pass, and leave the three VCDs there.
#   cmake -DCOMMAND=sc_cosim -DDIR=<work dir> -P check_trace_dir.cmake
file(REMOVE_RECURSE ${DIR})
set(trace ${DIR}/a/b)
execute_process(COMMAND ${COMMAND} --cycles 200 --seed 3 --trace ${trace} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "PASS sc_cosim")
  message(FATAL_ERROR "sc_cosim --trace ${trace} (a directory that did not exist) failed with exit ${rc}")
endif()
foreach(f cosim_sc.vcd cosim_rtl_cell.vcd cosim_rtl_xbar.vcd)
  if(NOT EXISTS ${trace}/${f})
    message(FATAL_ERROR "no ${trace}/${f}")
  endif()
  file(SIZE ${trace}/${f} size)
  if(size EQUAL 0)
    message(FATAL_ERROR "${trace}/${f} is empty")
  endif()
  message("${f}: ${size} bytes")
endforeach()
file(REMOVE_RECURSE ${DIR})
