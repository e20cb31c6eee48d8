#!/usr/bin/env bash
# A release rehearsal with nothing but Go: cross-compiles the same platform
# matrix as .goreleaser.yml with plain `go build`, lays out dist/ the way the
# Terraform registry expects a release (one zip per platform, the manifest,
# SHA256SUMS over both), and then checks what it made. It signs nothing and
# publishes nothing; goreleaser does that for a real release (CONTRIBUTING.md).
# Usage: scripts/release-dry-run.sh [VERSION]   (default 0.0.0-dev, no leading v)
#        RELEASE_TARGETS="linux/amd64 darwin/arm64" scripts/release-dry-run.sh
# Time on 2 cores: about 45 s with a warm build cache; with a cold one each
# platform compiles the standard library and every dependency again, about
# 1 to 2 minutes per platform (21 minutes for all 13 measured on a busy
# machine). RELEASE_TARGETS limits the run to some of the platforms.
set -euo pipefail

version=${1:-0.0.0-dev}
version=${version#v} # a tag name works too: v1.2.3 -> 1.2.3, as goreleaser does
root=$(cd "$(dirname "$0")/.." && pwd)
dist=${DIST:-$root/dist}
name=terraform-provider-vbs

# Keep this list in step with .goreleaser.yml: goos x goarch without
# darwin/386 and windows/arm. darwin/arm is no Go port; goreleaser skips it
# the same way.
targets=(
  freebsd/amd64 freebsd/386 freebsd/arm freebsd/arm64
  windows/amd64 windows/386 windows/arm64
  linux/amd64 linux/386 linux/arm linux/arm64
  darwin/amd64 darwin/arm64
)
if [ -n "${RELEASE_TARGETS:-}" ]; then
  chosen=()
  for t in $RELEASE_TARGETS; do
    case " ${targets[*]} " in
      *" $t "*) chosen+=("$t") ;;
      *) echo "RELEASE_TARGETS: $t is not in the release matrix (${targets[*]})" >&2; exit 1 ;;
    esac
  done
  [ "${#chosen[@]}" -gt 0 ] || { echo "RELEASE_TARGETS names no platform" >&2; exit 1; }
  targets=("${chosen[@]}")
fi

# A zip tool: zip(1) when installed, else Python's zipfile module; the CI
# machine has one of the two, and nothing gets installed for this.
if command -v zip >/dev/null 2>&1; then
  mkzip() { local out=$1; shift; zip -q -X "$out" "$@"; }
elif command -v python3 >/dev/null 2>&1; then
  mkzip() { local out=$1; shift; python3 -m zipfile -c "$out" "$@"; }
else
  echo "release-dry-run: neither zip nor python3 is installed; install one (apt-get install zip)" >&2
  exit 1
fi
# Reading the zips back needs Python or unzip(1).
if ! command -v python3 >/dev/null 2>&1 && ! command -v unzip >/dev/null 2>&1; then
  echo "release-dry-run: neither python3 nor unzip is installed to check the archives; install one (apt-get install unzip)" >&2
  exit 1
fi
if command -v python3 >/dev/null 2>&1; then
  lszip() { python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }
else
  lszip() { unzip -Z1 "$1"; }
fi
if command -v unzip >/dev/null 2>&1; then
  unzip1() { unzip -p "$1" "$2" >"$3"; }
else
  unzip1() { python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2" >"$3"; }
fi

commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo none)
ldflags="-s -w -X main.version=$version"

# goreleaser's default archive contents besides the binary.
extras=()
for f in "$root"/README* "$root"/CHANGELOG* "$root"/LICENSE*; do
  if [ -f "$f" ]; then extras+=("${f##*/}"); fi
done

# dist/ is wiped first, as goreleaser --clean does: refuse a DIST that is
# the repository or the filesystem root.
case "$dist" in "" | / | "$root" | "$root/") echo "DIST=$dist would wipe too much" >&2; exit 1 ;; esac
rm -rf "$dist"
mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

