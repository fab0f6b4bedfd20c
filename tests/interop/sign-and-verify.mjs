// Signs with sigstore-js against a running SigstoreBuild.LocalStack instance, then verifies every bundle with
// sigstore-js against the instance's trusted_root.json. Proves the instance's wire formats (Fulcio v2, Rekor v1/v2,
// RFC 3161 TSA, trusted root, signing config v0.2) with another implementation.
// Usage: node sign-and-verify.mjs <baseUrl> <dataDir>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign, attest } from 'sigstore';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { TrustedRoot, SigningConfig } from '@sigstore/protobuf-specs';

const [baseUrl, dataDir] = process.argv.slice(2);
if (!baseUrl || !dataDir) {
  console.error('usage: node sign-and-verify.mjs <baseUrl> <dataDir>');
  process.exit(2);
}

const identity = 'interop@example.com';
const trustedRoot = TrustedRoot.fromJSON(JSON.parse(readFileSync(join(dataDir, 'trusted_root.json'), 'utf8')));
const trustMaterial = toTrustMaterial(trustedRoot);
const policy = { subjectAlternativeName: identity, extensions: { issuer: baseUrl } };

async function token() {
  const response = await fetch(`${baseUrl}/token?sub=${encodeURIComponent(identity)}&aud=sigstore`);
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return (await response.text()).trim();
}

// Round-trip through JSON so that what is verified is exactly what a file would hold.
function verify(bundleJson, artifact, thresholds) {
  const bundle = bundleFromJSON(JSON.parse(JSON.stringify(bundleJson)));
  new Verifier(trustMaterial, thresholds).verify(toSignedEntity(bundle, artifact), policy);
}

function mustFail(label, fn) {
  try {
    fn();
  } catch {
    return;
  }
  throw new Error(`${label}: verification unexpectedly succeeded`);
}

const results = [];
async function run(name, fn) {
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`not ok - ${name}: ${error?.stack ?? error}`);
    if (error?.cause) console.log(`  cause: ${error.cause?.stack ?? error.cause}`);
  }
}

const payload = Buffer.from('hello from sigstore-js\n');
const statement = Buffer.from(JSON.stringify({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'artifact', digest: { sha256: 'a'.repeat(64) } }],
  predicateType: 'https://example.com/predicate/v1',
  predicate: {},
}));

await run('message signature, Rekor v1 + TSA (sigstore.sign)', async () => {
  const bundle = await sign(payload, {
    fulcioURL: baseUrl, rekorURL: baseUrl, tsaServerURL: baseUrl, identityToken: await token(),
  });
  // SET (integrated time) and the TSA token are two timestamps; require both, plus one SCT and one tlog entry.
  verify(bundle, payload, { ctlogThreshold: 1, tlogThreshold: 1, timestampThreshold: 2 });
  mustFail('other artifact', () => verify(bundle, Buffer.from('tampered'), {}));
  mustFail('other identity', () => new Verifier(trustMaterial).verify(
    toSignedEntity(bundleFromJSON(bundle), payload), { subjectAlternativeName: 'mallory@example.com' }));
});

await run('DSSE attestation, Rekor v1 (sigstore.attest)', async () => {
  const bundle = await attest(statement, 'application/vnd.in-toto+json', {
    fulcioURL: baseUrl, rekorURL: baseUrl, tsaServerURL: baseUrl, identityToken: await token(),
  });
  verify(bundle, undefined, { ctlogThreshold: 1, tlogThreshold: 1, timestampThreshold: 1 });
});

for (const [file, label] of [['signing_config.json', 'Rekor v1'], ['signing_config.rekor-v2.json', 'Rekor v2']]) {
  const signingConfig = SigningConfig.fromJSON(JSON.parse(readFileSync(join(dataDir, file), 'utf8')));

  await run(`message signature from ${file} (${label} + TSA)`, async () => {
    const builder = bundleBuilderFromSigningConfig({
      signingConfig, identityProvider: { getToken: token }, bundleType: 'messageSignature',
    });
    const bundle = bundleToJSON(await builder.create({ data: payload }));
    verify(bundle, payload, { ctlogThreshold: 1, tlogThreshold: 1, timestampThreshold: 1 });
    mustFail('other artifact', () => verify(bundle, Buffer.from('tampered'), {}));
  });

  await run(`DSSE from ${file} (${label} + TSA)`, async () => {
    const builder = bundleBuilderFromSigningConfig({
      signingConfig, identityProvider: { getToken: token }, bundleType: 'dsseEnvelope',
    });
    const bundle = bundleToJSON(await builder.create({ data: statement, type: 'application/vnd.in-toto+json' }));
    verify(bundle, undefined, { ctlogThreshold: 1, tlogThreshold: 1, timestampThreshold: 1 });
  });
}

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
