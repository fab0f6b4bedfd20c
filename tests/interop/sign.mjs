// Signs with sigstore-js (the reference JavaScript client) through a signing config and writes the bundles as files,
// exactly as sigstore-js serializes them (proto3 JSON: fields holding their default value are omitted), for our
// verifier to check. The identity token is read from SIGSTORE_ID_TOKEN.
// Usage: node sign.mjs --signing-config FILE --out DIR ARTIFACT
// Writes DIR/message.sigstore.json (a message signature over ARTIFACT) and DIR/dsse.sigstore.json (an in-toto
// statement whose subject is ARTIFACT), in that order.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { bundleToJSON } from '@sigstore/bundle';
import { SigningConfig } from '@sigstore/protobuf-specs';

const { values: opts, positionals: rest } = parseArgs({
  options: { 'signing-config': { type: 'string' }, out: { type: 'string' } },
  allowPositionals: true,
});

const token = process.env.SIGSTORE_ID_TOKEN;
if (!opts['signing-config'] || !opts.out || rest.length !== 1 || !token) {
  console.error('usage: SIGSTORE_ID_TOKEN=... node sign.mjs --signing-config FILE --out DIR ARTIFACT');
  process.exit(2);
}

const signingConfig = SigningConfig.fromJSON(JSON.parse(readFileSync(opts['signing-config'], 'utf8')));
const identityProvider = { getToken: async () => token };
const artifact = readFileSync(rest[0]);
const statement = Buffer.from(JSON.stringify({
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: basename(rest[0]), digest: { sha256: createHash('sha256').update(artifact).digest('hex') } }],
  predicateType: 'https://example.com/sigstore-js/v1',
  predicate: {},
}));

async function signOne(bundleType, file, input) {
  const builder = bundleBuilderFromSigningConfig({ signingConfig, identityProvider, bundleType });
  const bundle = bundleToJSON(await builder.create(input));
  writeFileSync(join(opts.out, file), JSON.stringify(bundle, null, 2) + '\n');
}

try {
  await signOne('messageSignature', 'message.sigstore.json', { data: artifact });
  await signOne('dsseEnvelope', 'dsse.sigstore.json', { data: statement, type: 'application/vnd.in-toto+json' });
} catch (e) {
  console.error(`sign failed: ${e?.stack ?? e}`);
  if (e?.cause) console.error(`cause: ${e.cause?.stack ?? e.cause}`);
  process.exit(1);
}
