# CMake toolchain file: build for 64-bit ARM Linux with Debian's cross
# compiler (g++-aarch64-linux-gnu) and run the results under qemu-user.
# tools/run-tests.sh's aarch64 stage uses it; any project can too:
#
#   cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# CTest runs the test binaries through CMAKE_CROSSCOMPILING_EMULATOR. Eigen and
# doctest are header-only and found on the build machine; libraries (zlib) only
# under the target's root, /usr/aarch64-linux-gnu, so without zlib1g-dev:arm64
# tapegrad::data reads uncompressed files only.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
