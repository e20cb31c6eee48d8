#!/usr/bin/env bash
# Checks that the examples work as copied, against the provider as built from
# this tree, with no OS_* variable in the environment (validate never logs in,
# and this proves it):
#
#  1. `terraform fmt -check -recursive examples/`.
#  2. Each directory under examples/ with .tf files is one configuration.
#  3. Each ```hcl, ```terraform or ```tf block of README.md and docs/**/*.md
#     (docs/ is what tfplugindocs makes of templates/ and examples/) is one
#     configuration, and must be formatted as `terraform fmt` wants. Other
#     blocks (```sh, ```shell, ...) are not checked.
#
# A configuration must declare the provider in required_providers with its
# source and a version constraint (without the block Terraform looks for
# hashicorp/vbs, so a copied example would fail at `terraform init`), and must
# pass `terraform validate`. The provider comes from a fresh build through
# dev_overrides: no registry and no `terraform init`; dev_overrides ignores the
# version constraint (checked on Terraform 1.5.7 and 1.11.4), which is why the
# constraint is checked separately with `terraform providers`.
#
# Query files and identity: a directory with .tfquery.hcl files, or a block
# with `list` blocks, is validated as a query (`validate -query`), and it and
# anything that imports by `identity` needs a newer CLI than the minimum: they
# are checked with Terraform 1.14.9 (QUERY_TERRAFORM, else
# scripts/cli-path.sh terraform-1.14.9, which builds it once when missing).
#
# Fragments: a block that only makes sense inside another example (an import
# block for the resource of the example above it) is marked with an HTML
# comment starting with "<!-- fragment" as the last non-blank line before its
# opening fence; the text around it should say so to the reader too. A
# fragment is validated together with the nearest unmarked block above it in
# the same file, and needs no required_providers of its own. Every unmarked
# block must be a complete configuration.
#
# Usage: scripts/examples-check.sh [TERRAFORM]   (default: scripts/terraform-path.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

terraform=${1:-$(scripts/terraform-path.sh)}
query_terraform=${QUERY_TERRAFORM:-$(scripts/cli-path.sh terraform-1.14.9)}

for v in $(compgen -e -X '!OS_*'); do unset "$v"; done

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
tf_version=$("$query_terraform" version 2>/dev/null) || { echo "$query_terraform does not run" >&2; exit 1; }
echo "==> ${tf_version%%$'\n'*} for queries and imports by identity ($query_terraform)"

# needs_query_cli FILE...: the files use list blocks or import by identity.
needs_query_cli() { grep -Eqs '^[[:space:]]*(list[[:space:]]+"|identity[[:space:]]*=)' "$@"; }

fail=0
echo "==> terraform fmt -check -recursive examples/"
# The newer CLI also formats .tfquery.hcl files.
if ! "$terraform" fmt -check -recursive -diff examples/ || ! "$query_terraform" fmt -check -recursive -diff examples/; then
  echo "examples/ is not formatted: run make fmt" >&2
  fail=1
fi

echo "==> building the provider"
go build -o "$work/bin/terraform-provider-vbs" .

# Terraform's output on failure, without the paragraph that warns about the
# overrides (expected). For a Markdown block, "on main.tf line 3" and the
# numbered source lines under it become lines of the page: the environment's
# main_tf and fragment_tf say "FILE:LINE-OF-OPENING-FENCE" for the files that
# came from the page.
show_errors() {
  awk '
    function page(name, at,    parts, head) {
      head = "on " name " line "
      if (ENVIRON[at] == "" || !match($0, head "[0-9]+")) return
      split(ENVIRON[at], parts, ":")
      off = parts[2]
      n = substr($0, RSTART + length(head), RLENGTH - length(head))
      $0 = substr($0, 1, RSTART - 1) "on " parts[1] " line " (off + n) substr($0, RSTART + RLENGTH)
    }
    /Provider development overrides are in effect/ {skip = 1}
    skip { if (/releases\.$/) skip = 0; next }
    /^$/ { off = 0 }
    off && match($0, /^ *[0-9]+:/) {
      n = substr($0, 1, RLENGTH - 1) + off
      $0 = sprintf("%" (RLENGTH - 1) "d", n) substr($0, RLENGTH)
    }
    { page("main.tf", "main_tf"); page("fragment.tf", "fragment_tf"); page("fragment.tfquery.hcl", "fragment_tf"); print }'
}

