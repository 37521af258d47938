# The layer table is the HANDGRAD_LAYER(token, ...) lines of src/layers/*.cpp:
# this writes them to <out_dir>/layer_list.inc as HANDGRAD_LISTED_LAYER(token),
# which src/layers/table.cpp includes. Adding a layer is adding its file.
function(handgrad_layer_table root out_dir)
  file(GLOB layer_files CONFIGURE_DEPENDS ${root}/src/layers/*.cpp)
  # Re-run when a layer file changes, not only when one is added.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${layer_files})
  set(list "")
  set(tokens "")
  foreach(f ${layer_files})
    file(STRINGS ${f} lines REGEX "^HANDGRAD_LAYER\\(")
    foreach(l ${lines})
      string(REGEX REPLACE "^HANDGRAD_LAYER\\(([A-Za-z0-9_]+),.*" "\\1" token "${l}")
      string(APPEND list "HANDGRAD_LISTED_LAYER(${token})\n")
      list(APPEND tokens ${token})
    endforeach()
  endforeach()
  file(CONFIGURE OUTPUT ${out_dir}/layer_list.inc CONTENT "${list}")
  set(HANDGRAD_LAYER_TOKENS ${tokens} PARENT_SCOPE)
endfunction()
