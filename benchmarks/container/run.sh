#!/usr/bin/env bash
# Container publish benchmark: `dotnet publish -t:PublishContainer` of a small console app that references the
# SigstoreBuild package (packed from this repository into a local folder feed), pushing to Debian's registry
# (docker-registry) on 127.0.0.1 on a one-layer base image pushed here, signing against the local Sigstore instance.
# Per round, in the same run: unsigned (SigstoreSign=false), signed without the SBOM (SigstoreSbom=false: the provenance
# statement over the pushed manifest, attached as a referrer through the sha256-<hex> tag fallback) and signed as by
# default (the provenance and the CycloneDX SBOM, two referrers). Every publish produces a new image (the SDK stamps the
# creation time), so every signed publish signs and attaches anew. Prints the medians and the added time.
# Usage: benchmarks/container/run.sh [ROUNDS=5]. Needs the .NET SDK, curl and /usr/bin/docker-registry.
set -euo pipefail
ROUNDS=${1:-5}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sigstorebuild-container-bench.XXXXXX")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 NUGET_PACKAGES="$work/nuget-packages"
command -v docker-registry >/dev/null || { echo "docker-registry is missing: apt-get install -y docker-registry" >&2; exit 1; }

dotnet build "$repo/src/SigstoreBuild.LocalStack" -c Release -v quiet -nologo >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
version="0.0.0-bench.$(date -u +%Y%m%d%H%M%S)"
dotnet pack "$repo/src/SigstoreBuild.Tasks" -c Release -o "$work/feed" -p:Version="$version" -nodeReuse:false -v quiet -nologo >"$work/setup.log" 2>&1 \
  || { cat "$work/setup.log"; exit 1; }

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
dotnet "$repo/src/SigstoreBuild.LocalStack/bin/Release/net10.0/SigstoreBuild.LocalStack.dll" --port 0 --data-dir "$work/instance" >"$work/instance.log" 2>&1 &
pids+=($!)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
registry="127.0.0.1:$port"
printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n' "$work/registry" "$registry" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
base=""
for _ in $(seq 1 100); do
  base=$(sed -n 's/^SigstoreBuild.LocalStack listening on //p' "$work/instance.log" | head -n 1)
  [ -n "$base" ] && curl -fs "http://$registry/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done
[ -n "$base" ] || { echo "the local instance did not start"; cat "$work/instance.log"; exit 1; }
curl -fs "http://$registry/v2/" >/dev/null || { echo "the registry did not start"; cat "$work/registry.log"; exit 1; }

# The base image: an OCI config and one small layer.
upload() { # FILE -> pushes it as a blob of repository base
  local digest location
  digest="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  location=$(curl -fsi -X POST "http://$registry/v2/base/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $location in http*) ;; *) location="http://$registry$location" ;; esac
  case $location in *\?*) location="$location&" ;; *) location="$location?" ;; esac
  curl -fs -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$1" "${location}digest=$digest" >/dev/null
}
mkdir -p "$work/rootfs/etc" && echo bench >"$work/rootfs/etc/motd"
tar -C "$work/rootfs" -cf "$work/layer.tar" . && gzip -kn "$work/layer.tar"
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$(sha256sum "$work/layer.tar" | cut -d' ' -f1)" >"$work/config.json"
upload "$work/config.json"; upload "$work/layer.tar.gz"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
  "$(sha256sum "$work/config.json" | cut -d' ' -f1)" "$(stat -c %s "$work/config.json")" "$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)" "$(stat -c %s "$work/layer.tar.gz")" >"$work/manifest.json"
curl -fs -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$work/manifest.json" "http://$registry/v2/base/manifests/1" >/dev/null

app="$work/app"
mkdir -p "$app"
cat >"$app/nuget.config" <<XML
<configuration><packageSources><clear /><add key="local" value="$work/feed" /></packageSources></configuration>
XML
cat >"$app/Bench.Container.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>false</SelfContained><UseAppHost>false</UseAppHost><ContainerRepository>bench/app</ContainerRepository></PropertyGroup>
  <ItemGroup><PackageReference Include="SigstoreBuild" Version="$version" PrivateAssets="all" /></ItemGroup>
</Project>
XML
echo 'System.Console.WriteLine("bench");' >"$app/Program.cs"

export GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push DOTNET_CONTAINER_INSECURE_REGISTRIES="$registry"
export ACTIONS_ID_TOKEN_REQUEST_URL="$base/token?preset=github-actions&format=json&sub=repo:bench/bench:ref:refs/heads/main"
export ACTIONS_ID_TOKEN_REQUEST_TOKEN=bench-request-token
trust=(-p:SigstoreTrustedRootPath="$work/instance/trusted_root.json" -p:SigstoreSigningConfigPath="$work/instance/signing_config.json")
publish() { # prints milliseconds
  local start end
  start=$(date +%s%N)
  dotnet publish -t:PublishContainer -c Release --no-restore -nodeReuse:false -nologo -v:n -tl:off \
    -p:ContainerRegistry="$registry" -p:ContainerBaseImage="$registry/base:1" "$@" >"$work/last.log" 2>&1 \
    || { cat "$work/last.log" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

cd "$app"
dotnet restore -nologo -v:q >/dev/null
publish -p:SigstoreSign=false >/dev/null   # warm-up: compile once
: >"$work/unsigned"; : >"$work/nosbom"; : >"$work/signed"
for _ in $(seq 1 "$ROUNDS"); do
  publish -p:SigstoreSign=false >>"$work/unsigned"
  publish -p:SigstoreRequireSigning=true -p:SigstoreSbom=false "${trust[@]}" >>"$work/nosbom"
  grep -q 'Sigstore: signed' "$work/last.log" || { echo "the signed publish did not sign" >&2; cat "$work/last.log" >&2; exit 1; }
  publish -p:SigstoreRequireSigning=true "${trust[@]}" >>"$work/signed"
  grep -q 'SBOM.*signed\|signed.*SBOM' "$work/last.log" || { echo "the default publish did not sign an SBOM" >&2; cat "$work/last.log" >&2; exit 1; }
done
u=$(median $(cat "$work/unsigned")) n=$(median $(cat "$work/nosbom")) s=$(median $(cat "$work/signed"))
printf '\ndotnet publish -t:PublishContainer to a loopback registry, %s rounds, medians (ms), %s cores\n' "$ROUNDS" "$(nproc)"
printf '| %-40s | %8s | %8s |\n' "run" "median" "added"
printf '|%s|%s|%s|\n' "------------------------------------------" "----------" "----------"
printf '| %-40s | %8s | %8s |\n' "unsigned (SigstoreSign=false)" "$u" "-"
printf '| %-40s | %8s | %8s |\n' "signed, provenance only (SigstoreSbom=false)" "$n" "$(printf '%+d' $((n - u)))"
printf '| %-40s | %8s | %8s |\n' "signed, provenance and SBOM (default)" "$s" "$(printf '%+d' $((s - u)))"
echo "runs (ms): unsigned $(tr '\n' ' ' <"$work/unsigned")| provenance only $(tr '\n' ' ' <"$work/nosbom")| provenance and SBOM $(tr '\n' ' ' <"$work/signed")"
