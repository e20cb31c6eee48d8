#!/usr/bin/env bash
# Runs the acceptance tests once per CLI the provider promises to work with
# and fails unless each CLI ran every test its version supports.
#
#   scripts/testacc-matrix.sh [go test flags]   e.g. -run TestAccProviderConfig
#   scripts/testacc-matrix.sh --build           only find or build the CLIs
#   scripts/testacc-matrix.sh --self-test       only the checks of the log parser
#
# TESTACC_CLIS lists the CLIs, by the names scripts/cli-path.sh builds (it
# honours TERRAFORM_1_5_7_PATH and the like), plus `terraform`, the terraform
# on PATH, which runs only when its version is none of the others. Default:
#   terraform-1.5.7    the oldest supported release
#   terraform          usually a developer's newer one
#   terraform-1.14.9   resource identity, list resources and `terraform query`
#   opentofu-1.10.6    the oldest OpenTofu supported
#   opentofu-1.12.6    OpenTofu of late 2026
#
# Tests that need a newer CLI declare it with terraform-plugin-testing's
# tfversion checks (SkipBelow and friends), which skip with a fixed sentence
# ("Terraform CLI version 1.11.4 is below minimum version 1.12.0: skipping
# test"). Each skip is read back from the `go test -v` log and held against
# the CLI's own version: a version skip the CLI did not warrant, a skip for
# any other reason (TF_ACC unset, a t.Skip in a test), a failure, or a run
# that passed no test fails the matrix. The parser checks itself on sample
# logs before every run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CHECKPOINT_DISABLE=1

# parse_log reads `go test -v` output and prints one tab-separated record per
# finished test: "PASS name", "FAIL name", or "SKIP name" followed by every
# line the test logged. Parallel tests interleave, so log lines belong to the
# test the latest "=== RUN/PAUSE/CONT/NAME" header named, as go test -json
# attributes them; a multi-line message continues on deeper-indented lines.
parse_log() {
  awk '
    /^=== (RUN|PAUSE|CONT|NAME) / { cur = $0; sub(/^=== [A-Z]+ +/, "", cur); inlog = 0; next }
    /^ *--- (PASS|FAIL|SKIP): / {
      line = $0; sub(/^ *--- /, "", line)
      status = substr(line, 1, 4)
      name = line; sub(/^[A-Z]+: /, "", name); sub(/ \([0-9.]+s\)$/, "", name)
      rec = status "\t" name
      if (status == "SKIP") rec = rec logs[name]
      print rec
      delete logs[name]
      inlog = 0
      next
    }
    /^ +[^ ]+\.go:[0-9]+: / {
      text = $0; sub(/^ +[^ ]+\.go:[0-9]+: /, "", text)
      logs[cur] = logs[cur] "\t" text; inlog = 1; next
    }
    inlog && /^        / { text = $0; sub(/^ +/, "", text); logs[cur] = logs[cur] "\t" text; next }
    { inlog = 0 }
  '
}

