# wb_add_test(NAME SOURCE LIBS...): one Qt Test executable per test file, registered with ctest.
function(wb_add_test name source)
  add_executable(${name} ${source})
  set_target_properties(${name} PROPERTIES AUTOMOC ON)
  target_link_libraries(${name} PRIVATE Qt6::Test ${ARGN})
  target_compile_definitions(${name} PRIVATE WB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             WB_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  # Users' presets are read from XDG_CONFIG_HOME: tests read an empty folder of the build, never
  # the user's (a test that saves presets points it at a temporary folder of its own).
  set_tests_properties(
    ${name} PROPERTIES ENVIRONMENT
                       "QT_QPA_PLATFORM=offscreen;XDG_CONFIG_HOME=${PROJECT_BINARY_DIR}/test-xdg-config")
endfunction()
