# Return-path learning (prog/steer_learn.h): the embedded learner and
# steering program on one table, requests and replies through
# BPF_PROG_TEST_RUN in a network namespace of the test's own. Needs root;
# exits 77 (skipped) otherwise.
tcsteer_unit_test(test_learn SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_learn.c
                  LIBS tcsteer_loader tcsteer_embedded)
set_tests_properties(test_learn PROPERTIES LABELS "unit;root"
                     SKIP_RETURN_CODE 77)
