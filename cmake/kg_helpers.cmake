# Helpers shared by every folder's CMakeLists.txt.

# Warnings apply to our own targets only, never to generated code.
function(kg_warnings target)
  # -Wrestrict: GCC 12 reports std::string appends falsely at -O3 (GCC bug
  # 105329), so it is left out.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  # Sanitizer instrumentation makes GCC 12 see uninitialized reads inside
  # libstdc++ (std::function, std::regex) that are not there.
  if(KG_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

# Test code (tests/, the fuzz targets) is compiled at -O1 in Release, like
# the whole sanitizer tree: its time goes into the libraries it calls,
# which keep -O3, while GoogleTest's macros make its files the slowest of
# the tree to compile at -O3 (a third less at -O1). A cold .ci/run
# compiles every file twice. (-O0 compiles faster still, but made the
# sanitizer tree's tests half again as slow.)
function(kg_test_code target)
  if(NOT KG_SANITIZE AND CMAKE_BUILD_TYPE STREQUAL "Release")
    target_compile_options(${target} PRIVATE -O1)
  endif()
endfunction()

# kg_add_test(NAME name SRCS a.cc b.cc DEPS lib...)
# One GoogleTest binary; its tests are discovered just before they run.
function(kg_add_test)
  cmake_parse_arguments(T "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${T_NAME} ${T_SRCS})
  kg_warnings(${T_NAME})
  kg_test_code(${T_NAME})
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} kg_test_support
                        GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${T_NAME} DISCOVERY_MODE PRE_TEST
                       TEST_PREFIX "${T_NAME}/")
endfunction()
