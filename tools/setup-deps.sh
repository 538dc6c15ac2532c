#!/usr/bin/env bash
# Installs the Debian packages tapegrad's build, tests and CI need.
#   tools/setup-deps.sh            the default list below
#   tools/setup-deps.sh PKG...     only these
#   tools/setup-deps.sh mpich      an optional stage's packages (below)
# Quiet and idempotent when everything is present. As root, installs what is
# missing with apt-get; otherwise prints the command and exits 1.
# TAPEGRAD_SKIP_DEPS=1 skips all of this (e.g. on a non-Debian machine that
# has the tools already).
set -euo pipefail

default_packages=(
  g++ cmake make          # compiler, build
  time                    # GNU time: bench/compile_time.sh, the werror stage's compile-time guard
  libeigen3-dev           # the one hard dependency
  doctest-dev             # tests
  libbenchmark-dev        # bench/
  zlib1g-dev              # data/io
  clang libclang-rt-14-dev  # the sanitizer + portability build
  libomp-dev              # OpenMP for examples and benches (clang)
  g++-aarch64-linux-gnu qemu-user  # the aarch64 build, its tests run under qemu
  libopenmpi-dev openmpi-bin  # tapegrad::distributed and its tests (MPI)
)
# Optional stages of tools/run-tests.sh install their own packages by name:
#   mpich: libmpich-dev mpich   the distributed tests against MPICH; installed
#          next to Open MPI, whose alternatives (mpi, mpirun) keep the higher
#          priority, so mpicxx, mpirun and <mpi.h> stay Open MPI's
optional_packages_mpich=(libmpich-dev mpich)

if [[ "${TAPEGRAD_SKIP_DEPS:-0}" == 1 ]]; then
  exit 0
fi

if (($# == 1)) && [[ "$1" == mpich ]]; then
  packages=("${optional_packages_mpich[@]}")
elif (($# > 0)); then
  packages=("$@")
else
  packages=("${default_packages[@]}")
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup-deps: not a Debian system (no dpkg-query); install the equivalents of" >&2
  echo "  ${packages[*]}" >&2
  echo "by hand, then rerun with TAPEGRAD_SKIP_DEPS=1" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  echo "setup-deps: missing Debian packages: ${missing[*]}" >&2
  if command -v sudo >/dev/null 2>&1; then
    echo "install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  else
    echo "install them as root (e.g. after su -) with:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  fi
  exit 1
fi

echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