start=$SECONDS
echo "==> $name $version (commit $commit), ${#targets[@]} platforms, into $dist"
for t in "${targets[@]}"; do
  os=${t%/*} arch=${t#*/}
  bin="${name}_v${version}"
  [ "$os" = windows ] && bin="$bin.exe"
  stage="$work/$os-$arch"
  mkdir -p "$stage"
  t0=$SECONDS
  # GOARM=6 as goreleaser defaults to (Go itself would pick 7 when cross
  # compiling): the same binaries, and the build cache shared with goreleaser.
  # GOFLAGS is inherited on purpose: .ci/run sets -buildvcs=false there.
  (cd "$root" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOARM=6 \
    go build -trimpath -ldflags "$ldflags" -o "$stage/$bin" .)
  for f in ${extras[@]+"${extras[@]}"}; do cp "$root/$f" "$stage/"; done
  # Flat archive, as goreleaser makes: the binary at the top level.
  (cd "$stage" && mkzip "$dist/${name}_${version}_${os}_${arch}.zip" "$bin" ${extras[@]+"${extras[@]}"})
  echo "    $os/$arch ($((SECONDS - t0))s)"
done
cp "$root/terraform-registry-manifest.json" "$dist/${name}_${version}_manifest.json"
(cd "$dist" && sha256sum ./*.zip "${name}_${version}_manifest.json" | sed 's#  \./#  #' >"${name}_${version}_SHA256SUMS")
echo "==> built in $((SECONDS - start))s"

echo "==> verifying"
fail=0
(cd "$dist" && sha256sum -c --strict "${name}_${version}_SHA256SUMS") || fail=1
for t in "${targets[@]}"; do
  os=${t%/*} arch=${t#*/}
  zipf="$dist/${name}_${version}_${os}_${arch}.zip"
  bin="${name}_v${version}"
  [ "$os" = windows ] && bin="$bin.exe"
  if [ ! -f "$zipf" ]; then echo "missing: $zipf" >&2; fail=1; continue; fi
  grep -q "  ${zipf##*/}\$" "$dist/${name}_${version}_SHA256SUMS" || { echo "not in SHA256SUMS: ${zipf##*/}" >&2; fail=1; }
  # Matched in the shell, not with a pipe into grep -q: grep closing the pipe
  # early would fail the pipeline under pipefail.
  listing=$'\n'$(lszip "$zipf")$'\n'
  if [[ $listing != *$'\n'"$bin"$'\n'* ]]; then echo "${zipf##*/} does not hold $bin" >&2; fail=1; continue; fi
  # The binary itself says which platform and settings it was built for:
  # read that back rather than trusting the file name. With -trimpath Go does
  # not record -ldflags, so look for the version string in the binary itself
  # (main.version is "dev" unless the -X took effect).
  unzip1 "$zipf" "$bin" "$work/check"
  info=$(go version -m "$work/check")
  wants=("GOOS=$os" "GOARCH=$arch" "CGO_ENABLED=0" "-trimpath=true")
  if [ "$arch" = arm ]; then wants+=("GOARM=6"); fi
  for want in "${wants[@]}"; do
    [[ $info == *"$want"* ]] || { echo "${zipf##*/}: binary was not built with $want" >&2; fail=1; }
  done
  grep -a -q -F -- "$version" "$work/check" || { echo "${zipf##*/}: version $version is not in the binary" >&2; fail=1; }
done
grep -q "  ${name}_${version}_manifest.json\$" "$dist/${name}_${version}_SHA256SUMS" || { echo "manifest not in SHA256SUMS" >&2; fail=1; }
if [ "$fail" != 0 ]; then echo "release dry run FAILED" >&2; exit 1; fi
echo "==> release dry run OK: ${#targets[@]} archives, manifest and SHA256SUMS in $dist ($((SECONDS - start))s)"
