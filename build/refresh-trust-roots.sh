#!/usr/bin/env bash
# Refreshes the public Sigstore trust material embedded in SigstoreBuild.Core (src/SigstoreBuild.Core/Tuf/Embedded/)
# from the seeds of the npm package @sigstore/tuf, which carries the latest TUF root.json of the Sigstore instances and
# their targets (trusted_root.json, signing_config.v0.2.json, ...), base64-encoded in seeds.json.
#
#   build/refresh-trust-roots.sh [VERSION]        # VERSION of @sigstore/tuf, default 5.0.1
#
# Needs npm (with access to the registry it is configured for) and node. The files are written byte for byte as they
# are in the seeds; a file the package does not carry (e.g. the staging instance, or a signing_config) is left as it is
# and reported. Prints what changed (root versions and expiry dates), then: review `git diff`, run the TUF tests
#   dotnet test tests/SigstoreBuild.Core.Tests -- --filter "FullyQualifiedName~Tuf"
# (EmbeddedTrustTests checks that the new root is signed by a threshold of the previous root's keys), and commit.
set -euo pipefail

version="${1:-5.0.1}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
embedded="$repo/src/SigstoreBuild.Core/Tuf/Embedded"
work="$(mktemp -d "${TMPDIR:-/tmp}/sigstore-tuf-seeds.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "== npm pack @sigstore/tuf@$version"
(cd "$work" && npm pack --silent "@sigstore/tuf@$version" >/dev/null)
tar -xzf "$work"/sigstore-tuf-*.tgz -C "$work"
[ -f "$work/package/seeds.json" ] || { echo "error: @sigstore/tuf@$version has no seeds.json" >&2; exit 1; }

SEEDS="$work/package/seeds.json" EMBEDDED="$embedded" node - <<'EOF'
const fs = require('fs');
const path = require('path');
const seeds = JSON.parse(fs.readFileSync(process.env.SEEDS, 'utf8'));
const embedded = process.env.EMBEDDED;

// TUF mirror of each instance -> prefix of the embedded file names.
const instances = {
  'https://tuf-repo-cdn.sigstore.dev': 'public-good',
  'https://tuf-repo-cdn.sigstage.dev': 'staging',
};
// Seed entry -> embedded file suffix. Seeds may hold a file as base64 or as plain JSON text.
const files = [
  ['root.json', (seed) => seed['root.json'], 'root.json'],
  ['trusted_root.json', (seed) => seed.targets && seed.targets['trusted_root.json'], 'trusted_root.json'],
  ['signing_config.v0.2.json', (seed) => seed.targets && seed.targets['signing_config.v0.2.json'], 'signing_config.v0.2.json'],
];

function decode(value) {
  if (typeof value !== 'string') return Buffer.from(JSON.stringify(value, null, 2));
  const text = value.trimStart();
  return text.startsWith('{') ? Buffer.from(value, 'utf8') : Buffer.from(value, 'base64');
}

function describe(bytes, name) {
  if (!bytes) return 'absent';
  const json = JSON.parse(bytes.toString('utf8'));
  if (name === 'root.json') return `root v${json.signed.version}, expires ${json.signed.expires}`;
  if (name === 'trusted_root.json') {
    const open = [...(json.certificateAuthorities || []), ...(json.tlogs || []), ...(json.ctlogs || []), ...(json.timestampAuthorities || [])]
      .filter((e) => !(e.validFor || {}).end).length;
    return `${(json.certificateAuthorities || []).length} CAs, ${(json.tlogs || []).length} tlogs, ${(json.ctlogs || []).length} ctlogs, ${(json.timestampAuthorities || []).length} TSAs (${open} without an end date)`;
  }
  return `${bytes.length} bytes`;
}

let changed = 0;
for (const [url, prefix] of Object.entries(instances)) {
  const seed = seeds[url] || seeds[url + '/'];
  if (!seed) {
    console.log(`${prefix}: not in the seeds; ${prefix}.* kept as they are`);
    continue;
  }
  for (const [name, pick, suffix] of files) {
    const target = path.join(embedded, `${prefix}.${suffix}`);
    const before = fs.existsSync(target) ? fs.readFileSync(target) : null;
    const value = pick(seed);
    if (value === undefined || value === null) {
      console.log(`${prefix}.${suffix}: not in the seeds, kept (${describe(before, name)})`);
      continue;
    }
    const after = decode(value);
    JSON.parse(after.toString('utf8')); // must be JSON
    if (before && before.equals(after)) {
      console.log(`${prefix}.${suffix}: unchanged (${describe(after, name)})`);
      continue;
    }
    fs.writeFileSync(target, after);
    changed++;
    console.log(`${prefix}.${suffix}: CHANGED ${describe(before, name)} -> ${describe(after, name)}`);
  }
}

for (const url of Object.keys(seeds)) {
  if (!instances[url.replace(/\/$/, '')]) console.log(`note: seeds also hold ${url} (not embedded)`);
}
console.log(changed ? `${changed} file(s) updated in ${embedded}` : 'nothing changed');
EOF
