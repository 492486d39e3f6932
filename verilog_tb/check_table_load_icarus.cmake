# ctest helper: an x (or z) digit in a table file must fail Icarus's ROM
# load check. A 4-state simulator reads the digit as unknown, the checksum
# of the loaded words is then unknown, and a `!=` test of it is unknown too,
# which an `if` takes as false: the check passed and the bench ran on x.
#   cmake -DIVERILOG=... -DVVP=... -DSRC=<good table dir> -DDIR=<work dir> -DDIGIT=x|z
#         -DINCLUDES="<rtl gen dir>|<rtl dir>" -DSOURCES="<sv files, |-separated>" -DKAT=<kat file> -P check_table_load_icarus.cmake
string(REPLACE "|" ";" INCLUDES "${INCLUDES}")
string(REPLACE "|" ";" SOURCES "${SOURCES}")
file(REMOVE_RECURSE ${DIR})
file(COPY ${SRC}/ DESTINATION ${DIR})
file(STRINGS ${DIR}/table_noise.hex words)
list(REMOVE_AT words 3)
list(INSERT words 3 "${DIGIT}${DIGIT}${DIGIT}${DIGIT}${DIGIT}${DIGIT}${DIGIT}${DIGIT}")
list(JOIN words "\n" text)
file(WRITE ${DIR}/table_noise.hex "${text}\n")
set(include_flags "")
foreach(d ${INCLUDES} ${DIR})
  list(APPEND include_flags "-I${d}")
endforeach()
execute_process(COMMAND ${IVERILOG} -g2012 -Wno-timescale ${include_flags} "-Picarus_cell_kat.TABLE_DIR=\"${DIR}\""
                        -s icarus_cell_kat -o ${DIR}/bench.vvp ${SOURCES}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  file(REMOVE_RECURSE ${DIR})
  message(FATAL_ERROR "iverilog failed:\n${out}")
endif()
execute_process(COMMAND ${VVP} -n ${DIR}/bench.vvp +kat=${KAT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
file(REMOVE_RECURSE ${DIR})
# vvp exits 0 after $fatal on some versions: the message decides.
if(NOT out MATCHES "ionrail_table_rom: .*checksum" OR out MATCHES "PASS icarus_cell_kat")
  message(FATAL_ERROR "a table file with ${DIGIT} digits was not refused by the ROM's load check (exit ${rc}):\n${out}")
endif()
message("table file with ${DIGIT} digits refused by the ROM's load check (exit ${rc})")
