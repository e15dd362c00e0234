# The steering program's data path: loads the embedded object with the
# project's loader and runs crafted packets through BPF_PROG_TEST_RUN.
# Needs root; exits 77 (skipped) otherwise.
tcsteer_unit_test(test_steer SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_steer.c
                  LIBS tcsteer_loader tcsteer_embedded)
set_tests_properties(test_steer PROPERTIES LABELS "unit;root"
                     SKIP_RETURN_CODE 77)