# check_config DIR LABEL: the required_providers declaration, then validate
# (with the newer CLI, and of the queries too, where the files need it);
# prints what failed and returns non-zero if anything did.
checked=0
check_config() {
  local dir=$1 label=$2 ok=1 out providers_out="" terraform=$terraform validate=(validate -no-color)
  if compgen -G "$dir/*.tfquery.hcl" >/dev/null || needs_query_cli "$dir"/*.tf; then
    terraform=$query_terraform
    validate+=(-query)
  fi
  checked=$((checked + 1))
  # `terraform providers` lists each requirement as
  # "provider[registry.terraform.io/vbs-tf/vbs] ~> 0.1"; nothing after the
  # bracket means no version constraint. When the command fails, the
  # configuration does not parse, and validate below shows why.
  if ! out=$(cd "$dir" && TF_DATA_DIR="$dir/.terraform" "$terraform" providers -no-color 2>&1); then
    providers_out=$out
    ok=0
  elif ! grep -Eq 'provider\[registry\.[a-z.]+/vbs-tf/vbs\] +[^ ]' <<<"$out"; then
    printf 'FAIL  %s: no required_providers entry vbs = { source = "vbs-tf/vbs", version = "..." }\n' "$label" >&2
    printf '%s\n' "$out" >&2
    ok=0
  fi
  if ! out=$(cd "$dir" && TF_DATA_DIR="$dir/.terraform" "$terraform" "${validate[@]}" 2>&1); then
    printf 'FAIL  %s: terraform validate\n' "$label" >&2
    printf '%s\n' "$out" | show_errors >&2
    ok=0
  elif [ -n "$providers_out" ]; then
    printf 'FAIL  %s: terraform providers\n%s\n' "$label" "$providers_out" >&2
  fi
  [ "$ok" = 1 ]
}

echo "==> examples/: each directory"
dirs=$(find examples -name '*.tf' -printf '%h\n' | sort -u)
[ -n "$dirs" ] || { echo "no .tf files under examples/" >&2; exit 1; }
n=0
for d in $dirs; do
  n=$((n + 1))
  copy="$work/examples/$n"
  mkdir -p "$copy"
  cp "$d"/*.tf "$copy/"
  cp "$d"/*.tfquery.hcl "$copy/" 2>/dev/null || true
  if main_tf="" fragment_tf="" check_config "$copy" "$d"; then echo "ok    $d"; else fail=1; fi
done

echo "==> README.md and docs/: each hcl/terraform block"
# Writes block K to $work/md/K.tf and one line per block to the manifest:
# K, file, line of the opening fence, "fragment" or "complete".
mkdir -p "$work/md"
mapfile -t pages < <(printf '%s\n' README.md; find docs -name '*.md' | sort)
awk -v out="$work/md" '
  FNR == 1 { infence = 0; prev = "" }
  !infence && /^[ \t]*```/ {
    match($0, /^[ \t]*/); indent = RLENGTH
    lang = $0; sub(/^[ \t]*`+[ \t]*/, "", lang); sub(/[ \t].*$/, "", lang)
    infence = 1; keep = (lang == "hcl" || lang == "terraform" || lang == "tf")
    if (keep) {
      k++; file = out "/" k ".tf"; printf "" > file
      kind = (prev ~ /^[ \t]*<!--[ \t]*fragment/) ? "fragment" : "complete"
      printf "%d\t%s\t%d\t%s\n", k, FILENAME, FNR, kind > (out "/manifest")
    }
    next
  }
  infence && /^[ \t]*```+[ \t]*$/ { infence = 0; if (keep) close(file); prev = ""; next }
  infence { if (keep) { line = $0; for (i = 0; i < indent && substr(line, 1, 1) == " "; i++) line = substr(line, 2); print line > file }; next }
  /[^ \t]/ { prev = $0 }
' "${pages[@]}"
[ -s "$work/md/manifest" ] || { echo "no hcl/terraform blocks in README.md or docs/" >&2; exit 1; }

base_file="" base_line="" base_dir=""
# The manifest is read on fd 3 so that nothing run in the loop can eat it.
while IFS=$'\t' read -r -u 3 k file line kind; do
  label="$file:$line ($kind block)"
  # Formatted through stdin so that the diff names the page, not a copy.
  # A block that does not parse is left to validate, which says why.
  formatted=1
  if "$terraform" fmt -no-color - <"$work/md/$k.tf" >"$work/md/$k.fmt" 2>/dev/null &&
    ! out=$(diff -u --label "$file:$line" --label "terraform fmt" "$work/md/$k.tf" "$work/md/$k.fmt"); then
    printf 'FAIL  %s: not formatted as terraform fmt wants\n%s\n' "$label" "$out" >&2
    formatted=0
  fi
  dir="$work/md/$k"
  mkdir -p "$dir"
  if [ "$kind" = complete ]; then
    cp "$work/md/$k.tf" "$dir/main.tf"
    base_file=$file base_line=$line base_dir=$dir
    main_tf="$file:$line" fragment_tf=""
  elif [ "$base_file" = "$file" ]; then
    cp "$base_dir/main.tf" "$dir/main.tf"
    # A fragment of list blocks is a query file.
    fragment=fragment.tf
    if grep -Eqs '^[[:space:]]*list[[:space:]]+"' "$work/md/$k.tf"; then fragment=fragment.tfquery.hcl; fi
    cp "$work/md/$k.tf" "$dir/$fragment"
    main_tf="$file:$base_line" fragment_tf="$file:$line"
  else
    printf 'FAIL  %s: a fragment with no complete block above it in %s\n' "$label" "$file" >&2
    fail=1
    continue
  fi
  if main_tf=$main_tf fragment_tf=$fragment_tf check_config "$dir" "$label" && [ "$formatted" = 1 ]; then
    echo "ok    $label"
  else
    fail=1
  fi
done 3<"$work/md/manifest"

if [ "$fail" != 0 ]; then echo "examples check FAILED" >&2; exit 1; fi
echo "==> examples check OK ($n directories, $((checked - n)) blocks)"
