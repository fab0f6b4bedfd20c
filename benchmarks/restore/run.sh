#!/usr/bin/env bash
# Restore verification benchmark with real Sigstore bundles. N packages in a local folder feed, each signed through an
# in-process local Sigstore instance (one signing session: one key, one Fulcio certificate, N Rekor entries and
# timestamps), consumed by one project whose policy requires that signer. Same run, R rounds, medians of:
#   off    verification off
#   cold   enforce with obj/sigstore removed: every .nupkg hashed, every extracted file compared, every bundle verified
#   warm   enforce, nothing changed (the incremental target is skipped)
#   cache  enforce with the stamp removed but the verification cache kept (the task runs, the cache answers)
# plus, from MSBuild's performance summary, the time of our targets (incl. the up-to-date check) and of the task.
# "+wall" = median - median(off): on a loaded machine it is noisy; "targets" is what the verification itself adds.
#   url    enforce with a published revocation source (a signed document on a loopback URL): the target runs on every
#          build (no stamp), the verification cache and the cached document answer; "url-first" is the build that
#          follows naming it (a new policy hash: every package verified again, the document fetched once)
# LOCATION: where the bundles are, embedded in each .nupkg (what dotnet pack writes by default) or sidecar files.
# Usage: benchmarks/restore/run.sh [N=200] [R=5] [LOCATION=embedded|sidecar]
# SSB_TASKS_VARIANTS="LABEL=DIR ..." times several builds of the task closure in the same rounds (interleaved: one of
# each per round), e.g. il=src/SigstoreBuild.Tasks/bin/Release/net10.0 r2r=src/SigstoreBuild.Tasks/obj/Release/net10.0/readytorun;
# a line per variant. Default: one variant, SSB_TASKS_DIR or the Release build of src/SigstoreBuild.Tasks.
set -euo pipefail
N=${1:-200}
R=${2:-5}
LOCATION=${3:-embedded}
repo=$(cd "$(dirname "$0")/../.." && pwd)
# SSB_RESTORE_WORK=DIR keeps the feed, consumer and trusted root there (for profiling); default: a temp dir, removed.
if [ -n "${SSB_RESTORE_WORK:-}" ]; then work=$SSB_RESTORE_WORK; rm -rf "$work"; mkdir -p "$work"; else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
dotnet build "$repo/src/SigstoreBuild.Tasks" -c Release -v:q -nologo >"$work/build.log" || { cat "$work/build.log"; exit 1; }
dotnet build "$repo/benchmarks/restore/SigstoreBuild.Restore.Benchmarks" -c Release -v:q -nologo >"$work/build.log" || { cat "$work/build.log"; exit 1; }
# SSB_TASKS_DIR=DIR loads the task from DIR instead (e.g. obj/Release/net10.0/readytorun, the closure as packed).
variants=(${SSB_TASKS_VARIANTS:-tasks=${SSB_TASKS_DIR:-$repo/src/SigstoreBuild.Tasks/bin/Release/net10.0}})
for v in "${variants[@]}"; do
  [ -f "${v#*=}/SigstoreBuild.Tasks.dll" ] || { echo "no SigstoreBuild.Tasks.dll in ${v#*=} (variant ${v%%=*})" >&2; exit 1; }
