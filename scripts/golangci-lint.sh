#!/usr/bin/env bash
# Prints the path of golangci-lint at the version pinned below, so that every
# developer and CI lint with the same linters and get the same findings. A
# golangci-lint on PATH is used when it is that version and was built with the
# Go in use; otherwise the pinned version is built from the Go module proxy with
# `go install` into $(go env GOPATH)/bin (about three minutes on two cores,
# once). Nothing is downloaded from release sites.
# Usage: "$(scripts/golangci-lint.sh)" run ./...
set -euo pipefail

# v2.15.0 is the newest v2 release that builds with Go 1.26; bump it together
# with .golangci.yml when a newer one builds here.
version=v2.15.0
module=github.com/golangci/golangci-lint/v2

# golangci-lint refuses to lint a module whose go directive is newer than the
# Go it was built with, so a binary built by an older Go counts as stale.
go_minor() { sed -E 's/^go([0-9]+\.[0-9]+).*/\1/'; }
want_go=$(go env GOVERSION | go_minor)

# `go version -m` reads the module version and the Go that built the binary
# from the binary itself, without running it.
good() {
  [ -x "$1" ] || return 1
  local info
  info=$(go version -m "$1" 2>/dev/null) || return 1
  # Matched in the shell rather than piped into grep -q, which could close the
  # pipe early and fail under pipefail.
  [[ $info =~ $'\n'[[:space:]]+mod[[:space:]]+"$module"[[:space:]]+"$version"[[:space:]] ]] || return 1
  # First line: "<path>: go1.26.8".
  local built=${info%%$'\n'*}
  [ "$(echo "${built##* }" | go_minor)" = "$want_go" ]
}

if bin=$(command -v golangci-lint 2>/dev/null) && good "$bin"; then echo "$bin"; exit 0; fi

gopath=$(go env GOPATH)
bindir="${gopath%%:*}/bin"
if good "$bindir/golangci-lint"; then echo "$bindir/golangci-lint"; exit 0; fi

echo "building golangci-lint $version with go install (a few minutes, once)..." >&2
# From a neutral directory with GOFLAGS cleared, so that this repository's
# go.mod and flags such as -mod=vendor do not leak into the tool's build.
(cd "${TMPDIR:-/tmp}" && GOBIN="$bindir" GOFLAGS='' go install "$module/cmd/golangci-lint@$version") >&2
good "$bindir/golangci-lint" || { echo "building golangci-lint $version failed" >&2; exit 1; }
echo "$bindir/golangci-lint"
