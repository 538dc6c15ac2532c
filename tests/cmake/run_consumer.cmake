# cmake -P driver for the packaging tests (tests/CMakeLists.txt).
# Configures, builds and runs the consumer project CONSUMER_SOURCE_DIR in a
# fresh CONSUMER_BINARY_DIR; its program must print exactly EXPECTED_VERSION.
# With INSTALL_FROM/INSTALL_PREFIX, first installs that build tree into a
# fresh INSTALL_PREFIX and points the consumer at it (CMAKE_PREFIX_PATH).
cmake_minimum_required(VERSION 3.16)

foreach(_v CONSUMER_SOURCE_DIR CONSUMER_BINARY_DIR TAPEGRAD_SOURCE_DIR EXPECTED_VERSION GENERATOR CXX)
  if(NOT DEFINED ${_v} OR "${${_v}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${_v}=... is required")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${CONSUMER_BINARY_DIR}")
set(_configure_args
  -S "${CONSUMER_SOURCE_DIR}" -B "${CONSUMER_BINARY_DIR}" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX}"
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
if(MAKE_PROGRAM)
  list(APPEND _configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()

if(DEFINED INSTALL_FROM)
  file(REMOVE_RECURSE "${INSTALL_PREFIX}")
  run_step("cmake --install" "${CMAKE_COMMAND}" --install "${INSTALL_FROM}" --prefix "${INSTALL_PREFIX}")
  list(APPEND _configure_args
    "-DCMAKE_PREFIX_PATH=${INSTALL_PREFIX}"
    "-DTAPEGRAD_EXPECTED_PREFIX=${INSTALL_PREFIX}"
    "-DTAPEGRAD_REQUIRED_VERSION=${REQUIRED_VERSION}")
else()
  list(APPEND _configure_args "-DTAPEGRAD_SOURCE_DIR=${TAPEGRAD_SOURCE_DIR}")
endif()

run_step("configure ${CONSUMER_SOURCE_DIR}" "${CMAKE_COMMAND}" ${_configure_args})
run_step("build" "${CMAKE_COMMAND}" --build "${CONSUMER_BINARY_DIR}" --config Release)

# Single-config generators put it at the top; multi-config ones under Release/.
set(_exe "")
foreach(_candidate consumer consumer.exe Release/consumer Release/consumer.exe)
  if(EXISTS "${CONSUMER_BINARY_DIR}/${_candidate}" AND NOT _exe)
    set(_exe "${CONSUMER_BINARY_DIR}/${_candidate}")
  endif()
endforeach()
if(NOT _exe)
  message(FATAL_ERROR "no consumer executable in ${CONSUMER_BINARY_DIR}")
endif()

run_step("run ${_exe}" "${_exe}")
string(STRIP "${step_output}" _printed)
if(NOT _printed STREQUAL EXPECTED_VERSION)
  message(FATAL_ERROR "consumer printed '${_printed}', expected '${EXPECTED_VERSION}' "
    "(does version_string in version.hpp match the TAPEGRAD_VERSION_* macros?)")
endif()
message(STATUS "ok: ${CONSUMER_SOURCE_DIR} built and printed ${_printed}")
