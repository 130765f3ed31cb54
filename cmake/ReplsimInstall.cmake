# Installing replsim and packaging it for Debian 12 (docs/install.md):
#   cmake --install build [--prefix DIR]   bin/replsim, share/man/man1/replsim.1.gz,
#                                          share/replsim/timing/default.json,
#                                          share/replsim/scenarios/*.yaml
#   cpack --config build/CPackConfig.cmake -B DIR   DIR/replsim_<version>_<arch>.deb
# tests/install/install_test.cc builds the package from the build tree, installs it into a
# scratch root and runs the installed binary on an installed example.
include(GNUInstallDirs)

# The man page, from the binary's own --help texts (cmake/ReplsimManPage.cmake), rebuilt with it.
set(REPLSIM_MAN_PAGE ${PROJECT_BINARY_DIR}/replsim.1)
# A sanitized build's binary prints its help with leak checking off: the page is about the help
# texts, and the sanitized tests are where leaks are looked for.
set(_replsim_man_env "")
if(REPLSIM_SANITIZE)
  set(_replsim_man_env ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0)
endif()
add_custom_command(
  OUTPUT ${REPLSIM_MAN_PAGE} ${REPLSIM_MAN_PAGE}.gz
  COMMAND ${_replsim_man_env} ${CMAKE_COMMAND} -DREPLSIM=$<TARGET_FILE:replsim> -DOUT=${REPLSIM_MAN_PAGE}
          -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/ReplsimManPage.cmake
  DEPENDS replsim ${PROJECT_SOURCE_DIR}/cmake/ReplsimManPage.cmake
  COMMENT "Writing the replsim(1) man page from replsim --help"
  VERBATIM)
add_custom_target(replsim_man ALL DEPENDS ${REPLSIM_MAN_PAGE} ${REPLSIM_MAN_PAGE}.gz)

install(TARGETS replsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${REPLSIM_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/timing/default.json DESTINATION ${CMAKE_INSTALL_DATADIR}/replsim/timing)
# The scenarios name no other file (the data sets are built in), so they run where installed.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/replsim/scenarios
        FILES_MATCHING PATTERN "*.yaml")

# `cpack` installs the build tree as it is: it must not first build every target (the tests,
# the benchmarks) through the `preinstall` target, which depends on `all` unless this is set.
# So `cmake --build build` comes before `cmake --install build`, as README.md says.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(REPLSIM_PACKAGE_MAINTAINER "replsim maintainers <maintainers@replsim.invalid>"
    CACHE STRING "The Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME replsim)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "replication simulator and verifier for PostgreSQL 15")
set(CPACK_PACKAGE_DESCRIPTION [=[
replsim predicts which committed transactions survive a failure of a
replicated PostgreSQL 15 cluster, and where, then checks that prediction
against a real cluster it builds on this machine: real postgres processes
with streaming replication, WAL archiving and recovery, faults injected
through a proxy and signals. Example scenarios in /usr/share/replsim.]=])
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # As Debian ships binaries; the debug info stays in the build tree.
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${REPLSIM_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)  # Quicker to build than xz; the test builds it each run.
# The shared libraries the binary links (libpq5, librocksdb, libfmt, libyaml-cpp, abseil,
# libstdc++, libc) come from dpkg-shlibdeps; the PostgreSQL 15 server binaries the harness runs
# (postgres and initdb from postgresql-15, pg_basebackup from postgresql-client-15) are named here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "postgresql-15, postgresql-client-15")
if(PROJECT_IS_TOP_LEVEL)  # Inside another project, that project's package is the one to make.
  include(CPack)
endif()
