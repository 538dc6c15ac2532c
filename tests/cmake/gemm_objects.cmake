# cmake -P driver of the tests build/extern_gemm and build/gemm_isa_floor
# (tests/CMakeLists.txt). In: MODE (extern or isa_floor), CXX, STD_FLAG,
# INCLUDE_DIRS and DEFINES ('|'-separated), NM, SOURCE, OBJECT_DIR.
# Compiles SOURCE (a TU that multiplies float and double matrices) to objects
# and reads their symbols with NM.
# extern: with -DTAPEGRAD_EXTERN_GEMM, kernels::gemm_dense and kernels::gemm
#   (float and double) must be undefined (U: the program's one gemm_instantiate.hpp provides
#   them); without it they must be defined there (the control: the symbols
#   are looked for right).
# isa_floor: compiled with -mavx512f -mfma, the object must hold the AVX-512
#   micro-kernels and none of the AVX2 or portable ones; with -mavx2 -mfma,
#   the AVX2 and AVX-512 ones and not the portable one; with neither, all
#   three (Note [Kernels the flags rule out] in kernels/gemm.hpp).
cmake_minimum_required(VERSION 3.16)

foreach(_v MODE CXX STD_FLAG SOURCE NM OBJECT_DIR)
  if(NOT DEFINED ${_v} OR "${${_v}}" STREQUAL "")
    message(FATAL_ERROR "gemm_objects.cmake: -D${_v}=... is required")
  endif()
endforeach()

include("${CMAKE_CURRENT_LIST_DIR}/list_flags.cmake")
set(_flags "${STD_FLAG}" -c)
list_flags(_flags -I "${INCLUDE_DIRS}")
list_flags(_flags -D "${DEFINES}")
file(MAKE_DIRECTORY "${OBJECT_DIR}")

# symbols(<out var> <regex> <object> <extra flags...>): compiles SOURCE to
# <object> and sets <out var> to its lines of `nm -C` that match <regex>
function(symbols out regex obj)
  execute_process(COMMAND "${CXX}" ${_flags} ${ARGN} "${SOURCE}" -o "${obj}"
                  RESULT_VARIABLE _rc OUTPUT_VARIABLE _log ERROR_VARIABLE _log)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "compiling ${SOURCE} ${ARGN} failed:\n${_log}")
  endif()
  execute_process(COMMAND "${NM}" -C "${obj}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _syms ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${NM} -C ${obj} failed:\n${_err}")
  endif()
  string(REGEX MATCHALL "[^\n]*${regex}[^\n]*" _lines "${_syms}")
  set(${out} "${_lines}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "extern")
  # The extern compile at -O2, as a user's build (where the compiler may
  # instantiate for inlining); the control at -O0, which is quicker.
  set(_gemm "tapegrad::kernels::gemm(_dense)?<(float|double)>")
  symbols(_default "${_gemm}" "${OBJECT_DIR}/default.o" -O0)
  symbols(_extern "${_gemm}" "${OBJECT_DIR}/extern.o" -O2 -DTAPEGRAD_EXTERN_GEMM)
  # gemm_dense from matmul, gemm (the sparse-capable entry) from F::linear
  foreach(_f gemm_dense gemm)
    foreach(_t float double)
      if(NOT _default MATCHES " [TW] void tapegrad::kernels::${_f}<${_t}>")
        message(FATAL_ERROR "without TAPEGRAD_EXTERN_GEMM, ${SOURCE} should define ${_f}<${_t}>; its gemm symbols:\n${_default}")
      endif()
      if(NOT _extern MATCHES " U void tapegrad::kernels::${_f}<${_t}>" OR
         _extern MATCHES " [TW] void tapegrad::kernels::${_f}<${_t}>")
        message(FATAL_ERROR "with TAPEGRAD_EXTERN_GEMM, ${SOURCE} should leave ${_f}<${_t}> undefined; its gemm symbols:\n${_extern}")
      endif()
    endforeach()
  endforeach()
  message(STATUS "ok: gemm_dense and gemm (float, double) are undefined with TAPEGRAD_EXTERN_GEMM, defined without")
elseif(MODE STREQUAL "isa_floor")
  # One micro-kernel and one sparse kernel of each path, float and double
  set(_kernels "kernels::detail::(micro_kernel_[a-z0-9_]+|sparse_rows_[a-z0-9_]+)[<(]")
  set(_paths generic avx2 avx512)
  set(_flags_generic "")
  set(_flags_avx2 -mavx2 -mfma)
  set(_flags_avx512 -mavx512f -mfma)  # Eigen refuses -mavx512f alone
  # kept_<lowest>: the paths an object built for <lowest> must hold
  set(_kept_generic generic avx2 avx512)
  set(_kept_avx2 avx2 avx512)
  set(_kept_avx512 avx512)
  foreach(_low IN LISTS _paths)
    symbols(_syms "${_kernels}" "${OBJECT_DIR}/${_low}.o" -O0 ${_flags_${_low}})
    foreach(_p IN LISTS _paths)
      # the portable kernels are templates (micro_kernel_generic<float, 4, 16>),
      # the x86 ones plain functions (micro_kernel_avx2_f32)
      foreach(_k micro_kernel sparse_rows)
        foreach(_t f32 f64)
          if(_p STREQUAL "generic")
            set(_t_name "${_t}")
            string(REPLACE "f32" "float" _t_name "${_t_name}")
            string(REPLACE "f64" "double" _t_name "${_t_name}")
            set(_re " [TW] [^\n]*${_k}_generic<${_t_name}")
          else()
            set(_re " [TW] [^\n]*${_k}_${_p}_${_t}\\(")
          endif()
          list(FIND _kept_${_low} "${_p}" _want)
          if(_syms MATCHES "${_re}")
            if(_want EQUAL -1)
              message(FATAL_ERROR "built for ${_low} (${_flags_${_low}}), ${SOURCE} should not hold the ${_p} ${_k} (${_t}); its kernels:\n${_syms}")
            endif()
          elseif(NOT _want EQUAL -1)
            message(FATAL_ERROR "built for ${_low} (${_flags_${_low}}), ${SOURCE} should hold the ${_p} ${_k} (${_t}); its kernels:\n${_syms}")
          endif()
        endforeach()
      endforeach()
    endforeach()
  endforeach()
  message(STATUS "ok: an object built with -mavx512f, or -mavx2 -mfma, holds only the kernels it can run")
else()
  message(FATAL_ERROR "gemm_objects.cmake: MODE must be extern or isa_floor, got '${MODE}'")
endif()
