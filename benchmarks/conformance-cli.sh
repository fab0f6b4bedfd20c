#!/usr/bin/env bash
# Runs every sigstore-conformance case (both modes) through a `sigstore` executable, e.g. the Native AOT build:
#   benchmarks/conformance-cli.sh /tmp/cli-aot/sigstore
# Prints mismatches and a summary line. Used to check that a trimmed/AOT build behaves like the tested one.
set -uo pipefail
cli=${1:?usage: conformance-cli.sh PATH-TO-sigstore}
repo="$(cd "$(dirname "$0")/.." && pwd)"
conf="$repo/../shared/conformance"
pass=0; fail=0
while IFS= read -r line; do
  eval "$(node -e '
    const c = JSON.parse(process.argv[1]);
    const q = s => "\x27" + String(s).replace(/\x27/g, "\x27\\\x27\x27") + "\x27";
    console.log(`id=${q(c.id)} bundle=${q(c.bundle)} artifact=${q(c.artifact)} digest=${q(c.digest)} root=${q(c.trusted_root)} expect=${q(c.expect)} key=${q(c.key ?? "")} identity=${q(c.identity ?? "")} issuer=${q(c.issuer ?? "")}`);
  ' "$line")"
  for subject in "$conf/$artifact" "$digest"; do
    if [ -n "$key" ]; then who=(--key "$conf/$key"); else who=(--certificate-identity "$identity" --certificate-oidc-issuer "$issuer"); fi
    if "$cli" verify-bundle --bundle "$conf/$bundle" "${who[@]}" --trusted-root "$conf/$root" "$subject" >/dev/null 2>&1; then got=pass; else got=fail; fi
    if [ "$got" = "$expect" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "MISMATCH $id ($subject): expected $expect, got $got"; fi
  done
done <"$conf/manifest.jsonl"
echo "$pass passed, $fail failed"
