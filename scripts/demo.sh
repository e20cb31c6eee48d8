#!/usr/bin/env bash
# Runs `terraform apply` on examples/demo against the recorded server: builds
# the provider, starts the server on a free port with the cassette recorded
# from the API reference's example, points Terraform at the build through
# dev_overrides, prints the sharing's attributes, and stops the server.
set -euo pipefail
terraform=${1:?usage: demo.sh TERRAFORM}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "==> building the provider"
go build -o "$work/bin/terraform-provider-vbs" "$root"
go build -o "$work/recorded-server" "$root/internal/recorded/cmd/recorded-server"

echo "==> starting the recorded server (testdata/cassettes/sharing_full.yaml)"
"$work/recorded-server" -cassette "$root/testdata/cassettes/sharing_full.yaml" -port-file "$work/url" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || { cat "$work/server.log" >&2; echo "the recorded server did not start" >&2; exit 1; }
url=$(cat "$work/url")

cat >"$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/vbs-tf/vbs" = "$work/bin"
  }
  direct {}
}
RC
cp "$root/examples/demo/main.tf" "$work/"

# The user, domain and project the cassette was recorded with; the recorded
# server accepts any password, and the cassette holds none.
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1
export OS_AUTH_URL="$url/v3" OS_USERNAME=tf-recorder OS_PASSWORD=demo-password \
  OS_DOMAIN_NAME=OTC00000000001000000042 OS_PROJECT_ID=ffffffffffffffffffffffffffff0000 OS_REGION_NAME=eu-de
unset OS_TOKEN OS_AUTH_TOKEN OS_USER_ID OS_PROJECT_NAME OS_DOMAIN_ID OS_USER_DOMAIN_ID OS_CLOUD

echo "==> terraform apply (examples/demo) with $("$terraform" version | head -n1)"
if ! (cd "$work" && "$terraform" apply -auto-approve -input=false -no-color >"$work/apply.log" 2>&1); then
  cat "$work/apply.log" >&2
  echo "terraform apply failed; recorded server log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
grep -E 'Reading|Read complete|Apply complete' "$work/apply.log"
echo "==> the sharing, as Terraform sees it"
(cd "$work" && "$terraform" output -no-color sharing)

# The server exits non-zero when any request matched no recorded interaction.
kill -TERM "$server_pid"
if ! wait "$server_pid"; then
  cat "$work/server.log" >&2
  echo "the recorded server saw requests it had no recording for" >&2
  exit 1
fi
server_pid=""
echo "==> recorded server stopped; every request matched a recorded interaction"
