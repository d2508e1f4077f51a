# The sanitizers, chosen by one option that the presets set and the rest of the build reads
# (tcmalloc is left out under any of them: they bring their own allocator).
#   STILLPOST_SANITIZE=address   AddressSanitizer + UndefinedBehaviorSanitizer (preset asan)
#   STILLPOST_SANITIZE=thread    ThreadSanitizer (preset tsan)
#   STILLPOST_SANITIZE=fuzzer    libFuzzer instrumentation + ASan + UBSan (preset fuzz, clang)
set(STILLPOST_SANITIZE "" CACHE STRING "Sanitizer build: empty, address, thread or fuzzer")
set_property(CACHE STILLPOST_SANITIZE PROPERTY STRINGS "" address thread fuzzer)

# UBSan's vptr check is off: Boost 1.81's constexpr error categories trip it.
set(_ubsan -fsanitize=undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined)
if(STILLPOST_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address ${_ubsan} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(STILLPOST_SANITIZE STREQUAL "thread")
  # TSan does not model std::atomic_thread_fence, which Asio's fenced blocks use (GCC warns,
  # -Wtsan): under TSan, Asio's handler hand-offs rely on its scheduler's mutex alone, which TSan
  # does see.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
  add_link_options(-fsanitize=thread)
elseif(STILLPOST_SANITIZE STREQUAL "fuzzer")
  add_compile_options(-fsanitize=fuzzer-no-link,address ${_ubsan} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(NOT STILLPOST_SANITIZE STREQUAL "")
  message(FATAL_ERROR "STILLPOST_SANITIZE must be empty, address, thread or fuzzer, not "
                      "'${STILLPOST_SANITIZE}'")
endif()

if(STILLPOST_SANITIZE STREQUAL "")
  set(STILLPOST_SANITIZED OFF)
else()
  set(STILLPOST_SANITIZED ON)
endif()
