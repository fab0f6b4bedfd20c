#!/usr/bin/env bash
# Restore verification benchmark: a consumer with N packages from a local folder feed, built with verification off,
# then enforce cold (empty cache, every .nupkg hashed and every extracted file compared) and enforce warm (incremental,
# and a forced re-run of the verification target). Prints wall times; the "added" cost is the difference to off.
# Usage: benchmarks/restore/run.sh [N=200]. Bundles are not signed here (needs the local Sigstore instance): the policy
# allows the packages unsigned, so this measures everything except the per-bundle cryptography.
set -euo pipefail
N=${1:-200}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build "$repo/src/SigstoreBuild.Tasks" -c Release -v:q -nologo >/dev/null
tasks="$repo/src/SigstoreBuild.Tasks/bin/Release/net10.0/SigstoreBuild.Tasks.dll"
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
<SigstoreVerifyPackagesRehash>false</SigstoreVerifyPackagesRehash></PropertyGroup>
<ItemGroup>$refs<SigstoreUnsignedAllowed Include="Bench.%2A" /></ItemGroup></Project>
XML
cd "$work/app"
build() { local start end; start=$(date +%s%N); dotnet build -nologo -v:q -nodeReuse:false --no-restore "$@" >/dev/null; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
dotnet restore -nologo -v:q >/dev/null
build -p:SigstoreVerifyPackages=off >/dev/null   # warm up compiler and SDK
off=$(build -p:SigstoreVerifyPackages=off)
rm -rf obj/sigstore
cold=$(build -p:SigstoreVerifyPackages=enforce)
warm=$(build -p:SigstoreVerifyPackages=enforce)
rerun=$(build -p:SigstoreVerifyPackages=enforce -p:SigstoreVerifyPackagesRehash=false -t:SigstoreVerifyPackages)
report=$(python3 -c "import json;d=json.load(open('obj/sigstore/verify-packages.json'));print(d['summary'])")
echo "packages=$N off=${off}ms enforce-cold=${cold}ms (+$((cold-off))ms) enforce-warm=${warm}ms (+$((warm-off))ms) standalone-rehash=${rerun}ms report=$report"
