# What every user of the Verilog RTL (verilog_tb/rtl) shares: the sources,
# ionrail_formats.vh generated from the model headers (the Q formats the RTL
# is written against), and a table directory's parameters read from its
# table.vh. Used by verilog_tb/, systemc/ (co-simulation) and the install.
set(IONRAIL_RTL_DIR ${PROJECT_SOURCE_DIR}/verilog_tb/rtl)
set(IONRAIL_RTL_SOURCES
    ${IONRAIL_RTL_DIR}/ionrail_table_rom.sv ${IONRAIL_RTL_DIR}/ionrail_cell_step.sv
    ${IONRAIL_RTL_DIR}/ionrail_cell_read.sv ${IONRAIL_RTL_DIR}/ionrail_cell.sv ${IONRAIL_RTL_DIR}/ionrail_crossbar.sv
    ${IONRAIL_RTL_DIR}/ionrail_lif.sv)
# Included by the sources above (inside module bodies).
set(IONRAIL_RTL_HEADERS ${IONRAIL_RTL_DIR}/ionrail_arith.svh ${IONRAIL_RTL_DIR}/ionrail_datapath.svh)
set(IONRAIL_RTL_GEN_DIR ${PROJECT_BINARY_DIR}/rtl_generated)
set(IONRAIL_FORMATS_VH ${IONRAIL_RTL_GEN_DIR}/ionrail_formats.vh)
file(MAKE_DIRECTORY ${IONRAIL_RTL_GEN_DIR})

# The build regenerates ionrail_formats.vh (rewritten only when its text
# changes; every verilated model depends on it).
add_executable(ionrail_gen_formats ${PROJECT_SOURCE_DIR}/verilog_tb/gen_formats.cpp)
target_link_libraries(ionrail_gen_formats PRIVATE ionrail::model ionrail_warnings)
add_custom_command(OUTPUT ${IONRAIL_RTL_GEN_DIR}/ionrail_formats.stamp
                   COMMAND ionrail_gen_formats ${IONRAIL_FORMATS_VH}
                   COMMAND ${CMAKE_COMMAND} -E touch ${IONRAIL_RTL_GEN_DIR}/ionrail_formats.stamp
                   DEPENDS ionrail_gen_formats
                   COMMENT "ionrail_formats.vh from the model headers")
add_custom_target(ionrail_formats_vh ALL DEPENDS ${IONRAIL_RTL_GEN_DIR}/ionrail_formats.stamp)

# verilate() runs Verilator while configuring, so a part that verilates
# calls this to have a first copy made now.
function(ionrail_formats_vh_now)
  if(EXISTS ${IONRAIL_FORMATS_VH})
    return()
  endif()
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -std=c++17 -I${PROJECT_SOURCE_DIR}/model/include
                          ${PROJECT_SOURCE_DIR}/verilog_tb/gen_formats.cpp -o ${IONRAIL_RTL_GEN_DIR}/gen_formats_configure
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    execute_process(COMMAND ${IONRAIL_RTL_GEN_DIR}/gen_formats_configure ${IONRAIL_FORMATS_VH} RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE out)
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ionrail: could not generate ionrail_formats.vh:\n${out}")
  endif()
endfunction()

# The Verilator parameters (-GN_S=... -GTABLE_CHECKSUM=...) of the table in
# DIR, from its table.vh.
function(ionrail_table_params dir out_var)
  file(STRINGS ${dir}/table.vh lines REGEX "^`define IONRAIL_TABLE_")
  set(params)
  foreach(key N_S N_V S_LOG2_STEP V_LOG2_STEP CHECKSUM)
    set(value)
    foreach(line ${lines})
      if(line MATCHES "^`define IONRAIL_TABLE_${key} (.+)$")
        string(STRIP "${CMAKE_MATCH_1}" value)
      endif()
    endforeach()
    if(value STREQUAL "")
      message(FATAL_ERROR "ionrail: ${dir}/table.vh defines no IONRAIL_TABLE_${key}")
    endif()
    if(key STREQUAL "CHECKSUM")
      list(APPEND params "-GTABLE_CHECKSUM=${value}")
    else()
      list(APPEND params "-G${key}=${value}")
    endif()
  endforeach()
  set(${out_var} ${params} PARENT_SCOPE)
endfunction()

# Verilator 5.006's tracing stores and loads 64-bit values (tb_cell's `real`
# signals such as v_volt, the crossbar's 64-bit buses) through uint32_t
# pointers (verilated_trace.h, verilated_trace_imp.h: fullQData, chgQData,
# fullDouble): misaligned by design, harmless on x86, and reported by UBSan.
# Only the trace code of TARGET (Verilator's VCD writer and the generated
# *__Trace* files) drops the alignment check; call after its verilate().
function(ionrail_verilator_trace_ubsan_exception target)
  if(NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize=[^ ]*undefined")
    return()
  endif()
  get_target_property(sources ${target} SOURCES)
  foreach(src ${sources})
    if(src MATCHES "(__Trace|verilated_vcd_)[^/]*\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS -fno-sanitize=alignment)
    endif()
  endforeach()
endfunction()
