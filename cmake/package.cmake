# Debian packages with CPack (scripts/package.sh, docs/deploy.md): one per
# install component.
#   libnabla0     runtime  libnabla.so.0 (the shared build)
#   libnabla-dev  dev      headers, libnabla.a, libnabla.so, CMake + pkg-config files
#   nabla         tool     the `nabla` command-line tool
# scripts/package.sh builds the library twice (shared, static) and packs both
# trees: NABLA_PACKAGE_STATIC_DIR names the static one's build directory.
set(CPACK_PACKAGE_NAME nabla)
set(CPACK_PACKAGE_VENDOR "nabla developers")
set(CPACK_PACKAGE_CONTACT "nabla developers <nabla@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "C++20 deep learning: NumPy-style tensors, autodiff, Keras-style models")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev tool)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/nabla")
# Depends on Debian's runtime libraries, from dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libnabla${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "nabla deep learning library (shared library)")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libnabla-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(_nabla_exact "(= ${PROJECT_VERSION})")
# Linking libnabla.a needs the -dev packages of what the library calls
# (oneDNN's CMake config also asks for the OpenCL headers).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libnabla${PROJECT_VERSION_MAJOR} ${_nabla_exact}, libgomp1, libdnnl-dev, ocl-icd-opencl-dev, libpng-dev, zlib1g-dev, libcurl4-openssl-dev | libcurl-dev, libssl-dev, libhdf5-dev, pkg-config")
if(NABLA_MPI)
  string(APPEND CPACK_DEBIAN_DEV_PACKAGE_DEPENDS ", libopenmpi-dev | mpi-default-dev")
endif()
set(CPACK_DEBIAN_TOOL_PACKAGE_NAME nabla)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION science)
set(CPACK_DEBIAN_TOOL_PACKAGE_DEPENDS "libnabla${PROJECT_VERSION_MAJOR} ${_nabla_exact}")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "nabla deep learning library: libnabla.so.0")
set(CPACK_COMPONENT_DEV_DESCRIPTION "nabla deep learning library: headers, static library, CMake and pkg-config files")
set(CPACK_COMPONENT_TOOL_DESCRIPTION "nabla command-line tool: train, evaluate and predict with saved models")

if(NABLA_PACKAGE_STATIC_DIR)
  set(CPACK_INSTALL_CMAKE_PROJECTS
    "${PROJECT_BINARY_DIR};nabla;ALL;/"
    "${NABLA_PACKAGE_STATIC_DIR};nabla;ALL;/")
endif()
include(CPack)
