#!/usr/bin/env bash
# Time per extra file when signing a batch: `sigstore sign` of 1 file and of N+1 files against the local Sigstore
# instance (one token, one key, one certificate per call), median of R rounds each.
#   benchmarks/sign-batch.sh [N=20] [R=5]
set -euo pipefail
n=${1:-20}; rounds=${2:-5}
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/sigstorebuild-signbench.XXXXXX")"
dotnet build "$repo/src/SigstoreBuild.LocalStack" -c Release -v quiet -nologo >/dev/null
dotnet build "$repo/src/SigstoreBuild.Cli" -c Release -v quiet -nologo >/dev/null
: >"$work/instance.log"
dotnet "$repo/src/SigstoreBuild.LocalStack/bin/Release/net10.0/SigstoreBuild.LocalStack.dll" --port 0 --data-dir "$work/instance" >"$work/instance.log" 2>&1 &
pid=$!; trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do base=$(sed -n 's/^SigstoreBuild.LocalStack listening on //p' "$work/instance.log" | head -n 1); [ -n "$base" ] && break; sleep 0.1; done
export GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push ACTIONS_ID_TOKEN_REQUEST_TOKEN=bench
export ACTIONS_ID_TOKEN_REQUEST_URL="$base/token?preset=github-actions&format=json&sub=repo:octo-org/bench:ref:refs/heads/main"
for i in $(seq 0 "$n"); do head -c 4096 /dev/urandom >"$work/f$i.bin"; done
sign() { dotnet "$repo/src/SigstoreBuild.Cli/bin/Release/net10.0/sigstore.dll" sign "$@" --oidc-provider github \
  --trusted-root "$work/instance/trusted_root.json" --signing-config "$work/instance/signing_config.json" >/dev/null; }
time_ms() { local s e; s=$(date +%s%N); "$@"; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
one=(); many=()
for _ in $(seq "$rounds"); do
  one+=("$(time_ms sign "$work/f0.bin")")
  many+=("$(time_ms sign "$work"/f*.bin)")
done
m1=$(printf '%s\n' "${one[@]}" | median); mn=$(printf '%s\n' "${many[@]}" | median)
echo; echo "sign 1 file: ${m1} ms; sign $((n + 1)) files: ${mn} ms; per extra file: $(( (mn - m1) / n )) ms (medians of $rounds)"
