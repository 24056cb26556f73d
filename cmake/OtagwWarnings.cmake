# Warnings and sanitizers live in INTERFACE targets that every project target links.
add_library(otagw_warnings INTERFACE)
add_library(otagw::warnings ALIAS otagw_warnings)
target_compile_options(otagw_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
  # g++ 12 at -O2 flags Asio's coroutine frame allocator (operator new of
  # chunks, sized operator delete) as mismatched: a known false positive.
  $<$<COMPILE_LANGUAGE:CXX>:-Wno-mismatched-new-delete>
  $<$<BOOL:${OTAGW_WERROR}>:-Werror>)
target_compile_definitions(otagw_warnings INTERFACE BOOST_ASIO_NO_DEPRECATED)

if(OTAGW_SANITIZE)
  target_compile_options(otagw_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(otagw_warnings INTERFACE -fsanitize=address,undefined)
endif()
