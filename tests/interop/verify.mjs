// Verifies a Sigstore bundle with sigstore-js (the reference JavaScript client), for interop tests and benchmarks.
// Usage: node verify.mjs --bundle B --trusted-root T [--identity SAN --issuer URL | --key PUBLIC_KEY_PEM] [--bench N] ARTIFACT_OR_sha256:HEX
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const args = process.argv.slice(2);
const opts = {};
const rest = [];
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) opts[args[i].slice(2)] = args[++i];
  else rest.push(args[i]);
}

// A key-signed bundle names its key only by a hint; the key the caller trusts is the one its signature must verify with.
function trustMaterial(root) {
  if (!opts.key) return toTrustMaterial(root);
  const pem = readFileSync(opts.key, 'utf8');
  return toTrustMaterial(root, () => ({ publicKey: crypto.createPublicKey(pem), validFor: () => true }));
}

function run() {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(opts.bundle, 'utf8')));
  const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(opts['trusted-root'], 'utf8')));
  const subject = rest[0];
  const artifact = subject && !subject.startsWith('sha256:') ? readFileSync(subject) : undefined;
  const verifier = new Verifier(trustMaterial(root));
  const policy = opts.identity ? { subjectAlternativeName: opts.identity, extensions: { issuer: opts.issuer } } : undefined;
  return verifier.verify(toSignedEntity(bundle, artifact), policy);
}

if (opts.bench) {
  const n = Number(opts.bench);
  const bundleText = readFileSync(opts.bundle, 'utf8');
  const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(opts['trusted-root'], 'utf8')));
  const artifact = rest[0] ? readFileSync(rest[0]) : undefined;
  const verifier = new Verifier(toTrustMaterial(root));
  const policy = opts.identity ? { subjectAlternativeName: opts.identity, extensions: { issuer: opts.issuer } } : undefined;
  const once = () => verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(bundleText)), artifact), policy);
  for (let i = 0; i < Math.min(n, 50); i++) once();
  const times = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); once(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ iterations: n, medianMs: times[Math.floor(n / 2)], p90Ms: times[Math.floor(n * 0.9)] }));
} else {
  try {
    run();
    console.log('OK');
  } catch (e) {
    console.error(`FAIL: ${e.code ?? ''} ${e.message}`);
    process.exit(1);
  }
}
