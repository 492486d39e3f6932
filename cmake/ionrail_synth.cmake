# The RTL through the open tools Debian ships, whether or not Verilator is
# there (docs/rtl.md §Open synthesis flow):
#   icarus_cell_kat_*   Icarus Verilog replays the cell known-answer files, a
#                       second simulator on the bits the Verilator benches check
#   yosys_elaborate_*   yosys parses and elaborates each module (the RTL
#                       stays synthesizable)
#   synth_lif_ice40     yosys maps the neuron to an iCE40 UP5K and
#                       nextpnr-ice40 places, routes and times it (label synth)
#   synth_cell_bram_ice40  yosys maps the two-edge cell's tables to iCE40
#                       block RAM (label synth)
# A missing tool skips its tests with a message. The full figures (the cell
# and the crossbar take minutes each) come from scripts/synth_rtl.sh. This
# file is included at the top level, hence the synth_/icarus_ prefixes.
find_program(IONRAIL_IVERILOG iverilog)
find_program(IONRAIL_VVP vvp)
find_program(IONRAIL_YOSYS yosys)
find_program(IONRAIL_NEXTPNR_ICE40 nextpnr-ice40)
find_program(IONRAIL_BASH bash)

set(synth_kat_dir ${PROJECT_SOURCE_DIR}/tests/kat)
set(synth_script ${PROJECT_SOURCE_DIR}/scripts/synth_rtl.sh)

if(IONRAIL_IVERILOG AND IONRAIL_VVP)
  set(icarus_dir ${PROJECT_BINARY_DIR}/rtl_icarus)
  set(icarus_table ${synth_kat_dir}/tables/kat)
  set(icarus_sources ${IONRAIL_RTL_DIR}/ionrail_table_rom.sv ${IONRAIL_RTL_DIR}/ionrail_cell_step.sv
                     ${IONRAIL_RTL_DIR}/ionrail_cell_read.sv ${IONRAIL_RTL_DIR}/ionrail_cell.sv
                     ${PROJECT_SOURCE_DIR}/verilog_tb/tb/icarus_cell_kat.sv)
  # Two benches: the one-edge cell, and the two-edge one (SYNC_ROM = 1, its
  # step tables read through registered ports as from block RAM).
  foreach(sync 0 1)
    set(vvp ${icarus_dir}/icarus_cell_kat_sync${sync}.vvp)
    add_custom_command(OUTPUT ${vvp}
                       COMMAND ${CMAKE_COMMAND} -E make_directory ${icarus_dir}
                       COMMAND ${IONRAIL_IVERILOG} -g2012 -Wall -Wno-timescale -I${IONRAIL_RTL_GEN_DIR} -I${IONRAIL_RTL_DIR}
                               -I${icarus_table} "-Picarus_cell_kat.TABLE_DIR=\"${icarus_table}\""
                               -Picarus_cell_kat.SYNC_ROM=${sync} -s icarus_cell_kat -o ${vvp} ${icarus_sources}
                       DEPENDS ${icarus_sources} ${IONRAIL_RTL_HEADERS} ${icarus_table}/table.vh
                               ${IONRAIL_RTL_GEN_DIR}/ionrail_formats.stamp
                       COMMENT "Icarus Verilog: icarus_cell_kat_sync${sync}.vvp"
                       VERBATIM)
    list(APPEND icarus_outputs ${vvp})
  endforeach()
  add_custom_target(icarus_cell_kat ALL DEPENDS ${icarus_outputs})
  foreach(f cell_noise_off cell_noise_on)
    foreach(sync 0 1)
      if(sync)
        set(name icarus_cell_kat_sync_${f})
      else()
        set(name icarus_cell_kat_${f})
      endif()
      add_test(NAME ${name} COMMAND ${IONRAIL_VVP} -n ${icarus_dir}/icarus_cell_kat_sync${sync}.vvp
                                                  +kat=${synth_kat_dir}/${f}.kat)
      set_tests_properties(${name} PROPERTIES LABELS "rtl;kat;icarus"
                           PASS_REGULAR_EXPRESSION "PASS icarus_cell_kat: 8 devices, 2000 known-answer steps")
    endforeach()
  endforeach()
  # Lists travel as "|"-joined text (a ";" would split the argument).
  string(REPLACE ";" "|" icarus_sources_text "${icarus_sources}")
  foreach(digit x z)
    add_test(NAME icarus_table_load_${digit}_digits
             COMMAND ${CMAKE_COMMAND} -DIVERILOG=${IONRAIL_IVERILOG} -DVVP=${IONRAIL_VVP} -DSRC=${icarus_table}
                     -DDIR=${icarus_dir}/bad_table_${digit} -DDIGIT=${digit}
                     "-DINCLUDES=${IONRAIL_RTL_GEN_DIR}|${IONRAIL_RTL_DIR}" "-DSOURCES=${icarus_sources_text}"
                     -DKAT=${synth_kat_dir}/cell_noise_off.kat
                     -P ${PROJECT_SOURCE_DIR}/verilog_tb/check_table_load_icarus.cmake)
    set_tests_properties(icarus_table_load_${digit}_digits PROPERTIES LABELS "rtl;icarus")
  endforeach()
