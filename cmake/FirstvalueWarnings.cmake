# Warnings are errors on our own targets only, so that a newer compiler's new
# warning in a third-party header never breaks a consumer's build.
function(fv_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes>)
  if(FV_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
