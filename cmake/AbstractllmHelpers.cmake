# Warnings for our own code only (third-party headers are included as SYSTEM).
function(abstractllm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
endfunction()

# abstractllm_component(NAME DIR DEPS...): a static library `abstractllm_<NAME>` made of every
# .cpp file in DIR (globbed, so adding a file needs no CMake edit).
function(abstractllm_component name dir)
  file(GLOB _srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(NOT _srcs)
    set(_srcs ${PROJECT_SOURCE_DIR}/cmake/empty.cpp)
  endif()
  add_library(abstractllm_${name} STATIC ${_srcs})
  target_include_directories(abstractllm_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  target_link_libraries(abstractllm_${name} PUBLIC ${ARGN})
  abstractllm_warnings(abstractllm_${name})
endfunction()

# abstractllm_test_suite(NAME DIR LIBS...): one GoogleTest executable `NAME` of every .cpp in DIR.
function(abstractllm_test_suite name dir)
  file(GLOB _srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(NOT _srcs)
    return()
  endif()
  add_executable(${name} ${_srcs})
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    ABSTRACTLLM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    ABSTRACTLLM_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures"
    ABSTRACTLLM_TESTDATA_DIR="${PROJECT_SOURCE_DIR}/.cache/testdata"
    ABSTRACTLLM_CLI_PATH="$<TARGET_FILE:abstractllm_cli>")
  abstractllm_warnings(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${name}")
endfunction()
