# The bpf() side of the loader (bpf_sys, bpffs, object_load) against the real
# kernel: hand-built programs and every object in tests/progs, run with
# BPF_PROG_TEST_RUN. Needs root; exits 77 (skipped) otherwise.
tcsteer_unit_test(test_load SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_load.c
                  LIBS tcsteer_loader)
add_dependencies(test_load test_progs)
set_tests_properties(test_load PROPERTIES SKIP_RETURN_CODE 77)
set_property(TEST test_load APPEND PROPERTY LABELS root)
