# cmake -P helper: run PROGRAM with ARGS ('|'-separated); pass only if it
# exits 0 and its output (stdout + stderr) matches EXPECT_REGEX.
# Used for the examples' `--help` tests (examples/CMakeLists.txt).
cmake_minimum_required(VERSION 3.16)
string(REPLACE "|" ";" _args "${ARGS}")
execute_process(COMMAND "${PROGRAM}" ${_args}
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
message("${_out}")
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} ${ARGS} exited with ${_rc}")
endif()
if(DEFINED EXPECT_REGEX AND NOT _out MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: output does not match '${EXPECT_REGEX}'")
endif()
