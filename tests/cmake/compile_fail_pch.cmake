# cmake -P driver: precompiles <tapegrad/tapegrad.hpp> for the compile-fail
# tests (Note [Compile-fail precompiled header] in tests/CMakeLists.txt).
# In: CXX, STD_FLAG, INCLUDE_DIRS and DEFINES ('|'-separated, as for
# compile_fail.cmake), HEADER (the one-line header that includes the umbrella),
# OUT (HEADER.gch for GCC, HEADER.pch for Clang: the name -include HEADER looks for).
cmake_minimum_required(VERSION 3.16)
foreach(_v CXX STD_FLAG HEADER OUT)
  if(NOT DEFINED ${_v} OR "${${_v}}" STREQUAL "")
    message(FATAL_ERROR "compile_fail_pch.cmake: -D${_v}=... is required")
  endif()
endforeach()
include("${CMAKE_CURRENT_LIST_DIR}/list_flags.cmake")
# The same flags as compile_fail.cmake's compiles, so the compiler accepts the PCH.
set(_flags "${STD_FLAG}")
list_flags(_flags -I "${INCLUDE_DIRS}")
list_flags(_flags -D "${DEFINES}")
# Written under a temporary name and renamed, so a failed or interrupted build
# leaves no truncated PCH behind for the tests to trip over.
execute_process(COMMAND "${CXX}" ${_flags} -x c++-header "${HEADER}" -o "${OUT}.tmp"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
if(NOT _rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "precompiling ${HEADER} failed:\n${_out}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
