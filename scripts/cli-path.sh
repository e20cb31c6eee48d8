#!/usr/bin/env bash
# Prints the path of one Terraform or OpenTofu CLI of the acceptance matrix,
# building it from its Go module when it is missing:
#
#   scripts/cli-path.sh terraform-1.5.7    the minimum; `go install` (MPL-2.0)
#   scripts/cli-path.sh terraform-1.14.9   list resources, `terraform query`
#   scripts/cli-path.sh opentofu-1.12.6    OpenTofu of late 2026
#   scripts/cli-path.sh opentofu-1.10.6    the OpenTofu of earlier releases
#
# Everything comes from the Go module proxy (`go mod download`, `go install`);
# nothing is downloaded from release sites. Binaries go to
# ${XDG_CACHE_HOME:-~/.cache}/terraform-provider-vbs/<name>/bin and are built
# once. <NAME>_PATH (TERRAFORM_1_14_9_PATH, OPENTOFU_1_12_6_PATH, ...) names a
# binary to use instead.
#
# Terraform 1.14.9 is licensed BUSL-1.1. This script builds it only as a local
# test tool for the acceptance tests, in the cache above; the project never
# ships, vendors or commits it, nor any binary built from it. Its module zip
# lacks the nested modules of the remote-state backends and internal/legacy,
# and its go.mod replaces them with those missing directories, so the build
# drops them: their require and replace lines from go.mod and their imports
# and registrations from internal/backend/init/init.go. Acceptance tests use
# the local backend only.
set -euo pipefail

name=${1:?usage: scripts/cli-path.sh terraform-1.5.7|terraform-1.14.9|opentofu-1.12.6|opentofu-1.10.6}
case "$name" in
  terraform-*) product=Terraform module=github.com/hashicorp/terraform ;;
  opentofu-*) product=OpenTofu module=github.com/opentofu/opentofu ;;
  *) echo "cli-path.sh: unknown CLI $name" >&2; exit 2 ;;
esac
version=${name#*-}
exe=${name%%-*}
[ "$exe" = opentofu ] && exe=tofu
cache=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-vbs/$name
bin="$cache/bin/$exe"

# The first line of `version` is "Terraform v1.14.9" or "OpenTofu v1.12.6".
# The output is captured whole before matching: a pipe into head could close
# early and, under pipefail, fail the check at random. An empty CLI
# configuration file keeps OpenTofu from warning about a missing one.
works() {
  local out
  [ -x "$1" ] || return 1
  out=$(TF_CLI_CONFIG_FILE=/dev/null "$1" version 2>/dev/null) || return 1
  [ "${out%%$'\n'*}" = "$product v$version" ]
}

override_var=$(echo "${name}_PATH" | tr 'a-z.-' 'A-Z__')
if [ -n "${!override_var:-}" ]; then
  if works "${!override_var}"; then echo "${!override_var}"; exit 0; fi
  echo "$override_var=${!override_var} is not $product v$version; unset it or point it at one" >&2
  exit 1
fi
if works "$bin"; then echo "$bin"; exit 0; fi

# From a neutral directory with GOFLAGS cleared and no workspace, so neither
# this repository's go.mod nor the caller's flags take part in the build.
export GOFLAGS='' GOWORK=off
neutral=${TMPDIR:-/tmp}
mkdir -p "$cache/bin"
log="$cache/build.log"
echo "No $product v$version found: building it from its Go module (several minutes, once; log: $log)..." >&2

if [ "$name" = terraform-1.5.7 ]; then
  # The last MPL release installs as it is.
  if ! (cd "$neutral" && GOBIN="$cache/bin" go install "$module@v$version") >"$log" 2>&1; then
    cat "$log" >&2
    echo "building $product v$version failed" >&2
    exit 1
  fi
else
  dir=$(cd "$neutral" && go mod download -json "$module@v$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  if [ -z "$dir" ] || [ ! -f "$dir/go.mod" ]; then
    echo "go mod download $module@v$version gave no source directory" >&2
    exit 1
  fi
  # The module cache is read-only: build in a writable copy.
  src="$cache/src"
  rm -rf "$src"
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  main=./cmd/tofu
  if [ "$product" = Terraform ]; then
    main=.
    missing='internal/backend/remote-state/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)|internal/legacy'
    # go.mod: the require lines and replace directives of the missing modules.
    grep -Ev "github.com/hashicorp/terraform/($missing)( |$)" "$src/go.mod" >"$src/go.mod.new"
    mv "$src/go.mod.new" "$src/go.mod"
    # init.go: their imports and their entries in the backend table.
    init="$src/internal/backend/init/init.go"
    grep -Ev "\"github.com/hashicorp/terraform/($missing)\"|backend(Azure|Consul|Cos|GCS|Kubernetes|OCI|OSS|Pg|S3)\.New\(\)" \
      "$init" >"$init.new"
    mv "$init.new" "$init"
    if grep -Eq "remote-state/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)\"" "$init"; then
      echo "patching $init left a missing backend behind" >&2
      exit 1
    fi
  fi
  # version.dev=no as in the projects' own release builds: without it the
  # binary calls itself v<version>-dev.
  if ! (cd "$src" && CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X $module/version.dev=no" -o "$bin" "$main") >"$log" 2>&1; then
    cat "$log" >&2
    if grep -q 'requires go >= ' "$log"; then
      echo "$product v$version needs a newer Go than $(go env GOVERSION): export GOTOOLCHAIN=<that version> and run again" >&2
    fi
    echo "building $product v$version failed (log: $log)" >&2
    exit 1
  fi
  # The copy is only needed for the build; the module cache keeps the source.
  rm -rf "$src"
fi
works "$bin" || { echo "the $product just built does not report v$version" >&2; "$bin" version >&2 || true; exit 1; }
echo "$bin"
