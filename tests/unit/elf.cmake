# The ELF parser (loader/elf.c): cmocka unit tests on in-memory images and
# on a clang-built sample object, and a differential test against libelf.

# Our own sample object, so the tests do not depend on tests/progs/.
# The -gz twin has compressed (SHF_COMPRESSED) debug sections.
add_bpf_object(elf_sample ${CMAKE_CURRENT_LIST_DIR}/elf_sample.bpf.c)
add_bpf_object(elf_sample_gz ${CMAKE_CURRENT_LIST_DIR}/elf_sample.bpf.c
               CFLAGS -gz)
set(ELF_SAMPLE_DEFS ELF_SAMPLE_OBJECT="${elf_sample_OBJECT}"
                    ELF_SAMPLE_GZ_OBJECT="${elf_sample_gz_OBJECT}")

tcsteer_unit_test(test_elf
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elf.c
          ${CMAKE_CURRENT_LIST_DIR}/elf_writer.c
  LIBS tcsteer_object)
target_compile_definitions(test_elf PRIVATE ${ELF_SAMPLE_DEFS})
add_dependencies(test_elf elf_sample elf_sample_gz)

# libelf in a library of its own: gelf.h needs the system <elf.h>, which
# loader/ (on tcsteer_object's include path) would shadow.
add_library(elf_ref_libelf STATIC ${CMAKE_CURRENT_LIST_DIR}/elf_ref_libelf.c)
target_link_libraries(elf_ref_libelf PUBLIC elf)

tcsteer_unit_test(test_elf_diff
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_elf_diff.c
  LIBS tcsteer_object elf_ref_libelf)
target_compile_definitions(test_elf_diff PRIVATE ${ELF_SAMPLE_DEFS})
add_dependencies(test_elf_diff elf_sample elf_sample_gz)
# Compare the project's own BPF objects too whenever they exist as targets.
foreach(t test_progs steer_bpf)
  if(TARGET ${t})
    add_dependencies(test_elf_diff ${t})
  endif()
endforeach()
