# Unit tests of the object model and the BTF reader (tcsteer_object): they
# open every object of tests/progs ($TCSTEER_PROGS) and damaged variants of
# them. Pure: no bpf() calls, no root.
tcsteer_unit_test(test_object
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_object.c
  LIBS tcsteer_object)
tcsteer_unit_test(test_btf
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_btf.c
  LIBS tcsteer_object)
# The tests read the objects at run time: build them first.
add_dependencies(test_object test_progs)
add_dependencies(test_btf test_progs)
