# Every third-party dependency, found once, here: all of them Debian 12 packages that
# scripts/setup installs. The folders link the targets below and look nothing up themselves.
find_package(Threads REQUIRED)
find_package(RocksDB CONFIG REQUIRED)         # librocksdb-dev: RocksDB::rocksdb-shared
find_package(Protobuf REQUIRED)               # libprotobuf-dev, protobuf-compiler
find_package(OpenSSL REQUIRED)                # libssl-dev: SHA-256
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json url)  # libboost-{json,url}1.81-dev
find_package(CLI11 CONFIG REQUIRED)           # libcli11-dev
find_package(ZLIB REQUIRED)                   # zlib1g-dev: gzip of served text
find_package(CURL REQUIRED)                   # libcurl4-openssl-dev: every upstream byte
find_package(PkgConfig REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)   # the record codec
pkg_check_modules(GUMBO REQUIRED IMPORTED_TARGET gumbo)    # HTML parsing
pkg_check_modules(MAGIC IMPORTED_TARGET libmagic)          # media types by content
find_package(LibXml2 REQUIRED)                # libxml2-dev: feeds (service/feeds.cc)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)  # serve --config
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)  # libzip-dev: WACZ packages (warc/)
if(NOT MAGIC_FOUND)
  # Debian's libmagic-dev ships no .pc file in some releases.
  find_library(MAGIC_LIBRARY magic REQUIRED)
  add_library(PkgConfig::MAGIC UNKNOWN IMPORTED)
  set_target_properties(PkgConfig::MAGIC PROPERTIES IMPORTED_LOCATION "${MAGIC_LIBRARY}")
endif()

# tcmalloc (Debian's libtcmalloc-minimal4), linked into the stillpost binary (tools/).
option(STILLPOST_TCMALLOC "Link stillpost with tcmalloc_minimal" ON)
if(STILLPOST_TCMALLOC AND NOT STILLPOST_SANITIZED)
  find_library(TCMALLOC_MINIMAL NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  if(NOT TCMALLOC_MINIMAL)
    message(WARNING "tcmalloc_minimal not found: stillpost uses glibc malloc (scripts/setup installs it)")
  endif()
endif()

if(STILLPOST_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED)             # catch2
endif()
