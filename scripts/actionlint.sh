#!/usr/bin/env bash
# Prints the path of actionlint at the version pinned below, the checker of
# .github/workflows that `make lint` runs. An actionlint on PATH or in
# $(go env GOPATH)/bin is used when it is that version; otherwise it is built
# from the Go module proxy with `go install` (well under a minute, once).
# Nothing is downloaded from release sites.
# Usage: "$(scripts/actionlint.sh)" -color
set -euo pipefail

# v1.7.12 builds with Go 1.25 and newer.
version=v1.7.12
module=github.com/rhysd/actionlint

# `go version -m` reads the module version from the binary without running it.
good() {
  [ -x "$1" ] || return 1
  local info
  info=$(go version -m "$1" 2>/dev/null) || return 1
  # Matched in the shell rather than piped into grep -q, which could close the
  # pipe early and fail under pipefail.
  [[ $info =~ $'\n'[[:space:]]+mod[[:space:]]+"$module"[[:space:]]+"$version"[[:space:]] ]]
}

if bin=$(command -v actionlint 2>/dev/null) && good "$bin"; then echo "$bin"; exit 0; fi

gopath=$(go env GOPATH)
bindir="${gopath%%:*}/bin"
if good "$bindir/actionlint"; then echo "$bindir/actionlint"; exit 0; fi

echo "building actionlint $version with go install (once)..." >&2
# From a neutral directory with GOFLAGS cleared, so that this repository's
# go.mod and flags such as -mod=vendor do not leak into the tool's build.
(cd "${TMPDIR:-/tmp}" && GOBIN="$bindir" GOFLAGS='' GOWORK=off go install "$module/cmd/actionlint@$version") >&2
good "$bindir/actionlint" || { echo "building actionlint $version failed" >&2; exit 1; }
echo "$bindir/actionlint"
