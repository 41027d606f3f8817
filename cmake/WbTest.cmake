# wb_add_test(NAME SOURCE LIBS...): one Qt Test executable per test file, registered with ctest.
# Every test runs through isolated_test.sh: HOME and the XDG folders point at a fresh temporary
# folder, so no test can forget to keep away from the user's own files.
function(wb_add_test name source)
  add_executable(${name} ${source})
  set_target_properties(${name} PROPERTIES AUTOMOC ON)
  target_link_libraries(${name} PRIVATE Qt6::Test ${ARGN})
  target_compile_definitions(${name} PRIVATE WB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                             WB_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${PROJECT_SOURCE_DIR}/cmake/isolated_test.sh
                                $<TARGET_FILE:${name}>)
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
endfunction()
