# `handgrad lab`: the web lab's server (src/lab, on Debian's cpp-httplib) and
# its page (web/), which is compiled into the binary: embed_web.cmake turns
# every file under web/ into a byte array of a generated .cpp, so the page
# needs no JavaScript build step, no CDN and works offline.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

file(GLOB_RECURSE HANDGRAD_WEB_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/web/*)
set(HANDGRAD_WEB_CPP ${PROJECT_BINARY_DIR}/generated/lab_assets.cpp)
add_custom_command(
  OUTPUT ${HANDGRAD_WEB_CPP}
  COMMAND ${CMAKE_COMMAND} -DWEB_DIR=${PROJECT_SOURCE_DIR}/web -DOUT=${HANDGRAD_WEB_CPP}
          -P ${PROJECT_SOURCE_DIR}/cmake/embed_web.cmake
  DEPENDS ${HANDGRAD_WEB_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_web.cmake
  COMMENT "Embedding web/ into lab_assets.cpp")

file(GLOB HANDGRAD_LAB_SOURCES CONFIGURE_DEPENDS src/lab/*.cpp)
add_library(handgrad_lab STATIC ${HANDGRAD_LAB_SOURCES} ${HANDGRAD_WEB_CPP})
# Only the library's public headers (through handgrad_lib): the lab is a
# user of the library. lab.h is what the CLI sees of it.
target_include_directories(handgrad_lab PUBLIC ${PROJECT_SOURCE_DIR}/src/lab)
target_compile_options(handgrad_lab PRIVATE ${HANDGRAD_WARNINGS})
set_source_files_properties(${HANDGRAD_WEB_CPP} PROPERTIES COMPILE_OPTIONS "-Wno-overlength-strings")
target_link_libraries(handgrad_lab PUBLIC handgrad_lib PRIVATE PkgConfig::HTTPLIB)