else()
  message(STATUS "ionrail: iverilog/vvp not found; the Icarus Verilog known-answer bench is skipped")
endif()

if(IONRAIL_YOSYS AND IONRAIL_BASH)
  # Each top on the known-answer table, the crossbar with 2 lanes (the
  # group counter and the lane multiplexers), the cell on the shipped table.
  set(synth_elab_runs "cell --table ${synth_kat_dir}/tables/kat" "crossbar --rows 4 --cols 4 --lanes 2" "lif")
  set(synth_elab_names cell crossbar lif)
  if(EXISTS ${PROJECT_SOURCE_DIR}/tables/polymer/table_fluct.hex)
    list(APPEND synth_elab_runs "cell --table ${PROJECT_SOURCE_DIR}/tables/polymer")
    list(APPEND synth_elab_names cell_polymer)
  endif()
  foreach(run name IN ZIP_LISTS synth_elab_runs synth_elab_names)
    separate_arguments(synth_elab_args UNIX_COMMAND "${run}")
    list(GET synth_elab_args 0 synth_elab_module)
    add_test(NAME yosys_elaborate_${name}
             COMMAND ${IONRAIL_BASH} ${synth_script} --formats-dir ${IONRAIL_RTL_GEN_DIR} --elaborate-only ${synth_elab_args})
    set_tests_properties(yosys_elaborate_${name} PROPERTIES LABELS "rtl;yosys"
                         PASS_REGULAR_EXPRESSION "synth ${synth_elab_module} [^ ]+ elaborate: cells=[1-9]")
  endforeach()
  # What the RTL refuses only in simulation is refused before synthesis:
  # crossbar sizes (LANES dividing COLS) and table files short of the grid.
  add_test(NAME yosys_refuses_what_simulation_refuses
           COMMAND ${CMAKE_COMMAND} -DCOMMAND=${IONRAIL_BASH}
                   "-DARGS=${synth_script} --formats-dir ${IONRAIL_RTL_GEN_DIR} --elaborate-only --rows 2 --cols 3 --lanes 2 crossbar"
                   -DEXIT=2 "-DEXPECT=--lanes >= 1 dividing --cols \\(got rows 2, cols 3, lanes 2\\)"
                   -P ${PROJECT_SOURCE_DIR}/verilog_tb/expect_exit.cmake)
  set_tests_properties(yosys_refuses_what_simulation_refuses PROPERTIES LABELS "rtl;yosys")
  # The two-edge cell's step tables become iCE40 block RAM: 3 tables × 4
  # corner ports × 2 SB_RAM40_4K (32-bit words, 16 bits per RAM). A ROM that
  # falls back to LUTs (an asynchronous read sneaking in, a lost attribute)
  # fails here. yosys only, no placement (the cell's 77 DSPs do not fit).
  add_test(NAME synth_cell_bram_ice40
           COMMAND ${IONRAIL_BASH} ${synth_script} --formats-dir ${IONRAIL_RTL_GEN_DIR} --target ice40 --device up5k
                   --sync-rom cell)
  set_tests_properties(synth_cell_bram_ice40 PROPERTIES LABELS "rtl;synth" TIMEOUT 600
                       PASS_REGULAR_EXPRESSION "synth cell kat_syncrom ice40-up5k: luts=[1-9][0-9]* .* bram=24 ")
  if(IONRAIL_NEXTPNR_ICE40)
    add_test(NAME synth_lif_ice40
             COMMAND ${IONRAIL_BASH} ${synth_script} --formats-dir ${IONRAIL_RTL_GEN_DIR} --target ice40 --device up5k
                     --pnr lif)
    set_tests_properties(synth_lif_ice40 PROPERTIES LABELS "rtl;synth" TIMEOUT 600
                         PASS_REGULAR_EXPRESSION "ice40-up5k: luts=[1-9].* fits=yes .*fmax_mhz=[1-9]")
  else()
    message(STATUS "ionrail: nextpnr-ice40 not found; the iCE40 place-and-route test is skipped")
  endif()
else()
  message(STATUS "ionrail: yosys not found; synthesis tests skipped")
endif()
