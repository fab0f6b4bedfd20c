#!/usr/bin/env bash
# Pack benchmark: `dotnet pack` of a generated solution of N small libraries that reference the SigstoreBuild package
# (packed from this repository into a local folder feed), against the local Sigstore instance on 127.0.0.1.
# Per round, in the same run: unsigned (SigstoreSign=false), signed with the provenance only (SigstoreSbom=false), signed
# (provenance and SBOM embedded in each .nupkg, as by default), all writing every package anew, and incremental (nothing changed, the signed packages up to date). Prints the
# medians, the added time, and the Fulcio requests of a signed run = distinct signing certificates across its bundles, with the default -m, -m:1 and -m:4, and
# with -m:4 and SigstoreShareSigningSession=false (one session per node process).
# Usage: benchmarks/pack/run.sh [PROJECTS=10] [ROUNDS=5]. Needs the .NET SDK and python3.
# SSB_TASKS_PACK_ARGS: more arguments for packing the SigstoreBuild package (e.g. -p:SigstoreReadyToRunRuntime= for IL).
# SSB_PACK_VARIANTS="LABEL=ARGS ...": several SigstoreBuild packages (ARGS with commas for spaces), each used by its own
# copy of the solution, timed in the same rounds (interleaved), e.g. "r2r= il=-p:SigstoreReadyToRunRuntime=".
set -euo pipefail
N=${1:-10}
ROUNDS=${2:-5}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sigstorebuild-pack-bench.XXXXXX")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 NUGET_PACKAGES="$work/nuget-packages"

