# add_bpf_object(<target> <source.bpf.c> [DEPENDS files...])
# Compiles a BPF C program with clang into ${CMAKE_CURRENT_BINARY_DIR}/<target>.o
# and defines a custom target <target> plus the variable <target>_OBJECT.
find_program(CLANG_BPF NAMES clang clang-14 REQUIRED)
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch
                OUTPUT_VARIABLE TCSTEER_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(NOT TCSTEER_MULTIARCH)
  set(TCSTEER_MULTIARCH x86_64-linux-gnu)
endif()

function(add_bpf_object target src)
  cmake_parse_arguments(ARG "" "" "DEPENDS;CFLAGS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}.o)
  get_filename_component(abs_src ${src} ABSOLUTE)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CLANG_BPF} -O2 -g -target bpf -Wall -Werror
            -I/usr/include/${TCSTEER_MULTIARCH}
            -I${PROJECT_SOURCE_DIR}/prog/include
            ${ARG_CFLAGS}
            -c ${abs_src} -o ${out}
    DEPENDS ${abs_src} ${ARG_DEPENDS}
            ${PROJECT_SOURCE_DIR}/prog/include/tcsteer_bpf.h
    COMMENT "BPF ${target}.o"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS ${out})
  set(${target}_OBJECT ${out} PARENT_SCOPE)
endfunction()
