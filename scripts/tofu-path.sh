#!/usr/bin/env bash
# Prints the path of an OpenTofu v1.10.6 CLI, for running the acceptance tests
# against OpenTofu as well as Terraform (scripts/testacc-matrix.sh). Order:
# TOFU_PATH if set, a `tofu` on PATH that is v1.10.6, one built earlier into
# the cache, else OpenTofu built from its source module. OpenTofu's go.mod has
# replace directives, so `go install …/cmd/tofu@v1.10.6` is refused; instead
# the module is fetched with `go mod download` from the Go module proxy, copied
# to a writable cache and built there with `go build`. Takes several minutes
# once on two cores. Nothing is downloaded from release sites.
set -euo pipefail

want=1.10.6
module=github.com/opentofu/opentofu
cache=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-vbs/opentofu-$want
bin="$cache/bin/tofu"

# `tofu version` prints "OpenTofu v1.10.6" on its first line. Captured
# before matching: a pipe into head or grep -q could close early and, under
# pipefail, fail the check at random.
works() {
  local out
  [ -x "$1" ] && out=$("$1" version 2>/dev/null) || return 1
  [ "${out%%$'\n'*}" = "OpenTofu v$want" ]
}

if [ -n "${TOFU_PATH:-}" ]; then
  if works "$TOFU_PATH"; then echo "$TOFU_PATH"; exit 0; fi
  echo "TOFU_PATH=$TOFU_PATH is not OpenTofu v$want; unset it or point it at one" >&2
  exit 1
fi
if t=$(command -v tofu 2>/dev/null) && works "$t"; then echo "$t"; exit 0; fi
if works "$bin"; then echo "$bin"; exit 0; fi

echo "No OpenTofu v$want found: building it from source (several minutes, once)..." >&2
# From a neutral directory with GOFLAGS cleared and no workspace, so neither
# this repository's go.mod nor the caller's flags take part.
neutral=${TMPDIR:-/tmp}
dir=$(cd "$neutral" && GOFLAGS='' GOWORK=off go mod download -json "$module@v$want" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$dir" ] || [ ! -f "$dir/go.mod" ]; then
  echo "go mod download $module@v$want gave no source directory" >&2
  exit 1
fi

# The module cache is read-only: build in a writable copy.
rm -rf "$cache/src"
mkdir -p "$cache/bin"
cp -r "$dir" "$cache/src"
chmod -R u+w "$cache/src"

log="$cache/build.log"
# version.dev=no as in OpenTofu's own release build: without it the binary
# calls itself v1.10.6-dev.
if ! (cd "$cache/src" && GOFLAGS='' GOWORK=off CGO_ENABLED=0 go build -trimpath -buildvcs=false \
  -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$bin" ./cmd/tofu) >"$log" 2>&1; then
  cat "$log" >&2
  if grep -q 'requires go >= ' "$log"; then
    echo "OpenTofu v$want needs a newer Go than $(go env GOVERSION): export GOTOOLCHAIN=<that version> and run again" >&2
  fi
  echo "building OpenTofu v$want failed (log: $log)" >&2
  exit 1
fi
works "$bin" || { echo "the OpenTofu just built does not report v$want" >&2; "$bin" version >&2 || true; exit 1; }
echo "$bin"