dotnet build "$repo/src/SigstoreBuild.LocalStack" -c Release -v quiet -nologo >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
stamp="$(date -u +%Y%m%d%H%M%S)"
variants=(${SSB_PACK_VARIANTS:-default=})
for v in "${variants[@]}"; do
  label=${v%%=*} args=${v#*=}
  # shellcheck disable=SC2086 # word splitting of the extra arguments is intended
  dotnet pack "$repo/src/SigstoreBuild.Tasks" -c Release -o "$work/feed" -p:Version="0.0.0-bench.$stamp.$label" -nodeReuse:false -v quiet -nologo \
    ${SSB_TASKS_PACK_ARGS:-} ${args//,/ } >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
done

: >"$work/instance.log"
dotnet "$repo/src/SigstoreBuild.LocalStack/bin/Release/net10.0/SigstoreBuild.LocalStack.dll" --port 0 --data-dir "$work/instance" >"$work/instance.log" 2>&1 &
instance_pid=$!
trap 'kill $instance_pid 2>/dev/null || true; rm -rf "$work"' EXIT
base=""
for _ in $(seq 1 100); do
  base=$(sed -n 's/^SigstoreBuild.LocalStack listening on //p' "$work/instance.log" | head -n 1)
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "the local instance did not start"; cat "$work/instance.log"; exit 1; }

# The solution: N libraries, each with PackageReference SigstoreBuild (one copy per variant).
for v in "${variants[@]}"; do
label=${v%%=*}
version="0.0.0-bench.$stamp.$label"
sln="$work/sln-$label"
mkdir -p "$sln"
cat >"$sln/nuget.config" <<XML
<configuration><packageSources><clear /><add key="local" value="$work/feed" /></packageSources></configuration>
XML
entries=""
for i in $(seq 1 "$N"); do
  mkdir -p "$sln/Lib$i"
  cat >"$sln/Lib$i/Lib$i.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><PackageId>Bench.Lib$i</PackageId><Version>1.0.0</Version>
    <Authors>Bench</Authors><Description>Benchmark library $i</Description></PropertyGroup>
  <ItemGroup><PackageReference Include="SigstoreBuild" Version="$version" PrivateAssets="all" /></ItemGroup>
</Project>
XML
  printf 'namespace Bench.Lib%s;\npublic static class C { public static int N => %s; }\n' "$i" "$i" >"$sln/Lib$i/C.cs"
  entries="$entries  <Project Path=\"Lib$i/Lib$i.csproj\" />"$'\n'
done
printf '<Solution>\n%s</Solution>\n' "$entries" >"$sln/Bench.slnx"
done

# A GitHub Actions-like identity: the signer fetches the token itself, just in time.
export GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push
export ACTIONS_ID_TOKEN_REQUEST_URL="$base/token?preset=github-actions&format=json&sub=repo:bench/bench:ref:refs/heads/main"
export ACTIONS_ID_TOKEN_REQUEST_TOKEN=bench-request-token
trust=(-p:SigstoreTrustedRootPath="$work/instance/trusted_root.json" -p:SigstoreSigningConfigPath="$work/instance/signing_config.json")

pack() { # prints milliseconds
  local start end
  start=$(date +%s%N)
  dotnet pack Bench.slnx -c Release -o out --no-restore -nodeReuse:false -nologo -v:q -tl:off "$@" >"$work/last.log" 2>&1 \
    || { cat "$work/last.log" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
# The bundles dotnet pack embedded (provenance and SBOM in each .nupkg): how many, and how many certificates.
embedded() { python3 - "$1" out/*.nupkg <<'PY'
import json, sys, zipfile
kind, certificates, bundles = sys.argv[1], set(), 0
for path in sys.argv[2:]:
    with zipfile.ZipFile(path) as package:
        for entry in (".sigstore/bundle.sigstore.json", ".sigstore/sbom.sigstore.json"):
            if entry in package.namelist():
                bundles += 1
                material = json.loads(package.read(entry))["verificationMaterial"]
                certificates.add(material["certificate"]["rawBytes"])
print(len(certificates) if kind == "certificates" else bundles)
PY
}
# Every measured pack writes its packages: remove them and the signed copies the targets keep for an unchanged re-pack.
fresh() { rm -f out/*.nupkg out/*.snupkg out/*.sigstore.json; rm -rf Lib*/obj/Release/sigstore; }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

for v in "${variants[@]}"; do
  cd "$work/sln-${v%%=*}"
  dotnet restore Bench.slnx -nologo -v:q >/dev/null
  pack -p:SigstoreSign=false >/dev/null   # warm-up: compile once, so every measured pack does the same (incremental) build
  : >"$work/unsigned.${v%%=*}"; : >"$work/nosbom.${v%%=*}"; : >"$work/signed.${v%%=*}"; : >"$work/incremental.${v%%=*}"
done
for _ in $(seq 1 "$ROUNDS"); do
  for v in "${variants[@]}"; do
    label=${v%%=*}
    cd "$work/sln-$label"
    fresh
    pack -p:SigstoreSign=false >>"$work/unsigned.$label"
    fresh
    pack -p:SigstoreRequireSigning=true -p:SigstoreSbom=false "${trust[@]}" >>"$work/nosbom.$label"
    fresh
    pack -p:SigstoreRequireSigning=true "${trust[@]}" >>"$work/signed.$label"
    pack -p:SigstoreRequireSigning=true "${trust[@]}" >>"$work/incremental.$label"
    grep -q 'Sigstore: signed' "$work/last.log" && { echo "incremental pack signed again" >&2; exit 1; }
  done
done
cd "$work/sln-${variants[0]%%=*}"
bundles=$(embedded bundles)
requests_m=$( fresh; pack -p:SigstoreRequireSigning=true "${trust[@]}" >/dev/null; embedded certificates )
requests_m1=$( fresh; pack -m:1 -p:SigstoreRequireSigning=true "${trust[@]}" >/dev/null; embedded certificates )
requests_m4=$( fresh; pack -m:4 -p:SigstoreRequireSigning=true "${trust[@]}" >/dev/null; embedded certificates )
requests_off=$( fresh; pack -m:4 -p:SigstoreRequireSigning=true -p:SigstoreShareSigningSession=false "${trust[@]}" >/dev/null; embedded certificates )

printf '\ndotnet pack of a %s-project solution, %s rounds, medians (ms), %s cores\n' "$N" "$ROUNDS" "$(nproc)"
printf '| %-44s | %8s | %8s |\n' "run" "median" "added"
printf '|%s|%s|%s|\n' "----------------------------------------------" "----------" "----------"
for v in "${variants[@]}"; do
  label=${v%%=*}
  u=$(median $(cat "$work/unsigned.$label")) p=$(median $(cat "$work/nosbom.$label")) s=$(median $(cat "$work/signed.$label")) i=$(median $(cat "$work/incremental.$label"))
  printf '| %-44s | %8s | %8s |\n' "$label: unsigned (SigstoreSign=false)" "$u" "-"
  printf '| %-44s | %8s | %8s |\n' "$label: signed, provenance only (SigstoreSbom=false)" "$p" "$(printf '%+d' $((p - u)))"
  printf '| %-44s | %8s | %8s |\n' "$label: signed ($bundles bundles)" "$s" "$(printf '%+d' $((s - u)))"
  printf '| %-44s | %8s | %8s |\n' "$label: incremental re-pack (up to date)" "$i" "$(printf '%+d' $((i - u)))"
  echo "$label runs (ms): unsigned $(tr '\n' ' ' <"$work/unsigned.$label")| provenance only $(tr '\n' ' ' <"$work/nosbom.$label")| signed $(tr '\n' ' ' <"$work/signed.$label")| incremental $(tr '\n' ' ' <"$work/incremental.$label")" >>"$work/runs"
done
printf '| %-44s | %8s | %8s |\n' "Fulcio requests, default -m" "$requests_m" ""
printf '| %-44s | %8s | %8s |\n' "Fulcio requests, -m:1" "$requests_m1" ""
printf '| %-44s | %8s | %8s |\n' "Fulcio requests, -m:4" "$requests_m4" ""
printf '| %-44s | %8s | %8s |\n' "Fulcio requests, -m:4, sharing off" "$requests_off" ""
for v in "${variants[@]}"; do
  f=$(ls "$work/feed"/SigstoreBuild."0.0.0-bench.$stamp.${v%%=*}".nupkg)
  printf '| %-44s | %5s KB | %8s |\n' "${v%%=*}: SigstoreBuild package size" "$(( $(stat -c %s "$f") / 1024 ))" ""
done
cat "$work/runs"
