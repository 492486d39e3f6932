# `cmake --install` puts the library headers, the static libraries, the CLI,
# the experiment and material files, and a CMake package so that another
# project can `find_package(ionrail)` and link `ionrail::kmc`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS ionrail_model ionrail_random123 ionrail_kmc EXPORT ionrailTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/model/include/ ${PROJECT_SOURCE_DIR}/kmc/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
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
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ionrailConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ionrailConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ionrail)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ionrailConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ionrailConfig.cmake ${PROJECT_BINARY_DIR}/ionrailConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ionrail)

install(TARGETS ionrail RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/experiments ${PROJECT_SOURCE_DIR}/materials
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ionrail)