# vcmp A B prints -1, 0 or 1 as semantic version A is below, equal to or above
# B (build metadata ignored; a release is above its prereleases).
vcmp() {
  local a=${1%%+*} b=${2%%+*} ap='' bp='' i x y
  [[ $a == *-* ]] && ap=${a#*-}
  [[ $b == *-* ]] && bp=${b#*-}
  local -a ac bc
  IFS=. read -r -a ac <<<"${a%%-*}"
  IFS=. read -r -a bc <<<"${b%%-*}"
  for i in 0 1 2; do
    x=$((10#${ac[i]:-0})) y=$((10#${bc[i]:-0}))
    if ((x < y)); then echo -1; return; fi
    if ((x > y)); then echo 1; return; fi
  done
  if [ "$ap" = "$bp" ]; then echo 0
  elif [ -z "$ap" ]; then echo 1
  elif [ -z "$bp" ]; then echo -1
  elif [ "$(printf '%s\n%s\n' "$ap" "$bp" | sort -V | head -n 1)" = "$ap" ]; then echo -1
  else echo 1
  fi
}

# tfversion compares the CLI's version without its prerelease part unless the
# bound itself is a prerelease; so do we.
against() { if [[ $2 == *-* ]]; then vcmp "$1" "$2"; else vcmp "${1%%-*}" "$2"; fi; }

# version_skip CLI_VERSION SENTENCE succeeds when SENTENCE is one of tfversion's
# skip messages (terraform-plugin-testing v1.16.0) and CLI_VERSION warrants
# it, and prints the reason either way.
version_skip() {
  local v=$1 s=$2 named='' ok='' pre=''
  [[ $v == *-* ]] && pre=${v#*-}
  local re_below='^Terraform CLI version ([^ ]+) is below minimum version ([^ ]+): skipping test$'
  local re_above='^Terraform CLI version ([^ ]+) is above maximum version ([^ ]+): skipping test$'
  local re_between='^Terraform CLI version ([^ ]+) is between ([^ ]+) and ([^ ]+): skipping test\.$'
  local re_if='^Terraform CLI version is ([^ ]+): skipping test\.$'
  local re_alpha='^Terraform CLI version ([^ ]+) is not an alpha build: skipping test\.$'
  local re_pre='^Terraform CLI version ([^ ]+) is not a prerelease build: skipping test\.$'
  if [[ $s =~ $re_below ]]; then
    named=${BASH_REMATCH[1]}
    [ "$(against "$v" "${BASH_REMATCH[2]}")" = -1 ] && ok="below ${BASH_REMATCH[2]}"
  elif [[ $s =~ $re_above ]]; then
    named=${BASH_REMATCH[1]}
    [ "$(against "$v" "${BASH_REMATCH[2]}")" = 1 ] && ok="above ${BASH_REMATCH[2]}"
  elif [[ $s =~ $re_between ]]; then
    named=${BASH_REMATCH[1]}
    [ "$(against "$v" "${BASH_REMATCH[2]}")" != -1 ] && [ "$(against "$v" "${BASH_REMATCH[3]}")" = -1 ] &&
      ok="between ${BASH_REMATCH[2]} and ${BASH_REMATCH[3]}"
  elif [[ $s =~ $re_if ]]; then
    named=$v
    [ "$(against "$v" "${BASH_REMATCH[1]}")" = 0 ] && ok="is ${BASH_REMATCH[1]}"
  elif [[ $s =~ $re_alpha ]]; then
    named=${BASH_REMATCH[1]}
    [[ $pre != *alpha* ]] && ok="not an alpha"
  elif [[ $s =~ $re_pre ]]; then
    named=${BASH_REMATCH[1]}
    [ -z "$pre" ] && ok="not a prerelease"
  else
    echo "not a version check: $s"
    return 1
  fi
  if [ "$named" != "$v" ]; then
    echo "the skip names version $named, the CLI is $v: $s"
    return 1
  fi
  if [ -z "$ok" ]; then
    echo "version $v supports the test: $s"
    return 1
  fi
  echo "$ok"
}

# skip_verdict CLI_VERSION LOGLINE... succeeds when the test's skip was
# tfversion's and every sentence of it (tfversion.Any joins one per check)
# holds for the CLI; prints the reason either way.
skip_verdict() {
  local v=$1 line why reasons=''
  shift
  for line in "$@"; do
    [[ $line == 'Terraform CLI version '* ]] || continue
    why=$(version_skip "$v" "$line") || { echo "$why"; return 1; }
    reasons+="${reasons:+; }$why"
  done
  if [ -z "$reasons" ]; then
    line='(no message)'
    [ $# = 0 ] || line=${!#}
    echo "skipped for another reason than the CLI version: $line"
    return 1
  fi
  echo "$reasons"
}

# summarize CLI_VERSION < log prints "passed skipped" on its first line, then
# one line per version skip ("  name: reason") and per offence ("! ...").
# It fails when any test failed, skipped without cause or none passed.
summarize() {
  local v=$1 status name passed=0 skipped=0 bad=0 why
  local -a f
  while IFS=$'\t' read -r -a f; do
    status=${f[0]} name=${f[1]}
    case $status in
      PASS) passed=$((passed + 1)) ;;
      FAIL) bad=$((bad + 1)); echo "! $name failed" ;;
      SKIP)
        if why=$(skip_verdict "$v" "${f[@]:2}"); then
          skipped=$((skipped + 1)); echo "  $name: $why"
        else
          bad=$((bad + 1)); echo "! $name: $why"
        fi ;;
    esac
  done < <(parse_log)
  if [ "$passed" = 0 ]; then bad=$((bad + 1)); echo "! no test passed"; fi
  echo "= $passed $skipped"
  [ "$bad" = 0 ]
}

self_test() {
  local out rc=0
  # The shapes go test -v prints: a subtest, parallel tests whose lines
  # interleave under === NAME headers, a tfversion.Any message over two
  # lines followed by a cleanup's log line.
  local log='=== RUN   TestAccOld
--- PASS: TestAccOld (1.20s)
=== RUN   TestAccIdentity
    tfversion_checks.go:27: Terraform CLI version 1.11.4 is below minimum version 1.12.0: skipping test
--- SKIP: TestAccIdentity (0.31s)
=== RUN   TestAccList
=== PAUSE TestAccList
=== RUN   TestAccEnv
=== PAUSE TestAccEnv
=== RUN   TestAccGroup
=== RUN   TestAccGroup/query
    tfversion_checks.go:27: Terraform CLI version is 1.11.4: skipping test.
--- PASS: TestAccGroup (0.00s)
    --- SKIP: TestAccGroup/query (0.00s)
=== CONT  TestAccList
=== CONT  TestAccEnv
    env_test.go:4: preparing
=== NAME  TestAccList
    tfversion_checks.go:27: Terraform CLI version 1.11.4 is below minimum version 1.14.0: skipping test
        Terraform CLI version 1.11.4 is between 1.9.0 and 1.12.0: skipping test.
    server.go:88: cleanup
--- SKIP: TestAccList (0.05s)
=== NAME  TestAccEnv
    testing.go:971: Acceptance tests skipped unless env '"'"'TF_ACC'"'"' set
--- SKIP: TestAccEnv (0.10s)
=== RUN   TestAccBroken
    resource_test.go:9: Step 1/2 error: boom
--- FAIL: TestAccBroken (0.40s)
FAIL'
  local want='  TestAccIdentity: below 1.12.0
  TestAccGroup/query: is 1.11.4
  TestAccList: below 1.14.0; between 1.9.0 and 1.12.0
! TestAccEnv: skipped for another reason than the CLI version: Acceptance tests skipped unless env '"'"'TF_ACC'"'"' set
! TestAccBroken failed
= 2 3'
  if out=$(summarize 1.11.4 <<<"$log"); then
    echo "self-test: a log with a failure and a TF_ACC skip passed" >&2; rc=1
  fi
  if [ "$out" != "$want" ]; then
    printf 'self-test: summary of the sample log\n--- got\n%s\n--- want\n%s\n' "$out" "$want" >&2; rc=1
  fi

  # One verdict per line: CLI version, expected exit status, sentence.
  local v want_rc s got_rc
  while IFS='|' read -r v want_rc s; do
    if version_skip "$v" "$s" >/dev/null; then got_rc=0; else got_rc=1; fi
    if [ "$got_rc" != "$want_rc" ]; then
      echo "self-test: version_skip $v '$s' gave $got_rc, want $want_rc" >&2; rc=1
    fi
  done <<'EOF'
1.5.7|0|Terraform CLI version 1.5.7 is below minimum version 1.12.0: skipping test
1.12.6|0|Terraform CLI version 1.12.6 is below minimum version 1.14.0: skipping test
1.14.9|1|Terraform CLI version 1.14.9 is below minimum version 1.14.0: skipping test
1.14.0|1|Terraform CLI version 1.14.0 is below minimum version 1.14.0: skipping test
1.14.9|1|Terraform CLI version 1.11.4 is below minimum version 1.12.0: skipping test
1.14.0-rc1|1|Terraform CLI version 1.14.0-rc1 is below minimum version 1.14.0: skipping test
1.14.0-rc1|0|Terraform CLI version 1.14.0-rc1 is below minimum version 1.14.0-rc2: skipping test
1.10.10|1|Terraform CLI version 1.10.10 is below minimum version 1.10.9: skipping test
1.14.9|0|Terraform CLI version 1.14.9 is above maximum version 1.13.0: skipping test
1.13.0|1|Terraform CLI version 1.13.0 is above maximum version 1.13.0: skipping test
1.14.0|0|Terraform CLI version 1.14.0 is above maximum version 1.14.0-beta1: skipping test
1.12.6|0|Terraform CLI version 1.12.6 is between 1.12.0 and 1.13.0: skipping test.
1.13.0|1|Terraform CLI version 1.13.0 is between 1.12.0 and 1.13.0: skipping test.
1.11.4|1|Terraform CLI version 1.11.4 is between 1.12.0 and 1.13.0: skipping test.
1.5.7|0|Terraform CLI version is 1.5.7: skipping test.
1.5.7|1|Terraform CLI version is 1.5.8: skipping test.
1.14.9|0|Terraform CLI version 1.14.9 is not an alpha build: skipping test.
1.15.0-alpha20260101|1|Terraform CLI version 1.15.0-alpha20260101 is not an alpha build: skipping test.
1.14.9|0|Terraform CLI version 1.14.9 is not a prerelease build: skipping test.
1.15.0-rc1|1|Terraform CLI version 1.15.0-rc1 is not a prerelease build: skipping test.
1.14.9|1|OpenTofu does not support list resources: skipping test
1.14.9|1|Terraform CLI version 1.14.9 is below minimum version 1.15.0: skipping test.
EOF
  return "$rc"
}

build_only=''
case ${1:-} in
  --self-test) self_test && echo "testacc-matrix.sh self-test: ok"; exit ;;
  --build) build_only=1; shift ;;
esac
self_test || { echo "testacc-matrix.sh: the log parser fails its self-test" >&2; exit 1; }

# The first line of `version`: "Terraform v1.14.9" or "OpenTofu v1.12.6".
# Captured whole before matching: a pipe into head could close early and,
# under pipefail, fail at random.
cli_id() {
  local out
  out=$("$1" version 2>/dev/null) || return 1
  out=${out%%$'\n'*}
  [[ $out =~ ^(Terraform|OpenTofu)\ v([^ ]+)$ ]] || return 1
  echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# OpenTofu warns on stdout about a TF_CLI_CONFIG_FILE that does not exist, and
# terraform-plugin-testing then cannot parse its version; an empty file of our
# own keeps the caller's configuration (and its provider mirrors) out as well.
: >"$logs/empty.tfrc"
export TF_CLI_CONFIG_FILE="$logs/empty.tfrc"

read -r -a names <<<"${TESTACC_CLIS:-terraform-1.5.7 terraform terraform-1.14.9 opentofu-1.10.6 opentofu-1.12.6}"

# Resolve (and build) every CLI before running any test, so a missing one is
# known early. Each entry: name|path|product|version, in TESTACC_CLIS order.
declare -A found=()
rows=()
failed=0
for name in "${names[@]}"; do
  [ "$name" = terraform ] && continue
  t0=$SECONDS
  if path=$(scripts/cli-path.sh "$name") && id=$(cli_id "$path"); then
    found[$name]="$name|$path|${id% *}|${id#* }"
    echo "$name: $path (ready in $((SECONDS - t0))s)"
  else
    rows+=("$name|?|-|-|FAIL: scripts/cli-path.sh $name gave no working CLI")
    failed=1
  fi
done
clis=()
for name in "${names[@]}"; do
  if [ "$name" != terraform ]; then
    [ -z "${found[$name]:-}" ] || clis+=("${found[$name]}")
    continue
  fi
  if ! path=$(command -v terraform 2>/dev/null) || ! id=$(cli_id "$path"); then
    rows+=("terraform (PATH)|-|-|-|not run: no terraform on PATH")
    continue
  fi
  dup=''
  for entry in "${found[@]}"; do
    [ "${entry#*|*|}" = "${id% *}|${id#* }" ] && dup=1
  done
  if [ -n "$dup" ]; then
    echo "terraform on PATH ($path) is v${id#* }, already in the matrix"
  else
    clis+=("terraform (PATH)|$path|${id% *}|${id#* }")
    echo "terraform (PATH): $path"
  fi
done

if [ -n "$build_only" ]; then
  [ "$failed" = 0 ] || printf '%s\n' "${rows[@]##*|}" >&2
  exit "$failed"
fi

i=0
for entry in "${clis[@]}"; do
  IFS='|' read -r name path product version <<<"$entry"
  i=$((i + 1))
  log="$logs/$i.log"
  echo "==> acceptance tests with $product v$version ($name: $path)"
  # OpenTofu's users resolve the provider on its own registry, so the tests
  # address it there (terraform-plugin-testing's TF_ACC_PROVIDER_HOST);
  # Terraform runs get the default whatever the caller's environment says.
  host=''
  [ "$product" = OpenTofu ] && host=registry.opentofu.org
  t0=$SECONDS
  rc=0
  env -u TF_ACC_PROVIDER_HOST TF_ACC=1 TF_ACC_TERRAFORM_PATH="$path" ${host:+TF_ACC_PROVIDER_HOST="$host"} \
    go test -count=1 -timeout 10m -v -run '^TestAcc' "$@" ./internal/provider/... >"$log" 2>&1 || rc=$?
  secs=$((SECONDS - t0))
  if report=$(summarize "$version" <"$log") && [ "$rc" = 0 ]; then
    result=ok
  else
    result=FAIL
    [ "$rc" = 0 ] || result="FAIL (go test exit $rc)"
    failed=1
    echo "---- last 60 lines of the log" >&2
    tail -n 60 "$log" >&2
  fi
  grep -v '^= ' <<<"$report" || true
  counts=$(grep '^= ' <<<"$report")
  read -r _ passed skipped <<<"$counts"
  rows+=("$name|$version|$passed|$skipped|$result, ${secs}s")
done

echo
fmt='%-17s | %-8s | %6s | %17s | %s\n'
# shellcheck disable=SC2059
printf "$fmt" CLI version passed 'skipped (version)' result
# shellcheck disable=SC2059
printf "$fmt" ----------------- -------- ------ ----------------- ------
for r in "${rows[@]}"; do
  IFS='|' read -r name version passed skipped result <<<"$r"
  # shellcheck disable=SC2059
  printf "$fmt" "$name" "$version" "$passed" "$skipped" "$result"
done
exit "$failed"
