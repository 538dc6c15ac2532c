# cmake -P driver for tapegrad_add_compile_fail_test() (tests/CMakeLists.txt).
# In: CXX, STD_FLAG, INCLUDE_DIRS and DEFINES ('|'-separated), SOURCE, EXPECT_REGEX,
# optional FIRST_ERROR (ON: the first error line must match, not just any line),
# optional PCH_HEADER (Note [Compile-fail precompiled header]).
# Passes only if SOURCE compiles with -DTAPEGRAD_COMPILE_FAIL_CONTROL and fails
# without it, with the compiler's output matching EXPECT_REGEX.
# With PCH_OUT (and HEADER) instead of SOURCE and EXPECT_REGEX, it precompiles
# HEADER into PCH_OUT with the same flags, for the build's
# tapegrad_compile_fail_pch target.
cmake_minimum_required(VERSION 3.16)

if(DEFINED PCH_OUT)
  set(_required CXX STD_FLAG HEADER PCH_OUT)
else()
  set(_required CXX STD_FLAG SOURCE EXPECT_REGEX)
endif()
foreach(_v IN LISTS _required)
  if(NOT DEFINED ${_v} OR "${${_v}}" STREQUAL "")
    message(FATAL_ERROR "compile_fail.cmake: -D${_v}=... is required")
  endif()
endforeach()

include("${CMAKE_CURRENT_LIST_DIR}/list_flags.cmake")
set(_flags "${STD_FLAG}")
list_flags(_flags -I "${INCLUDE_DIRS}")
list_flags(_flags -D "${DEFINES}")

if(DEFINED PCH_OUT)
  # Written under a temporary name and renamed, so a failed or interrupted
  # build leaves no truncated PCH behind for the tests to trip over.
  execute_process(COMMAND "${CXX}" ${_flags} -x c++-header "${HEADER}" -o "${PCH_OUT}.tmp"
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    file(REMOVE "${PCH_OUT}.tmp")
    message(FATAL_ERROR "precompiling ${HEADER} failed:\n${_out}")
  endif()
  file(RENAME "${PCH_OUT}.tmp" "${PCH_OUT}")
  return()
endif()

file(READ "${SOURCE}" _text)
if(NOT _text MATCHES "TAPEGRAD_COMPILE_FAIL_CONTROL")
  message(FATAL_ERROR "${SOURCE}: guard the line that must not compile with "
    "#ifndef TAPEGRAD_COMPILE_FAIL_CONTROL ... #endif (see tests/compile_fail/README.md)")
endif()

list(APPEND _flags -fsyntax-only -fdiagnostics-color=never)

# LC_ALL=C: plain ASCII quotes in diagnostics, so regexes are predictable.
set(_compile "${CMAKE_COMMAND}" -E env LC_ALL=C "${CXX}" ${_flags})

# Note [Compile-fail precompiled header] (tests/CMakeLists.txt): with
# PCH_HEADER, the umbrella comes precompiled. A PCH the compiler turns down
# fails Clang's compile with a message about it (GCC ignores it): the test then
# compiles without the PCH instead of failing.
set(_pch "")
if(DEFINED PCH_HEADER AND NOT PCH_HEADER STREQUAL ""
   AND (EXISTS "${PCH_HEADER}.gch" OR EXISTS "${PCH_HEADER}.pch"))
  set(_pch -include "${PCH_HEADER}")
endif()
execute_process(COMMAND ${_compile} ${_pch} -DTAPEGRAD_COMPILE_FAIL_CONTROL "${SOURCE}"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
if(NOT _rc EQUAL 0 AND _pch AND _out MATCHES "precompiled header|PCH file")
  message(STATUS "the precompiled header was turned down; compiling without it:\n${_out}")
  set(_pch "")
  execute_process(COMMAND ${_compile} -DTAPEGRAD_COMPILE_FAIL_CONTROL "${SOURCE}"
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
endif()
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "control compile (-DTAPEGRAD_COMPILE_FAIL_CONTROL) of ${SOURCE} failed; "
    "the file must be valid apart from the guarded line:\n${_out}")
endif()

execute_process(COMMAND ${_compile} ${_pch} "${SOURCE}"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
if(_rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
if(NOT _out MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "${SOURCE} failed to compile as it should, but the output does not match "
    "'${EXPECT_REGEX}':\n${_out}")
endif()
if(FIRST_ERROR)
  # The first diagnostic line with "error:" (GCC and Clang: file:line:col: error: ...)
  # must be the expected one (Note [Refusals come first] in ops/matmul.hpp).
  string(REGEX MATCH "[^\n]*error:[^\n]*" _first "${_out}")
  if(NOT _first MATCHES "${EXPECT_REGEX}")
    message(FATAL_ERROR "${SOURCE}: the first error does not match '${EXPECT_REGEX}':\n${_first}\n"
      "full output:\n${_out}")
  endif()
  message(STATUS "ok: the first error of ${SOURCE}: ${_first}")
endif()
message(STATUS "ok: ${SOURCE} does not compile, and says '${CMAKE_MATCH_0}'")
