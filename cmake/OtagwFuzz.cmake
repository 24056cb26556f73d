# libFuzzer targets and their corpus replay (docs/fuzzing.md).
#
#   otagw_add_fuzzer(NAME config SOURCES config_fuzz.cpp LIBS otagw::config
#                    [MAX_LEN 65536] [CORPUS dir...] [DICT file])
#
# With OTAGW_FUZZ (the `fuzz` preset, clang 14) this defines the libFuzzer
# executable otagw_fuzz_NAME and lists it in build/fuzz/fuzzers.tsv for
# tests/fuzz/run-fuzzers.sh (`make fuzz`). In every other build it compiles the
# same harness with tests/fuzz/replay_main.cpp into otagw_fuzz_replay_NAME and
# registers the CTest test "fuzz-corpus: NAME" (label fuzz-corpus), which runs
# every seed and every past crash of the corpus as a regression test.
# CORPUS defaults to tests/fuzz/corpus/NAME, DICT to tests/fuzz/NAME.dict if it
# exists.

function(otagw_add_fuzzer)
  cmake_parse_arguments(ARG "" "NAME;MAX_LEN;DICT" "SOURCES;LIBS;CORPUS" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "otagw_add_fuzzer: NAME and SOURCES are required")
  endif()
  set(fuzz_dir ${PROJECT_SOURCE_DIR}/tests/fuzz)
  if(NOT ARG_CORPUS)
    set(ARG_CORPUS ${fuzz_dir}/corpus/${ARG_NAME})
  endif()
  if(NOT ARG_DICT AND EXISTS ${fuzz_dir}/${ARG_NAME}.dict)
    set(ARG_DICT ${fuzz_dir}/${ARG_NAME}.dict)
  endif()
  if(NOT ARG_MAX_LEN)
    set(ARG_MAX_LEN 4096)
  endif()

  if(OTAGW_FUZZ)
    set(target otagw_fuzz_${ARG_NAME})
    add_executable(${target} ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE ${ARG_LIBS} otagw::warnings)
    # otagw::warnings instruments with fuzzer-no-link; only the fuzz
    # executables get libFuzzer's main.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    string(JOIN "," corpus ${ARG_CORPUS})
    set_property(GLOBAL APPEND_STRING PROPERTY OTAGW_FUZZERS_TSV
      "${ARG_NAME}\t$<TARGET_FILE:${target}>\t${ARG_MAX_LEN}\t${corpus}\t${ARG_DICT}\n")
  else()
    set(target otagw_fuzz_replay_${ARG_NAME})
    add_executable(${target} ${ARG_SOURCES} ${fuzz_dir}/replay_main.cpp)
    target_link_libraries(${target} PRIVATE ${ARG_LIBS} otagw::warnings)
    add_test(NAME "fuzz-corpus: ${ARG_NAME}" COMMAND ${target} ${ARG_CORPUS})
    set_tests_properties("fuzz-corpus: ${ARG_NAME}" PROPERTIES LABELS fuzz-corpus TIMEOUT 120)
  endif()
endfunction()

# Writes build/<preset>/fuzzers.tsv: name, executable, max_len, corpus dirs
# (comma-separated), dictionary; one fuzz target a line.
function(otagw_write_fuzzer_list)
  get_property(content GLOBAL PROPERTY OTAGW_FUZZERS_TSV)
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/fuzzers.tsv CONTENT "${content}")
endfunction()
