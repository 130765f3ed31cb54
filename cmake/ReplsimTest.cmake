# replsim_add_test(NAME LABEL unit|property|pg SOURCES ... [LIBS ...] [TIMEOUT s])
# One helper registers every test binary with its CTest label, so `ctest -L unit`
# is the fast loop and `ctest -LE pg` runs everything but real PostgreSQL.
include(GoogleTest)
function(replsim_add_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_LABEL MATCHES "^(unit|property|pg)$")
    message(FATAL_ERROR "replsim_add_test(${name}): LABEL must be unit, property or pg")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main replsim_warnings)
  if(T_LABEL STREQUAL "property")
    target_link_libraries(${name} PRIVATE rapidcheck rapidcheck_gtest)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
               ENVIRONMENT "REPLSIM_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
