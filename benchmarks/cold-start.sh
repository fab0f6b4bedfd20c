#!/usr/bin/env bash
# Cold `verify-bundle` process time: SigstoreBuild (JIT, ReadyToRun and Native AOT) against sigstore-js, on the same conformance
# bundle, interleaved, median of N runs each.
#   benchmarks/cold-start.sh [N] [CASE]      (Native AOT needs clang: apt-get install clang)
set -euo pipefail
n=${1:-21}
case_name=${2:-happy-path-v0.3}
repo="$(cd "$(dirname "$0")/.." && pwd)"
conf="$repo/../shared/conformance"
out="${TMPDIR:-/tmp}/sigstorebuild-cold"
mkdir -p "$out"
dotnet build "$repo/src/SigstoreBuild.Cli" -c Release -v quiet -nologo >/dev/null
jit=("dotnet" "$repo/src/SigstoreBuild.Cli/bin/Release/net10.0/sigstore.dll")
dotnet publish "$repo/src/SigstoreBuild.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r" -v quiet -nologo >/dev/null
r2r=("$out/r2r/sigstore")
aot=()
if command -v clang >/dev/null 2>&1; then
  dotnet publish "$repo/src/SigstoreBuild.Cli" -c Release -r linux-x64 -p:PublishAot=true -o "$out/aot" -v quiet -nologo >/dev/null 2>&1 && aot=("$out/aot/sigstore")
fi
[ -d "$repo/tests/interop/node_modules" ] || (cd "$repo/tests/interop" && npm ci --no-audit --no-fund --loglevel=error)

bundle="$conf/cases/conformance/$case_name/bundle.sigstore.json"
root="$conf/cases/conformance/$case_name/trusted_root.json"; [ -f "$root" ] || root="$conf/trust/production.trusted_root.json"
id="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
iss="https://token.actions.githubusercontent.com"
artifact="$conf/cases/conformance/a.txt"
ours=(verify-bundle --bundle "$bundle" --certificate-identity "$id" --certificate-oidc-issuer "$iss" --trusted-root "$root" "$artifact")
js=(node "$repo/tests/interop/verify.mjs" --bundle "$bundle" --trusted-root "$root" --identity "$id" --issuer "$iss" "$artifact")

time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; exit 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: >"$out/jit.ms"; : >"$out/r2r.ms"; : >"$out/aot.ms"; : >"$out/js.ms"
for _ in $(seq "$n"); do
  time_ms "${jit[@]}" "${ours[@]}" >>"$out/jit.ms"
  time_ms "${r2r[@]}" "${ours[@]}" >>"$out/r2r.ms"
  [ ${#aot[@]} -gt 0 ] && time_ms "${aot[@]}" "${ours[@]}" >>"$out/aot.ms"
  time_ms "${js[@]}" >>"$out/js.ms"
done
js_ms=$(median <"$out/js.ms")
printf '%-28s %8s %8s\n' "cold verify-bundle ($case_name)" "median" "vs js"
printf '%-28s %6s ms %8s\n' "sigstore-js (node)" "$js_ms" "1.00"
for kind in jit r2r aot; do
  [ -s "$out/$kind.ms" ] || continue
  m=$(median <"$out/$kind.ms")
  printf '%-28s %6s ms %8s\n' "SigstoreBuild ($kind)" "$m" "$(awk -v a="$m" -v b="$js_ms" 'BEGIN{printf "%.2f", a/b}')"
done
