# cmake -P driver of the CTest test build/layers (tests/CMakeLists.txt).
# In: SOURCE_DIR (the repository root).
# Reads the table of layers in README.md's "Layout" section, the one place
# that states them: rows `| <rank> | `folder/` `file.hpp` ... | ...`. Then
# checks every #include of include/tapegrad/**/*.hpp that names a tapegrad
# header: a header may include headers of its own folder and of folders of a
# lower rank, never of its own rank or above. Fails listing each upward or
# sideways include, and any header of a folder the table does not name.
cmake_minimum_required(VERSION 3.16)

if(NOT DEFINED SOURCE_DIR)
  message(FATAL_ERROR "check_layers.cmake: -DSOURCE_DIR=... is required")
endif()
set(_inc "${SOURCE_DIR}/include/tapegrad")

# ---- the table ------------------------------------------------------------------
# Read as text and split on newlines by hand: file(STRINGS) gives a CMake
# list, which an unbalanced `[` in the prose (an interval such as [0, 1))
# would merge with the lines after it.
file(READ "${SOURCE_DIR}/README.md" _text)
string(REPLACE "[" "(" _text "${_text}")
string(REPLACE "]" ")" _text "${_text}")
string(REPLACE ";" "," _text "${_text}")
string(REPLACE "\n" ";" _readme "${_text}")
set(_in_layout OFF)
set(_units "")
foreach(_line IN LISTS _readme)
  if(_line MATCHES "^## ")
    if(_line MATCHES "^## Layout")
      set(_in_layout ON)
    else()
      set(_in_layout OFF)
    endif()
  elseif(_in_layout AND _line MATCHES "^\\| *([0-9]+) *\\|([^|]*)\\|")
    set(_rank "${CMAKE_MATCH_1}")
    string(REGEX MATCHALL "`[^`]+`" _names "${CMAKE_MATCH_2}")
    foreach(_n IN LISTS _names)
      string(REPLACE "`" "" _n "${_n}")
      string(REGEX REPLACE "/$" "" _n "${_n}")
      set(_rank_of_${_n} "${_rank}")
      list(APPEND _units "${_n}")
    endforeach()
  endif()
endforeach()
if(NOT _units)
  message(FATAL_ERROR "check_layers: no table of layers (rows `| <rank> | `folder/` ... |`) in README.md's "
                      "\"## Layout\" section")
endif()

# The unit of a header: its folder under include/tapegrad, or the file's own
# name for a top-level header (tapegrad.hpp, version.hpp, ...).
function(unit_of out rel)
  if(rel MATCHES "^([^/]+)/")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  else()
    set(${out} "${rel}" PARENT_SCOPE)
  endif()
endfunction()

# ---- the includes -------------------------------------------------------------------
file(GLOB_RECURSE _headers RELATIVE "${_inc}" "${_inc}/*.hpp")
list(SORT _headers)
set(_errors "")
foreach(_h IN LISTS _headers)
  unit_of(_from "${_h}")
  if(NOT DEFINED _rank_of_${_from})
    list(APPEND _errors "${_h}: `${_from}` has no row in README.md's table of layers")
    continue()
  endif()
  get_filename_component(_dir "${_inc}/${_h}" DIRECTORY)
  file(STRINGS "${_inc}/${_h}" _lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
  foreach(_l IN LISTS _lines)
    if(_l MATCHES "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\"")
      get_filename_component(_target "${_dir}/${CMAKE_MATCH_1}" ABSOLUTE)
    elseif(_l MATCHES "^[ \t]*#[ \t]*include[ \t]*<tapegrad/([^>]+)>")
      set(_target "${_inc}/${CMAKE_MATCH_1}")
    else()
      continue()  # a system or third-party header
    endif()
    file(RELATIVE_PATH _to_rel "${_inc}" "${_target}")
    if(_to_rel MATCHES "^\\.\\./")
      list(APPEND _errors "${_h}: includes ${_to_rel}, outside include/tapegrad")
      continue()
    endif()
    unit_of(_to "${_to_rel}")
    if(_to STREQUAL _from)
      continue()
    endif()
    if(NOT DEFINED _rank_of_${_to})
      list(APPEND _errors "${_h}: includes ${_to_rel}, whose `${_to}` has no row in the table of layers")
    elseif(NOT _rank_of_${_to} LESS _rank_of_${_from})
      list(APPEND _errors "${_h} (layer ${_rank_of_${_from}}) includes ${_to_rel} (layer ${_rank_of_${_to}}): a header includes only layers below its own")
    endif()
  endforeach()
endforeach()

if(_errors)
  list(LENGTH _errors _count)
  string(REPLACE ";" "\n  " _list "${_errors}")
  message(FATAL_ERROR "check_layers: ${_count} include(s) against the layers of README.md's \"Layout\":\n  ${_list}")
endif()
list(LENGTH _headers _n)
message(STATUS "check_layers: the includes of ${_n} headers go only down the layers")
