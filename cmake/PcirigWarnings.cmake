# One place for the project's warning set, applied per target.
function(pcirig_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()
