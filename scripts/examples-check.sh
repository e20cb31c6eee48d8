#!/usr/bin/env bash
# Checks that every example under examples/ is formatted and valid against the
# provider as built from this tree: `terraform fmt -check -recursive`, then
# `terraform validate` in a temporary copy of each directory that has .tf
# files, with the provider served from a fresh build through dev_overrides (no
# registry, no `terraform init`). The examples are also what tfplugindocs puts
# into docs/, so a broken one is a broken doc.
# Usage: scripts/examples-check.sh [TERRAFORM]   (default: scripts/terraform-path.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

terraform=${1:-$(scripts/terraform-path.sh)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# dev_overrides makes Terraform run the binary in $work/bin for this address
# instead of installing it, so validate needs no init for it. OpenTofu reads
# "vbs-tf/vbs" as registry.opentofu.org/vbs-tf/vbs, hence the second line, so
# an OpenTofu binary can be passed as TERRAFORM too.
cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/vbs-tf/vbs"  = "$work/bin"
    "registry.opentofu.org/vbs-tf/vbs" = "$work/bin"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc"
tf_version=$("$terraform" version 2>/dev/null) || { echo "$terraform does not run" >&2; exit 1; }
echo "==> ${tf_version%%$'\n'*} ($terraform)"

fail=0
echo "==> terraform fmt -check -recursive examples/"
if ! "$terraform" fmt -check -recursive -diff examples/; then
  echo "examples/ is not formatted: run make fmt" >&2
  fail=1
fi

echo "==> building the provider"
go build -o "$work/bin/terraform-provider-vbs" .

dirs=$(find examples -name '*.tf' -printf '%h\n' | sort -u)
[ -n "$dirs" ] || { echo "no .tf files under examples/" >&2; exit 1; }
n=0
for d in $dirs; do
  n=$((n + 1))
  copy="$work/examples/$n"
  mkdir -p "$copy"
  cp "$d"/*.tf "$copy/"
  # Snippets written for the docs (provider.tf, data-source.tf) have no
  # terraform block, and an undeclared `vbs` means hashicorp/vbs to Terraform;
  # declare our address in the copy so the override applies.
  if ! grep -q 'required_providers' "$copy"/*.tf; then
    cat >"$copy/zz_examples_check_versions.tf" <<'TF'
terraform {
  required_providers {
    vbs = {
      source = "vbs-tf/vbs"
    }
  }
}
TF
  fi
  # Keep the provider's own logs and the override warning out of the way;
  # show everything when validate fails.
  if out=$(cd "$copy" && TF_DATA_DIR="$copy/.terraform" "$terraform" validate -no-color 2>&1); then
    echo "ok    $d"
  else
    echo "FAIL  $d" >&2
    # Drop the paragraph that warns about the overrides: it is expected.
    printf '%s\n' "$out" | awk '/provider development overrides are set/ {skip = 1} !skip {print} skip && /releases\.$/ {skip = 0}' >&2
    fail=1
  fi
done
if [ "$fail" != 0 ]; then echo "examples check FAILED" >&2; exit 1; fi
echo "==> examples check OK ($n directories)"
