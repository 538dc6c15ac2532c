# list_flags(<out var> <prefix> <list>): appends <prefix><item> to the list in
# <out var> for each non-empty item of the '|'-separated <list>, the form in
# which tests/CMakeLists.txt hands generator-expression lists (include
# directories, definitions) to the cmake -P test drivers.
function(list_flags out prefix list)
  string(REPLACE "|" ";" _items "${list}")
  set(_flags ${${out}})
  foreach(_i IN LISTS _items)
    if(NOT _i STREQUAL "")
      list(APPEND _flags "${prefix}${_i}")
    endif()
  endforeach()
  set(${out} "${_flags}" PARENT_SCOPE)
endfunction()
