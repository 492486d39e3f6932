cmake_minimum_required(VERSION 3.25)
# ctest layering: the dependency picture the layout promises, checked on the
# sources (cmake -DSOURCE_DIR=... -P check_layering.cmake). For each folder,
# the ionrail headers its files may include; an include of anything else, or
# of the command layer (apps/, ionrail/app/), fails with the file and line.
set(rules
  "model|model"
  "model_io|model,model_io,kat"
  "kmc|model,kmc"
  "gpu|model,kmc,gpu"
  "circuits|model,model_io,kmc,circuits"
  "calibration|model,model_io,kmc,calibration"
  "config|model,model_io,kmc,circuits,calibration,config"
  "runs|model,model_io,kmc,gpu,circuits,calibration,config,runs"
  "python|model,model_io,kmc,circuits,calibration,config,runs"
  "systemc|model,model_io,kat,sc"
  "verilog_tb|model,model_io,kat"
  "bench|model,model_io,kat,kmc,gpu,circuits,calibration,config,sc,runs")
set(failures "")
foreach(rule ${rules})
  string(REPLACE "|" ";" parts "${rule}")
  list(GET parts 0 dir)
  list(GET parts 1 allowed)
  string(REPLACE "," ";" allowed "${allowed}")
  file(GLOB_RECURSE files ${SOURCE_DIR}/${dir}/*.hpp ${SOURCE_DIR}/${dir}/*.h ${SOURCE_DIR}/${dir}/*.cpp
                          ${SOURCE_DIR}/${dir}/*.cu ${SOURCE_DIR}/${dir}/*.cuh)
  foreach(f ${files})
    file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line ${lines})
      if(line MATCHES "apps/|ionrail/app/")
        string(APPEND failures "\n  ${f}: ${line} (the command layer)")
      elseif(line MATCHES "[<\"]ionrail/([a-z_]+)/")
        set(used "${CMAKE_MATCH_1}")
        if(NOT used IN_LIST allowed)
          string(APPEND failures "\n  ${f}: ${line} (${dir}/ may use ${allowed})")
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()
# model/ is the standard library only: no third-party header either.
file(GLOB_RECURSE files ${SOURCE_DIR}/model/*.hpp)
foreach(f ${files})
  file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*<[^>]*[/.][^>]*>")
  foreach(line ${lines})
    if(NOT line MATCHES "<ionrail/model/")
      string(APPEND failures "\n  ${f}: ${line} (model/ uses the standard library only)")
    endif()
  endforeach()
endforeach()
if(failures)
  message(FATAL_ERROR "layering: includes that break the dependency order (docs/extending.md):${failures}")
endif()
message(STATUS "layering: every folder includes only the libraries below it")
