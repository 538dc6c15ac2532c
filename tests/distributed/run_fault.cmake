# The fault test: runs PROGRAM (tests/distributed/fault_main.cpp) with 3 ranks,
# of which rank 1 fails at step 3 (MODE: throw, kill, or hang), and checks that
# the job ends within 60 s with a non-zero exit and no rank finishing training;
# with MODE=throw, that rank 1's message was printed, with MODE=hang, that a
# survivor's wait timed out.
# -DMPIEXEC -DNP_FLAG -DPREFLAGS (a ;-list) -DPROGRAM -DMODE
string(TIMESTAMP _start "%s" UTC)
execute_process(COMMAND "${MPIEXEC}" ${NP_FLAG} 3 ${PREFLAGS} "${PROGRAM}" "${MODE}"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err TIMEOUT 60)
string(TIMESTAMP _end "%s" UTC)
math(EXPR _secs "${_end} - ${_start}")
message("exit: ${_rc} after ${_secs} s\n--- stdout\n${_out}\n--- stderr\n${_err}")
if(_rc MATCHES "timeout")
  message(FATAL_ERROR "fault test (${MODE}): the surviving ranks were still running after 60 s")
endif()
if(_rc EQUAL 0)
  message(FATAL_ERROR "fault test (${MODE}): the job exited with 0")
endif()
if(_out MATCHES "finished")
  message(FATAL_ERROR "fault test (${MODE}): a rank finished training after rank 1 failed")
endif()
if(MODE STREQUAL "throw" AND NOT _err MATCHES "tapegrad.distributed: rank 1: uncaught exception: fault test: rank 1 fails at step 3")
  message(FATAL_ERROR "fault test (throw): rank 1's message is missing from stderr")
endif()
if(MODE STREQUAL "hang" AND NOT _err MATCHES "tapegrad.distributed: rank [02]: uncaught exception: DistributedDataParallel: all_reduce: timed out after 3000 ms")
  message(FATAL_ERROR "fault test (hang): no survivor reported its timeout")
endif()
message("fault test (${MODE}): the job ended with exit ${_rc} in ${_secs} s")
