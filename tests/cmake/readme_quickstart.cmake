# cmake -P: the README's quick start compiles and prints what it says.
#   -DREADME=<README.md> -DCXX=<compiler> -DSTD_FLAG=-std=c++20
#   -DINCLUDE_DIRS=<a|b> -DDEFINES=<a|b> -DWORK_DIR=<dir>
# Takes the first ```cpp block of README, compiles and runs it, and compares
# its output with the expected output written in the block: the `// ...`
# comment that ends each line with `std::cout`, plus the comment-only lines
# right below such a line (a printed value of several lines). Fails naming
# the first line that differs.
cmake_minimum_required(VERSION 3.16)

file(READ "${README}" _text)
string(FIND "${_text}" "```cpp\n" _begin)
if(_begin EQUAL -1)
  message(FATAL_ERROR "${README}: no ```cpp block")
endif()
math(EXPR _begin "${_begin} + 7")
string(SUBSTRING "${_text}" ${_begin} -1 _rest)
string(FIND "${_rest}" "```" _end)
string(SUBSTRING "${_rest}" 0 ${_end} _code)

# The expected output, from the comments. Lines are split on \n; `;` and the
# brackets (which CMake lists treat as grouping) are replaced for the split
# and restored in the expected text.
string(REPLACE ";" "<SC>" _escaped "${_code}")
string(REPLACE "[" "<LB>" _escaped "${_escaped}")
string(REPLACE "]" "<RB>" _escaped "${_escaped}")
string(REPLACE "\n" ";" _lines "${_escaped}")
set(_expected "")
set(_in_output FALSE)
foreach(_line IN LISTS _lines)
  if(_line MATCHES "std::cout.*// (.*)$")
    string(APPEND _expected "${CMAKE_MATCH_1}\n")
    set(_in_output TRUE)
  elseif(_in_output AND _line MATCHES "^ *// (.*)$")
    string(APPEND _expected "${CMAKE_MATCH_1}\n")
  else()
    set(_in_output FALSE)
  endif()
endforeach()
string(REPLACE "<SC>" ";" _expected "${_expected}")
string(REPLACE "<LB>" "[" _expected "${_expected}")
string(REPLACE "<RB>" "]" _expected "${_expected}")
if(_expected STREQUAL "")
  message(FATAL_ERROR "${README}: the quick start states no output (`std::cout << ...;  // output`)")
endif()

file(MAKE_DIRECTORY "${WORK_DIR}")
file(WRITE "${WORK_DIR}/quickstart.cpp" "${_code}")
if(NOT STD_FLAG)
  set(STD_FLAG "-std=c++20")
endif()
# -I and -D flags from the '|'-joined lists
function(append_flags prefix joined)
  string(REPLACE "|" ";" _items "${joined}")
  foreach(_item IN LISTS _items)
    if(_item)
      list(APPEND _flags "${prefix}${_item}")
    endif()
  endforeach()
  set(_flags "${_flags}" PARENT_SCOPE)
endfunction()
set(_flags "${STD_FLAG}")
append_flags(-I "${INCLUDE_DIRS}")
append_flags(-D "${DEFINES}")
execute_process(COMMAND "${CXX}" ${_flags} "${WORK_DIR}/quickstart.cpp" -o "${WORK_DIR}/quickstart" -pthread
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "the README's quick start does not compile:\n${_out}")
endif()
execute_process(COMMAND "${WORK_DIR}/quickstart" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "the README's quick start exited with ${_rc}:\n${_out}${_err}")
endif()

# Compare line by line, trailing blanks aside.
string(REGEX REPLACE "[ \t]+\n" "\n" _out "${_out}")
string(REGEX REPLACE "[ \t]+\n" "\n" _expected "${_expected}")
if(NOT _out STREQUAL _expected)
  message(FATAL_ERROR "the README's quick start prints\n${_out}\nbut its comments say\n${_expected}")
endif()
message("the README's quick start prints what it says:\n${_out}")
