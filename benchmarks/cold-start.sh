#!/usr/bin/env bash
# Cold start of the installed `sigstore` tool, as users get it from `dotnet tool install`: a fresh process verifying one
# conformance bundle, for the framework-dependent tool (SigstoreBuild.Cli.any), the Native AOT tool (SigstoreBuild.Cli,
# which installs this machine's native package) and sigstore-js; and `sigstore --version` against a bare Native AOT
# hello-world, the floor for any .NET process. Rounds are interleaved (one of each per round) and the table shows medians.
#   benchmarks/cold-start.sh [-n ROUNDS] [--case NAME] [--feed DIR --version V]
# --feed reuses tool packages already packed by build/pack-cli.sh; without it the script packs them (minutes: Native AOT).
# Needs clang or gcc (Native AOT on Linux) and Node.js (sigstore-js; `npm ci` runs in tests/interop when needed).
set -euo pipefail
n=21
case_name=happy-path-v0.3
feed=""
version=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=$2; shift 2 ;;
    --case) case_name=$2; shift 2 ;;
    --feed) feed=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    *) echo "usage: $0 [-n ROUNDS] [--case NAME] [--feed DIR --version V]" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "$0")/.." && pwd)"
conf="$repo/../shared/conformance"
out="${TMPDIR:-/tmp}/sigstorebuild-cold"
rm -rf "$out/tools-fd" "$out/tools-aot" "$out/hello" "$out"/*.us
mkdir -p "$out"
log="$out/setup.log"
: >"$log"
step() { echo "cold-start: $*" >&2; }
run() { "$@" >>"$log" 2>&1 || { echo "FAILED: $* (see $log)" >&2; tail -20 "$log" >&2; exit 1; }; }

if [ -z "$feed" ]; then
  feed="$out/feed"
  version="0.0.0-bench.$(date +%Y%m%d%H%M%S)"
  rm -rf "$feed"
  step "packing the tool packages into $feed (build/pack-cli.sh)"
  run "$repo/build/pack-cli.sh" -c Release -o "$feed" -p:Version="$version"
fi
[ -n "$version" ] || { echo "--feed needs --version" >&2; exit 2; }
step "installing SigstoreBuild.Cli.any (framework-dependent) and SigstoreBuild.Cli (native) $version"
rm -rf "$out/nuget-packages"   # the installs come from the feed, not from an earlier run's package cache
run env NUGET_PACKAGES="$out/nuget-packages" dotnet tool install --tool-path "$out/tools-fd" SigstoreBuild.Cli.any --add-source "$feed" --version "$version"
run env NUGET_PACKAGES="$out/nuget-packages" dotnet tool install --tool-path "$out/tools-aot" SigstoreBuild.Cli --add-source "$feed" --version "$version"
fd="$out/tools-fd/sigstore"
aot="$out/tools-aot/sigstore"
[ -f "$(dirname "$(readlink -f "$aot")")/sigstore.dll" ] && { echo "the installed SigstoreBuild.Cli is not native: $(readlink -f "$aot")" >&2; exit 1; }

step "publishing a bare Native AOT hello-world"
mkdir -p "$out/hello"
cat >"$out/hello/hello.csproj" <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <PublishAot>true</PublishAot>
    <InvariantGlobalization>true</InvariantGlobalization>
    <UseSystemResourceKeys>true</UseSystemResourceKeys>
  </PropertyGroup>
</Project>
XML
echo 'System.Console.WriteLine("hello");' >"$out/hello/Program.cs"
# Outside the repository, so its Directory.Build.* and central package versions do not apply.
run dotnet publish "$out/hello/hello.csproj" -c Release -o "$out/hello/publish" -nologo
hello="$out/hello/publish/hello"

[ -d "$repo/tests/interop/node_modules" ] || { step "npm ci in tests/interop"; (cd "$repo/tests/interop" && run npm ci --no-audit --no-fund --loglevel=error); }

bundle="$conf/cases/conformance/$case_name/bundle.sigstore.json"
root="$conf/cases/conformance/$case_name/trusted_root.json"; [ -f "$root" ] || root="$conf/trust/production.trusted_root.json"
id="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
iss="https://token.actions.githubusercontent.com"
artifact="$conf/cases/conformance/a.txt"
ours=(verify-bundle --bundle "$bundle" --certificate-identity "$id" --certificate-oidc-issuer "$iss" --trusted-root "$root" "$artifact")
js=(node "$repo/tests/interop/verify.mjs" --bundle "$bundle" --trusted-root "$root" --identity "$id" --issuer "$iss" "$artifact")
export DOTNET_ROOT="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"   # the framework-dependent launcher

# Wall time of one process in microseconds; a failure stops the benchmark (a fast failure is not a result).
time_us() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; exit 1; }; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] / 1000}'; }
step "$n interleaved rounds"
for _ in $(seq "$n"); do
  time_us "$fd" "${ours[@]}" >>"$out/fd.us"
  time_us "$aot" "${ours[@]}" >>"$out/aot.us"
  time_us "${js[@]}" >>"$out/js.us"
  time_us "$aot" --version >>"$out/aot-version.us"
  time_us "$aot" --help >>"$out/aot-help.us"
  time_us "$hello" >>"$out/hello.us"
done

js_ms=$(median "$out/js.us"); fd_ms=$(median "$out/fd.us"); aot_ms=$(median "$out/aot.us")
ver_ms=$(median "$out/aot-version.us"); help_ms=$(median "$out/aot-help.us"); hello_ms=$(median "$out/hello.us")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo "cold start, medians of $n interleaved rounds ($case_name, $(nproc) cores)"
printf '%-46s %10s %8s\n' "process" "median" "ratio"
printf '%-46s %7s ms %8s\n' "sigstore-js verify (node)" "$js_ms" "1.00"
printf '%-46s %7s ms %8s\n' "sigstore verify-bundle, framework-dependent" "$fd_ms" "$(ratio "$fd_ms" "$js_ms")"
printf '%-46s %7s ms %8s  (target <= 0.15 x sigstore-js)\n' "sigstore verify-bundle, Native AOT" "$aot_ms" "$(ratio "$aot_ms" "$js_ms")"
printf '%-46s %7s ms %8s\n' "bare Native AOT hello-world" "$hello_ms" "1.00"
printf '%-46s %7s ms %8s  (target <= 2 x hello-world)\n' "sigstore --version, Native AOT" "$ver_ms" "$(ratio "$ver_ms" "$hello_ms")"
# --version skips the command tree; --help builds all of it, as every verb does before it runs.
printf '%-46s %7s ms %8s\n' "sigstore --help, Native AOT (whole command tree)" "$help_ms" "$(ratio "$help_ms" "$hello_ms")"
pkg() { local f; f=$(ls "$feed"/"$1".[0-9]*.nupkg 2>/dev/null | head -1); [ -n "$f" ] && printf '%-46s %7s KB\n' "$1 package" "$(( $(stat -c %s "$f") / 1024 ))"; return 0; }
pkg SigstoreBuild.Cli; pkg SigstoreBuild.Cli.any; pkg "SigstoreBuild.Cli.$(basename "$(dirname "$(readlink -f "$aot")")")"
printf '%-46s %7s KB\n' "installed native executable" "$(( $(stat -c %s "$(readlink -f "$aot")") / 1024 ))"
