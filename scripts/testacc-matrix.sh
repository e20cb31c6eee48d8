#!/usr/bin/env bash
# Runs the acceptance tests once per CLI the provider promises to work with:
#   - Terraform 1.5.7, the oldest supported and last MPL-licensed release,
#     built from source once into $(go env GOPATH)/bin/terraform-1.5.7;
#   - the `terraform` on PATH, when it is another version (usually newer);
#   - OpenTofu 1.10.6 (scripts/tofu-path.sh), with the provider addressed on
#     registry.opentofu.org as OpenTofu users would have it.
# Prints a table `CLI | version | result` and exits non-zero if any run failed
# or ran no test. Extra arguments go to `go test` (e.g. -run TestAccFoo).
# Nothing is downloaded from release sites.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CHECKPOINT_DISABLE=1

base=1.5.7
# The second word of the first line of `version` ("Terraform v1.5.7",
# "OpenTofu v1.10.6"); the output is captured whole first, since a pipe into
# head could be cut short and fail under pipefail.
first_line_version() {
  local out
  out=$("$1" version 2>/dev/null) || return 1
  out=${out%%$'\n'*}
  printf '%s\n' "$out" | awk '{print $2}'
}

# Terraform 1.5.7 under its own name, so it can sit next to a newer terraform
# in GOPATH/bin without either shadowing the other.
terraform_157() {
  local gopath bindir want tmp
  gopath=$(go env GOPATH)
  bindir="${gopath%%:*}/bin"
  want="$bindir/terraform-$base"
  if [ -x "$want" ] && [ "$(first_line_version "$want")" = "v$base" ]; then echo "$want"; return 0; fi
  echo "building Terraform v$base with go install (a few minutes, once)..." >&2
  tmp=$(mktemp -d)
  # A neutral directory and empty GOFLAGS: this module's go.mod and flags must
  # not take part in building the CLI.
  (cd "$tmp" && GOBIN="$tmp/bin" GOFLAGS='' go install "github.com/hashicorp/terraform@v$base") >&2 || { rm -rf "$tmp"; return 1; }
  mkdir -p "$bindir"
  mv "$tmp/bin/terraform" "$want"
  rm -rf "$tmp"
  [ "$(first_line_version "$want")" = "v$base" ] || { echo "$want does not report v$base" >&2; return 1; }
  echo "$want"
}

# Each entry: label|path|provider host ("" = the default, registry.terraform.io).
clis=()
if tf=$(terraform_157); then
  clis+=("terraform|$tf|")
else
  clis+=("terraform|MISSING (build of v$base failed)|")
fi
if tf=$(command -v terraform 2>/dev/null) && v=$(first_line_version "$tf") && [ -n "$v" ] && [ "$v" != "v$base" ]; then
  clis+=("terraform|$tf|")
fi
if tofu=$("$root/scripts/tofu-path.sh"); then
  clis+=("opentofu|$tofu|registry.opentofu.org")
else
  clis+=("opentofu|MISSING (scripts/tofu-path.sh failed)|registry.opentofu.org")
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
rows=()
failed=0
i=0
for entry in "${clis[@]}"; do
  IFS='|' read -r label path host <<<"$entry"
  i=$((i + 1))
  if [ ! -x "$path" ]; then
    rows+=("$label|?|FAIL: $path")
    failed=1
    continue
  fi
  version=$(first_line_version "$path")
  log="$logs/$i.log"
  echo "==> acceptance tests with $label $version ($path)"
  t0=$SECONDS
  # TF_ACC_PROVIDER_HOST only for OpenTofu: its users' configurations resolve
  # the provider on registry.opentofu.org.
  if env TF_ACC=1 TF_ACC_TERRAFORM_PATH="$path" ${host:+TF_ACC_PROVIDER_HOST="$host"} \
    go test -count=1 -timeout 30m -v -run '^TestAcc' "$@" ./internal/provider/... >"$log" 2>&1; then
    rc=0
  else
    rc=$?
  fi
  passed=$(grep -c -- '^[[:space:]]*--- PASS' "$log" || true)
  fails=$(grep -c -- '^[[:space:]]*--- FAIL' "$log" || true)
  skipped=$(grep -c -- '^[[:space:]]*--- SKIP' "$log" || true)
  counts="$passed passed, $fails failed, $skipped skipped, $((SECONDS - t0))s"
  if [ "$rc" = 0 ] && [ "$passed" -gt 0 ]; then
    rows+=("$label|$version|ok ($counts)")
    grep -E '^(ok|FAIL|---)' "$log" | grep -v -- '--- PASS' || true
  else
    failed=1
    # A green run that passed nothing (TF_ACC ignored, pattern matching no
    # test) is a failure too: it proves nothing about this CLI.
    if [ "$rc" = 0 ]; then rows+=("$label|$version|FAIL: no test ran ($counts)"); else rows+=("$label|$version|FAIL ($counts)"); fi
    echo "---- last 60 lines of the log" >&2
    tail -n 60 "$log" >&2
  fi
done

echo
printf '%-10s | %-9s | %s\n' CLI version result
printf '%-10s-|-%-9s-|-%s\n' ---------- --------- ------
for r in "${rows[@]}"; do
  IFS='|' read -r label version result <<<"$r"
  printf '%-10s | %-9s | %s\n' "$label" "$version" "$result"
done
exit "$failed"
