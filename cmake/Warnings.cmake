# One INTERFACE target carries the project's warnings; every target of ours links it,
# generated code (protobuf) does not.
add_library(stillpost_warnings INTERFACE)
target_compile_options(stillpost_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2)
if(STILLPOST_WERROR)
  target_compile_options(stillpost_warnings INTERFACE -Werror)
endif()
