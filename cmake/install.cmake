# `cmake --install build --prefix P` puts the CLI in P/bin, the headers in
# P/include/handgrad, libhandgrad.a in P/lib and a package config in
# P/lib/cmake/handgrad, so other projects can
#   find_package(handgrad REQUIRED)
#   target_link_libraries(app PRIVATE handgrad::handgrad)
# (examples/CMakeLists.txt is such a project; tests/examples.sh checks it).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS handgrad RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS handgrad_lib EXPORT handgradTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# include/handgrad/dist belongs to handgrad_dist, which only the CLI links
# (so that the installed library needs no MPI): not installed.
install(DIRECTORY include/handgrad DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN dist EXCLUDE)
install(EXPORT handgradTargets NAMESPACE handgrad::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/handgrad)

# The static library's own dependencies must be found again by its users.
set(HANDGRAD_NEEDS_CURL ${CURL_FOUND})
set(HANDGRAD_NEEDS_ONNX ${HANDGRAD_HAVE_ONNX})
configure_package_config_file(cmake/handgradConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/handgradConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/handgrad)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/handgradConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/handgradConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/handgradConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/handgrad)
