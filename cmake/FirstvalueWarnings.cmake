# Warnings are errors on our own targets only, so that a newer compiler's new
# warning in a third-party header never breaks a consumer's build.
function(fv_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes>)
  # GCC 12 reports std::string concatenation at -O3 as overlapping memcpy
  # (GCC bugs 105329, 105651): a false positive that only newer compilers fix.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
  endif()
  if(FV_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
