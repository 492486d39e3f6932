# `cmake --install` puts every library (headers, static archives and a CMake
# package: find_package(ionrail) then ionrail::model, ::model_io, ::kat,
# ::kmc, ::circuits, ::calibrate, ::config, ::gpu when built, ::systemc when
# built), the `ionrail` command, and its shipped files under
# PREFIX/share/ionrail: experiments, materials, tables, data and the RTL
# (rtl/: the Verilog sources and ionrail_formats.vh). The command finds them
# next to its bin/, so the tree can be moved (apps/src/data_dir.cpp).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_ionrail_libs ionrail_model ionrail_random123 ionrail_model_io ionrail_kat ionrail_kmc ionrail_circuits
                  ionrail_calibrate ionrail_config)
set(_ionrail_headers model model_io kmc circuits calibration config)
if(TARGET ionrail_gpu)
  list(APPEND _ionrail_libs ionrail_gpu)
  list(APPEND _ionrail_headers gpu)
endif()
install(TARGETS ${_ionrail_libs} EXPORT ionrailTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir ${_ionrail_headers})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(EXPORT ionrailTargets NAMESPACE ionrail:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ionrail)
# The SystemC modules (ionrail::systemc) in an export set of their own, so a
# package built without SystemC has no such file and needs no SystemC.
if(TARGET ionrail_systemc)
  install(TARGETS ionrail_systemc EXPORT ionrailSystemcTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/systemc/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT ionrailSystemcTargets NAMESPACE ionrail:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ionrail)
endif()
set(IONRAIL_PACKAGE_HAS_GPU 0)
if(TARGET ionrail_gpu)
  set(IONRAIL_PACKAGE_HAS_GPU 1)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ionrailConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ionrailConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ionrail
                              PATH_VARS CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ionrailConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ionrailConfig.cmake ${PROJECT_BINARY_DIR}/ionrailConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ionrail)

install(TARGETS ionrail RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/experiments ${PROJECT_SOURCE_DIR}/materials ${PROJECT_SOURCE_DIR}/tables
                  ${PROJECT_SOURCE_DIR}/data
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ionrail)
# The RTL: what a hardware user adds to a design (docs/rtl.md), with the
# formats header the build generates from the model.
install(FILES ${IONRAIL_RTL_SOURCES} ${IONRAIL_RTL_HEADERS} ${IONRAIL_FORMATS_VH}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ionrail/rtl)
