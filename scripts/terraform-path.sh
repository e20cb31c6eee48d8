#!/usr/bin/env bash
# Prints the path of a Terraform CLI for the acceptance tests, docs and demo.
# Order: TF_ACC_TERRAFORM_PATH, a terraform on PATH, one built earlier into
# GOPATH/bin, else Terraform v1.5.7 (the last MPL release) built from source
# with `go install`, which takes a few minutes once. Nothing is downloaded
# from release sites.
set -euo pipefail

works() { [ -x "$1" ] && "$1" version >/dev/null 2>&1; }

if [ -n "${TF_ACC_TERRAFORM_PATH:-}" ]; then
  if works "$TF_ACC_TERRAFORM_PATH"; then echo "$TF_ACC_TERRAFORM_PATH"; exit 0; fi
  echo "TF_ACC_TERRAFORM_PATH=$TF_ACC_TERRAFORM_PATH does not run; unset it or point it at a terraform binary" >&2
  exit 1
fi
if tf=$(command -v terraform 2>/dev/null) && works "$tf"; then echo "$tf"; exit 0; fi

gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
if works "$gobin/terraform"; then echo "$gobin/terraform"; exit 0; fi

echo "No terraform found: building Terraform v1.5.7 with go install (a few minutes, once)..." >&2
(cd "${TMPDIR:-/tmp}" && GOBIN="$gobin" GOFLAGS= go install github.com/hashicorp/terraform@v1.5.7) >&2
works "$gobin/terraform" || { echo "building Terraform v1.5.7 failed" >&2; exit 1; }
echo "$gobin/terraform"