done
tasks="${variants[0]#*=}/SigstoreBuild.Tasks.dll"
signer="$repo/benchmarks/restore/SigstoreBuild.Restore.Benchmarks/bin/Release/net10.0/SigstoreBuild.Restore.Benchmarks.dll"
mkdir -p "$work/feed" "$work/app"
python3 - "$work/feed" "$N" <<'PY'
import sys, zipfile
feed, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    pid = f"Bench.Pkg{i:03d}"
    with zipfile.ZipFile(f"{feed}/{pid}.1.0.0.nupkg", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{pid}.nuspec", f'<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>{pid}</id><version>1.0.0</version><authors>b</authors><description>b</description></metadata></package>')
        z.writestr("lib/netstandard2.0/_._", "")
        z.writestr(f"build/{pid}.props", "<Project />")
        z.writestr("content/data.bin", bytes(i % 251 for i in range(20000)))
PY
subject="bench@example.com"
mkdir -p "$work/site"
echo '{"issued": "2026-01-01T00:00:00Z", "revocations": [{"digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000"}]}' >"$work/site/revocations.json"
issuer=$(dotnet "$signer" sign-feed "$work/feed" "$work/trusted_root.json" "$subject" "$LOCATION" "$work/site/revocations.json")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/site" >"$work/http.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; [ -n "${SSB_RESTORE_WORK:-}" ] || rm -rf "$work"' EXIT
revocation_url="http://127.0.0.1:$port/revocations.json"
cat > "$work/app/nuget.config" <<XML
<configuration><packageSources><clear /><add key="local" value="$work/feed" /></packageSources>
<config><add key="globalPackagesFolder" value="$work/gpf" /></config></configuration>
XML
cat > "$work/app/Directory.Build.targets" <<XML
<Project><PropertyGroup><_SigstoreRestoreTasksAssembly>$tasks</_SigstoreRestoreTasksAssembly></PropertyGroup>
<Import Project="$repo/src/SigstoreBuild.Tasks/build/SigstoreBuild.Restore.targets" /></Project>
XML
refs=$(for i in $(seq 0 $((N-1))); do printf '<PackageReference Include="Bench.Pkg%03d" Version="1.0.0" />' "$i"; done)
cat > "$work/app/App.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net10.0</TargetFramework>
<SigstoreVerifyPackagesRehash>false</SigstoreVerifyPackagesRehash><SigstoreTrustedRootPath>$work/trusted_root.json</SigstoreTrustedRootPath></PropertyGroup>
<ItemGroup>$refs<SigstoreTrustedIdentity Include="Bench.%2A" Issuer="$issuer" Subject="$subject" />
<SigstoreRevocations Include="\$(BenchRevocationUrl)" Condition="'\$(BenchRevocationUrl)' != ''" /></ItemGroup></Project>
XML
cd "$work/app"
export NUGET_PACKAGES="$work/gpf" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
# One build: wall ms and the task's own ms (0 when the target was skipped), as "wall task".
build() {
  local start end log task
  log="$work/build.log"
  start=$(date +%s%N)
  dotnet build -nologo -v:q -nodeReuse:false -p:UseSharedCompilation=false -tl:off --no-restore -clp:PerformanceSummary "$@" >"$log" || { cat "$log"; exit 1; }
  end=$(date +%s%N)
  task=$(awk '/Task Performance Summary/{t=1} t && / SigstoreVerifyPackages /{print $1; exit}' "$log")
  # Our targets' own time, skipped or not (the up-to-date check included): immune to the machine's load.
  targets=$(awk '/Target Performance Summary/{t=1} /Task Performance Summary/{t=0} t && /_SigstoreVerify/{s+=$1} END {print int(s)}' "$log")
  echo "$(( (end - start) / 1000000 )) ${task:-0} ${targets:-0}"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }
dotnet restore -nologo -v:q >/dev/null
build -p:SigstoreVerifyPackages=off >/dev/null   # warm up the SDK and compile once
: >"$work/off"
for v in "${variants[@]}"; do : >"$work/cold.${v%%=*}"; : >"$work/warm.${v%%=*}"; : >"$work/cache.${v%%=*}"; : >"$work/url-first.${v%%=*}"; : >"$work/url.${v%%=*}"; done
for _ in $(seq "$R"); do
  build -p:SigstoreVerifyPackages=off >>"$work/off"
  for v in "${variants[@]}"; do
    label=${v%%=*}; with=(-p:_SigstoreRestoreTasksAssembly="${v#*=}/SigstoreBuild.Tasks.dll" -p:SigstoreVerifyPackages=enforce)
    rm -rf obj/sigstore
    build "${with[@]}" >>"$work/cold.$label"
    build "${with[@]}" >>"$work/warm.$label"
    rm -f obj/sigstore/verified.stamp
    build "${with[@]}" >>"$work/cache.$label"
    build "${with[@]}" -p:BenchRevocationUrl="$revocation_url" >>"$work/url-first.$label"
    build "${with[@]}" -p:BenchRevocationUrl="$revocation_url" >>"$work/url.$label"
  done
done
summary=$(python3 -c "import json;d=json.load(open('obj/sigstore/verify-packages.json'));print(d['summary'])")
off=$(cut -d' ' -f1 "$work/off" | median)
line() { local wall task targets; wall=$(cut -d' ' -f1 "$work/$1.$2" | median); task=$(cut -d' ' -f2 "$work/$1.$2" | median); targets=$(cut -d' ' -f3 "$work/$1.$2" | median); echo "$1=${wall}ms (+$((wall - off))ms wall, targets ${targets}ms, task ${task}ms)"; }
for v in "${variants[@]}"; do
  label=${v%%=*}
  echo "tasks=$label bundles=$LOCATION packages=$N rounds=$R cores=$(nproc) off=${off}ms $(line cold "$label") $(line warm "$label") $(line cache "$label") $(line url-first "$label") $(line url "$label") report=$summary"
done
# SSB_RESTORE_PROFILE=1: the same verification in-process, three rounds without cache, and its phases.
if [ "${SSB_RESTORE_PROFILE:-}" = 1 ]; then dotnet "$signer" profile "$work/app/obj/project.assets.json" "$work/trusted_root.json" "$issuer" "$subject"; fi
