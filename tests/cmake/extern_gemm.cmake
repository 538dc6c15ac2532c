# cmake -P driver of the test build/extern_gemm (tests/CMakeLists.txt).
# In: CXX, STD_FLAG, INCLUDE_DIRS and DEFINES ('|'-separated), NM, SOURCE, OBJECT_DIR.
# Compiles SOURCE to an object twice and reads its symbols with NM: with
# -DTAPEGRAD_EXTERN_GEMM, kernels::gemm<float> and gemm<double> must be
# undefined (U: the program's one gemm_instantiate.hpp provides them); without
# it they must be defined there (the control: the symbols are looked for right).
cmake_minimum_required(VERSION 3.16)

foreach(_v CXX STD_FLAG SOURCE NM OBJECT_DIR)
  if(NOT DEFINED ${_v} OR "${${_v}}" STREQUAL "")
    message(FATAL_ERROR "extern_gemm.cmake: -D${_v}=... is required")
  endif()
endforeach()

include("${CMAKE_CURRENT_LIST_DIR}/list_flags.cmake")
set(_flags "${STD_FLAG}" -c)
list_flags(_flags -I "${INCLUDE_DIRS}")
list_flags(_flags -D "${DEFINES}")
file(MAKE_DIRECTORY "${OBJECT_DIR}")

# gemm_symbols(<out var> <object> <extra flags...>): compiles SOURCE to <object>
# and sets <out var> to its lines of `nm -C` that name kernels::gemm
function(gemm_symbols out obj)
  execute_process(COMMAND "${CXX}" ${_flags} ${ARGN} "${SOURCE}" -o "${obj}"
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _log ERROR_VARIABLE _log)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "compiling ${SOURCE} ${ARGN} failed:\n${_log}")
  endif()
  execute_process(COMMAND "${NM}" -C "${obj}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _syms ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${NM} -C ${obj} failed:\n${_err}")
  endif()
  string(REGEX MATCHALL "[^\n]*tapegrad::kernels::gemm<(float|double)>[^\n]*" _lines "${_syms}")
  set(${out} "${_lines}" PARENT_SCOPE)
endfunction()

# The extern compile at -O2, as a user's build (where the compiler may
# instantiate for inlining); the control at -O0, which is quicker.
gemm_symbols(_default "${OBJECT_DIR}/default.o" -O0)
gemm_symbols(_extern "${OBJECT_DIR}/extern.o" -O2 -DTAPEGRAD_EXTERN_GEMM)

foreach(_t float double)
  if(NOT _default MATCHES " [TW] void tapegrad::kernels::gemm<${_t}>")
    message(FATAL_ERROR "without TAPEGRAD_EXTERN_GEMM, ${SOURCE} should define gemm<${_t}>; its gemm symbols:\n${_default}")
  endif()
  if(NOT _extern MATCHES " U void tapegrad::kernels::gemm<${_t}>" OR
     _extern MATCHES " [TW] void tapegrad::kernels::gemm<${_t}>")
    message(FATAL_ERROR "with TAPEGRAD_EXTERN_GEMM, ${SOURCE} should leave gemm<${_t}> undefined; its gemm symbols:\n${_extern}")
  endif()
endforeach()
message(STATUS "ok: gemm<float> and gemm<double> are undefined with TAPEGRAD_EXTERN_GEMM, defined without")
