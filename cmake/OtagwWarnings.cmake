# Warnings and sanitizers live in INTERFACE targets that every project target links.
add_library(otagw_warnings INTERFACE)
add_library(otagw::warnings ALIAS otagw_warnings)
target_compile_options(otagw_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
  # clang (the fuzz preset) has no -Wshadow=local.
  $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
  # g++ 12 at -O2 flags Asio's coroutine frame allocator (operator new of
  # chunks, sized operator delete) as mismatched: a known false positive.
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-Wno-mismatched-new-delete>
  $<$<BOOL:${OTAGW_WERROR}>:-Werror>)
target_compile_definitions(otagw_warnings INTERFACE BOOST_ASIO_NO_DEPRECATED)

if(OTAGW_SANITIZE)
  target_compile_options(otagw_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(otagw_warnings INTERFACE -fsanitize=address,undefined)
endif()

if(OTAGW_FUZZ)
  # Coverage and sanitizers on the code under test; libFuzzer's main is added
  # to the fuzz executables only (cmake/OtagwFuzz.cmake).
  target_compile_options(otagw_warnings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(otagw_warnings INTERFACE -fsanitize=address,undefined)
endif()
