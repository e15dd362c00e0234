# bpf_sys's link commands and loader/tcx.c against the real kernel: tcx
# links on veth pairs in a namespace of the test's own, real frames, a
# clsact filter behind them (tcsteer_netlink). Needs root and a kernel with
# TCX; exits 77 (skipped) otherwise.
tcsteer_unit_test(test_tcx SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tcx.c
                  LIBS tcsteer_loader tcsteer_netlink tcsteer_embedded)
set_tests_properties(test_tcx PROPERTIES SKIP_RETURN_CODE 77)
set_property(TEST test_tcx APPEND PROPERTY LABELS root)
