# The preamble the bench/*.sh scripts share; source it, do not run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# It sets `set -euo pipefail`, changes to the repository root (bench_repo) and
# provides:
#   bench_build DIR TARGET [cmake args...]  configure DIR (Release, once: only
#                     when it has no CMakeCache.txt) and build TARGET with -j2
#   bench_header      date, CPU model and count, load average: the first lines
#                     of every result, since the machine may be shared
#   bench_tmpdir [DIR]  sets bench_tmp to DIR (created) or to a fresh temporary
#                     directory removed at exit
#   bench_at_exit CMD   also runs CMD at exit (e.g. stopping helper processes)
#   median            the median of the numbers on stdin (mean of the middle
#                     two for an even count), 3 decimals
set -euo pipefail

bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$bench_repo"

bench_build() {
  local dir=$1 target=$2
  shift 2
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  fi
  cmake --build "$dir" --target "$target" -j2 >/dev/null
}

bench_header() {
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(getconf _NPROCESSORS_ONLN) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the run"
}

_bench_exit_cmds=()
_bench_at_exit() {
  local c
  for c in "${_bench_exit_cmds[@]}"; do eval "$c" || true; done
}
trap _bench_at_exit EXIT
bench_at_exit() { _bench_exit_cmds+=("$1"); }

bench_tmpdir() {
  if [[ -n ${1:-} ]]; then
    bench_tmp=$1
    mkdir -p "$bench_tmp"
  else
    bench_tmp=$(mktemp -d)
    bench_at_exit 'rm -rf "$bench_tmp"'
  fi
}

median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2];
    else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
