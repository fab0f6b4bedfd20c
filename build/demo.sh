#!/usr/bin/env bash
# The offline end-to-end demo: starts the local Sigstore instance on 127.0.0.1, signs and attests files the way a
# GitHub Actions job would (the OIDC token is fetched just in time through ACTIONS_ID_TOKEN_REQUEST_URL), verifies the
# results with `sigstore verify`; then packs samples/Library through the real SigstoreBuild package from a local folder
# feed (dotnet pack signs it and embeds the bundle), verifies the .nupkg with `sigstore verify-package`, and shows what
# was produced.
# Needs only the .NET SDK. Prints one line per step with the time elapsed since the start.
# Everything it makes goes to a temporary folder, removed at the end (also on failure or Ctrl-C); to look at the
# files afterwards, run `./build/demo.sh --keep` (or set SIGSTOREBUILD_DEMO_KEEP=1). The repository itself is left as
# it was, apart from the usual (ignored) bin/ and obj/ folders of the projects it builds.
set -euo pipefail
keep=${SIGSTOREBUILD_DEMO_KEEP:-0}
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--keep]" >&2; exit 2 ;;
  esac
done
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/sigstorebuild-demo.XXXXXX")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
instance_pid=
cleanup() {
  status=$?
  [ -z "$instance_pid" ] || kill "$instance_pid" 2>/dev/null || true
  [ -z "$instance_pid" ] || wait "$instance_pid" 2>/dev/null || true
  if [ "$keep" = 1 ]; then
    echo "   (files kept in $work)"
  else
    rm -rf "$work"
    [ "$status" -ne 0 ] || echo "   (temporary files removed; ./build/demo.sh --keep keeps them)"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
step() { printf '== [%2d:%02d] %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$*"; }

step "building the local Sigstore instance (Release)"
dotnet build "$repo/src/SigstoreBuild.LocalStack" -c Release -v quiet -nologo >/dev/null
step "building the sigstore command (Release)"
dotnet build "$repo/src/SigstoreBuild.Cli" -c Release -v quiet -nologo >/dev/null
sigstore() { dotnet "$repo/src/SigstoreBuild.Cli/bin/Release/net10.0/sigstore.dll" "$@"; }

step "starting the local Sigstore instance (data in $work/instance)"
: >"$work/instance.log"
dotnet "$repo/src/SigstoreBuild.LocalStack/bin/Release/net10.0/SigstoreBuild.LocalStack.dll" --port 0 --data-dir "$work/instance" >"$work/instance.log" 2>&1 &
instance_pid=$!
for _ in $(seq 1 100); do
  base=$(sed -n 's/^SigstoreBuild.LocalStack listening on //p' "$work/instance.log" | head -n 1)
  [ -n "$base" ] && break
  kill -0 $instance_pid 2>/dev/null || { cat "$work/instance.log"; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { echo "the local instance did not start"; cat "$work/instance.log"; exit 1; }
echo "   $base"

# What GitHub Actions gives a job with 'permissions: id-token: write'. The token itself never appears anywhere.
export GITHUB_ACTIONS=true GITHUB_EVENT_NAME=push
# The job's metadata, as the runner sets it (the same repository, commit and run as the local token's claims): the
# provenance records it, and the certificate attests it.
export GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=octo-org/octo-repo GITHUB_REF=refs/heads/main \
  GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 GITHUB_RUN_ID=1000 GITHUB_RUN_ATTEMPT=1 \
  GITHUB_WORKFLOW_REF=octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main RUNNER_ENVIRONMENT=github-hosted
export ACTIONS_ID_TOKEN_REQUEST_URL="$base/token?preset=github-actions&format=json&sub=repo:octo-org/demo:ref:refs/heads/main"
export ACTIONS_ID_TOKEN_REQUEST_TOKEN=demo-request-token
trust=(--trusted-root "$work/instance/trusted_root.json" --signing-config "$work/instance/signing_config.json")

mkdir -p "$work/out"
printf 'hello, keyless signing\n' >"$work/out/hello.txt"
printf '{"name":"demo","version":"1.0.0"}\n' >"$work/out/demo.json"

step "sigstore sign (one identity, one certificate for both files)"
sigstore sign "$work/out/hello.txt" "$work/out/demo.json" --oidc-provider github "${trust[@]}"

step "sigstore attest (an in-toto statement in a DSSE envelope)"
printf '{"builder":"demo.sh"}\n' >"$work/predicate.json"
sigstore attest "$work/out/demo.json" --predicate-type https://example.com/demo/v1 --predicate "$work/predicate.json" \
  --bundle-extension .intoto.sigstore.json --oidc-provider github "${trust[@]}"

identity="https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main"
step "sigstore verify"
for f in hello.txt demo.json; do
  sigstore verify "$work/out/$f" --certificate-identity-regexp 'https://github\.com/octo-org/.*' \
    --certificate-oidc-issuer "$base" --trusted-root "$work/instance/trusted_root.json"
done
sigstore verify "$work/out/demo.json" --bundle "$work/out/demo.json.intoto.sigstore.json" \
  --certificate-identity-regexp 'https://github\.com/octo-org/.*' --certificate-oidc-issuer "$base" \
  --trusted-root "$work/instance/trusted_root.json" --predicate-type https://example.com/demo/v1 --output json

step "a changed file is refused"
printf 'tampered\n' >>"$work/out/hello.txt"
if sigstore verify "$work/out/hello.txt" --certificate-identity-regexp 'https://github\.com/octo-org/.*' \
     --certificate-oidc-issuer "$base" --trusted-root "$work/instance/trusted_root.json"; then
  echo "ERROR: a tampered file verified"; exit 1
fi

step "packing the SigstoreBuild package into a local folder feed"
version="0.0.0-demo.$(date -u +%Y%m%d%H%M%S)"
dotnet pack "$repo/src/SigstoreBuild.Tasks" -c Release -o "$work/feed" -p:Version="$version" -nodeReuse:false -v quiet -nologo >/dev/null
echo "   $work/feed/SigstoreBuild.$version.nupkg"

step "dotnet pack samples/Library (PackageReference SigstoreBuild $version, signed at pack)"
mkdir -p "$work/sample"
cp -R "$repo/samples/Library" "$work/sample/Library"
rm -rf "$work/sample/Library/bin" "$work/sample/Library/obj"
cp "$repo/samples/Directory.Build.props" "$repo/samples/Directory.Packages.props" "$work/sample/"
cat >"$work/sample/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local-feed" value="$work/feed" />
  </packageSources>
</configuration>
XML
# Its own NuGet packages folder: the demo's SigstoreBuild version never lands in the user's cache.
NUGET_PACKAGES="$work/nuget-packages" dotnet pack "$work/sample/Library" -c Release -o "$work/packages" -nodeReuse:false -nologo -tl:off \
  -p:SigstoreBuildVersion="$version" -p:SigstoreRequireSigning=true \
  -p:SigstoreTrustedRootPath="$work/instance/trusted_root.json" -p:SigstoreSigningConfigPath="$work/instance/signing_config.json" \
  | grep -E 'Sigstore:|error|warning|Successfully created' || true
package="$work/packages/Contoso.Greetings.1.0.0.nupkg"
sigstore inspect "$package" >/dev/null || { echo "ERROR: dotnet pack embedded no bundle in $package"; exit 1; }
[ ! -e "$package.sigstore.json" ] || { echo "ERROR: dotnet pack wrote a sidecar bundle; it should be embedded"; exit 1; }

step "sigstore verify-package (the bundle embedded in the package: nothing else travels with it)"
sigstore verify-package "$package" --certificate-identity-regexp 'https://github\.com/octo-org/.*' \
  --certificate-oidc-issuer "$base" --trusted-root "$work/instance/trusted_root.json"
sigstore verify-package "$package" --certificate-identity-regexp 'https://github\.com/octo-org/.*' \
  --certificate-oidc-issuer "$base" --trusted-root "$work/instance/trusted_root.json" --output json >"$work/packages/verify-package.json"
echo "   (evidence: $work/packages/verify-package.json)"

step "the provenance agrees with what the certificate attests (builder, repository, commit, run)"
sigstore verify-package "$package" --certificate-identity "$identity" --certificate-oidc-issuer "$base" \
  --trusted-root "$work/instance/trusted_root.json" --predicate-type https://slsa.dev/provenance/v1 --provenance-consistency

step "the embedded bundle, written out for other Sigstore clients"
sigstore extract-bundle "$package" -o "$work/packages/Contoso.Greetings.1.0.0.extracted.sigstore.json"

step "another signer is refused"
if sigstore verify-package "$package" --certificate-identity 'https://github.com/mallory/evil/.github/workflows/release.yml@refs/heads/main' \
     --certificate-oidc-issuer "$base" --trusted-root "$work/instance/trusted_root.json"; then
  echo "ERROR: a package verified for the wrong identity"; exit 1
fi

step "produced"
ls -l "$work/out" "$work/packages"
step "demo OK"
