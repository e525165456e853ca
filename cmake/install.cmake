# Installing nabla as a library (docs/deploy.md): headers, libnabla (static
# or, with BUILD_SHARED_LIBS, a versioned libnabla.so.0 exporting only
# nabla::*), the `nabla` tool, a CMake package (nabla::nabla) and nabla.pc.
# Included at the end of the top-level CMakeLists.txt, once every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Installed headers are found under <prefix>/include; the build tree keeps
# using the source tree's include/.
get_target_property(_nabla_includes nabla INTERFACE_INCLUDE_DIRECTORIES)
set_target_properties(nabla PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "")
foreach(_dir IN LISTS _nabla_includes)
  target_include_directories(nabla INTERFACE $<BUILD_INTERFACE:${_dir}>)
endforeach()
target_include_directories(nabla INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

# Users compile nabla's headers as C++20.
target_compile_features(nabla PUBLIC cxx_std_20)

# Position-independent code for the static library too, so that a consumer
# can link it into its own shared library. Debian's GCC builds PIE anyway;
# -fno-semantic-interposition keeps calls inside the library direct (and
# inlinable), as they are in a non-PIC build.
set_target_properties(nabla PROPERTIES POSITION_INDEPENDENT_CODE ON
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR} DEFINE_SYMBOL "")
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(nabla PRIVATE -fno-semantic-interposition)
endif()

get_target_property(_nabla_type nabla TYPE)
if(_nabla_type STREQUAL "STATIC_LIBRARY")
  # A static library's private dependencies travel with it ($<LINK_ONLY:...>);
  # nlohmann_json is header-only and used inside src/ only, so users of the
  # installed library need not have it.
  get_target_property(_nabla_links nabla INTERFACE_LINK_LIBRARIES)
  string(REPLACE "$<LINK_ONLY:nlohmann_json::nlohmann_json>" "$<BUILD_INTERFACE:nlohmann_json::nlohmann_json>"
         _nabla_links "${_nabla_links}")
  set_target_properties(nabla PROPERTIES INTERFACE_LINK_LIBRARIES "${_nabla_links}")
endif()
if(_nabla_type STREQUAL "SHARED_LIBRARY")
  # Only the public API leaves the shared library: the version script
  # (src/nabla.map) exports nabla::* (and its vtables, typeinfo, thunks) and
  # makes everything else local: the std:: template instances, anonymous
  # namespaces. -fvisibility-inlines-hidden drops the inline member functions
  # of the headers, which every user compiles for itself anyway.
  set(_nabla_map ${PROJECT_SOURCE_DIR}/src/nabla.map)
  set_target_properties(nabla PROPERTIES VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(nabla PRIVATE "LINKER:--version-script=${_nabla_map}" "LINKER:--no-undefined")
  set_property(TARGET nabla APPEND PROPERTY LINK_DEPENDS ${_nabla_map})
  set(_nabla_flavour shared)
else()
  set(_nabla_flavour static)
endif()

# Components, which are also the Debian packages (cmake/package.cmake):
# runtime = libnabla0, dev = libnabla-dev, tool = nabla.
install(TARGETS nabla EXPORT nabla-targets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/nabla DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev FILES_MATCHING PATTERN "*.hpp")
if(TARGET nabla_cli)
  install(TARGETS nabla_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tool)
endif()

# The CMake package. A static and a shared build can be installed into the
# same prefix (the Debian packages do): each installs its own targets file,
# and nablaConfig.cmake picks one (nabla_SHARED_LIBS, else BUILD_SHARED_LIBS,
# else whichever is there, shared first as the linker does).
set(NABLA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nabla)
install(EXPORT nabla-targets NAMESPACE nabla:: FILE nabla-${_nabla_flavour}-targets.cmake
  DESTINATION ${NABLA_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/nablaConfig.cmake.in
  ${PROJECT_BINARY_DIR}/nablaConfig.cmake INSTALL_DESTINATION ${NABLA_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nablaConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nablaConfig.cmake ${PROJECT_BINARY_DIR}/nablaConfigVersion.cmake
  DESTINATION ${NABLA_CMAKE_DIR} COMPONENT dev)

# pkg-config. Libs.private lists the libraries libnabla.a itself calls, as
# plain -l flags: `Requires.private: libcurl ...` would make
# `pkg-config --static` ask for the static closure of curl (ldap, rtmp, ...),
# which a program linking libnabla.a against Debian's shared libraries does
# not need and whose -dev packages are not installed.
pkg_check_modules(NABLA_PC_DEPS REQUIRED hdf5 libpng zlib libcurl libcrypto)
set(NABLA_PC_LIBS_PRIVATE "-ldnnl ${NABLA_PC_DEPS_LDFLAGS}")
if(NABLA_MPI)
  foreach(_lib IN LISTS MPI_CXX_LIBRARIES)
    string(APPEND NABLA_PC_LIBS_PRIVATE " ${_lib}")
  endforeach()
endif()
list(JOIN NABLA_PC_LIBS_PRIVATE " " NABLA_PC_LIBS_PRIVATE)
list(JOIN OpenMP_CXX_FLAGS " " NABLA_PC_OPENMP)
# The way from <libdir>/pkgconfig back to the prefix (lib/pkgconfig: ../..).
file(RELATIVE_PATH NABLA_PC_UP /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" NABLA_PC_UP "${NABLA_PC_UP}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/nabla.pc.in ${PROJECT_BINARY_DIR}/nabla.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nabla.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The install test: a temporary prefix, a consumer project built with CMake
# and with pkg-config, examples/deploy and the installed tool. Not in the
# sanitizer builds: their library needs the consumer built with the same
# sanitizer runtime (the release suite tests the install).
if(NABLA_BUILD_TESTS AND TARGET nabla_cli AND NOT NABLA_SANITIZE AND NOT NABLA_TSAN)
  add_test(NAME install.consumer COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/install_test.sh
    ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/../shared/data/mnist
    ${CMAKE_COMMAND} ${CMAKE_CXX_COMPILER} ${CMAKE_GENERATOR})
  set_tests_properties(install.consumer PROPERTIES LABELS install TIMEOUT 600 SKIP_RETURN_CODE 77
    ENVIRONMENT "GOMP_SPINCOUNT=1000")
endif()

include(${CMAKE_CURRENT_LIST_DIR}/package.cmake)
