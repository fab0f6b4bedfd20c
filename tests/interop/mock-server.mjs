// Serves sigstore-js's own mocked Sigstore services (@sigstore/mock) over real HTTP, so that our signer can be tested
// against another implementation's Fulcio, Rekor v1 and TSA. Writes DIR/trusted_root.json and DIR/signing_config.json
// (protobuf-specs JSON) describing them, then prints the base URL. Stop it by closing stdin or with a signal.
// Usage: node mock-server.mjs DIR
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, rekorHandler, tsaHandler,
} from '@sigstore/mock';

// The ASN.1 library the mock itself uses, resolved from the mock (not a dependency of ours).
const require = createRequire(import.meta.url);
const pkijs = createRequire(require.resolve('@sigstore/mock'))('pkijs');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node mock-server.mjs DIR');
  process.exit(2);
}

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = (keyPair) => keyPair.publicKey.export({ format: 'der', type: 'spki' });
const sha256 = (data) => createHash('sha256').update(data).digest();

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseUrl = `http://127.0.0.1:${server.address().port}`;
const tsaUrl = `${baseUrl}/api/v1/timestamp`;

// Separate keys per service (the mock's own mockFulcio() shares one key between CA and CT log).
const [caKey, ctKey, rekorKey, tsaKey] = [newKey(), newKey(), newKey(), newKey()];
const ca = await initializeCA(caKey, await initializeCTLog(ctKey));
// The Rekor mock names its checkpoints after the URL's host (with port), as Rekor does.
const tlog = await initializeTLog(baseUrl, rekorKey);
const tsa = await initializeTSA(tsaKey);
patchTsaNonce(tsa);

const asText = (handler) => (body) => handler(body.toString('utf8'));
const handlers = new Map([
  ['/api/v2/signingCert', asText(fulcioHandler(ca).fn)],
  ['/api/v1/log/entries', toStoredRekorEntry(rekorHandler(tlog).fn)],
  ['/api/v1/timestamp', fromTimestampQuery(tsaHandler(tsa).fn)],
]);

server.on('request', (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const handler = req.method === 'POST' ? handlers.get(req.url) : undefined;
    if (!handler) {
      res.writeHead(404).end('not found');
      return;
    }
    try {
      const { statusCode, response, contentType } = await handler(Buffer.concat(chunks), req.headers['content-type'] ?? '');
      res.writeHead(statusCode, { 'Content-Type': contentType ?? 'text/plain' }).end(response);
    } catch (e) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(String(e?.message ?? e));
    }
  });
});

const start = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
const validFor = { start };
const publicKey = (keyPair) => ({ rawBytes: spki(keyPair).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor });
const chain = (ders) => ({ certificates: ders.map((der) => ({ rawBytes: Buffer.from(der).toString('base64') })) });
const subjectOf = (der) => {
  const subject = new X509Certificate(der).subject;
  return { organization: /O=(.*)/.exec(subject)?.[1] ?? '', commonName: /CN=(.*)/.exec(subject)?.[1] ?? '' };
};

const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [{ baseUrl, hashAlgorithm: 'SHA2_256', publicKey: publicKey(rekorKey), logId: { keyId: sha256(spki(rekorKey)).toString('base64') } }],
  certificateAuthorities: [{ subject: subjectOf(ca.rootCertificate), uri: baseUrl, certChain: chain([ca.rootCertificate]), validFor }],
  ctlogs: [{ baseUrl, hashAlgorithm: 'SHA2_256', publicKey: publicKey(ctKey), logId: { keyId: sha256(spki(ctKey)).toString('base64') } }],
  timestampAuthorities: [{ subject: subjectOf(tsa.rootCertificate), uri: tsaUrl, certChain: chain([tsa.intCertificate, tsa.rootCertificate]), validFor }],
};

const service = (url) => ({ url, majorApiVersion: 1, validFor, operator: 'sigstore-js-mock' });
const signingConfig = {
  mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
  caUrls: [service(baseUrl)],
  oidcUrls: [],
  rekorTlogUrls: [service(baseUrl)],
  tsaUrls: [service(tsaUrl)],
  rekorTlogConfig: { selector: 'ANY' },
  tsaConfig: { selector: 'ANY' },
};

writeAtomically(join(dir, 'trusted_root.json'), trustedRoot);
writeAtomically(join(dir, 'signing_config.json'), signingConfig);
console.log(baseUrl);

const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop).resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

function writeAtomically(path, value) {
  writeFileSync(path + '.tmp', JSON.stringify(value, null, 2) + '\n');
  renameSync(path + '.tmp', path);
}

// The mock TSA takes sigstore timestamp-authority's JSON request form only; RFC 3161 clients send a DER TimeStampReq
// (application/timestamp-query), which the real service also accepts. Translate it, keeping the nonce's exact bytes.
function fromTimestampQuery(handler) {
  const hashNames = { '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };
  return (body, contentType) => {
    if (!contentType.startsWith('application/timestamp-query')) return handler(body.toString('utf8'));
    const query = pkijs.TimeStampReq.fromBER(new Uint8Array(body).buffer);
    const json = {
      artifactHash: Buffer.from(query.messageImprint.hashedMessage.valueBlock.valueHexView).toString('base64'),
      hashAlgorithm: hashNames[query.messageImprint.hashAlgorithm.algorithmId] ?? query.messageImprint.hashAlgorithm.algorithmId,
      certificates: query.certReq ?? false,
    };
    if (query.reqPolicy) json.tsaPolicyOID = query.reqPolicy;
    if (query.nonce) json.nonce = Buffer.from(query.nonce.valueBlock.valueHexView).toString('hex');
    return handler(JSON.stringify(json));
  };
}

// The mock builds the TSTInfo nonce from a JavaScript number, so nonces above 2^53 (sigstore-go and our client use
// 128-160 random bits) come back altered, which RFC 3161 section 2.4.2 forbids. Carry the request's nonce bytes instead.
function patchTsaNonce(tsaImpl) {
  // Whole seconds: DER drops trailing zeros of a fractional genTime (".12Z"), which sigstore-js's GeneralizedTime
  // parser (exactly three digits or none) rejects as "invalid time" about one time in ten.
  tsaImpl.getCurrentTime = () => new Date(Math.floor(Date.now() / 1000) * 1000);
  const tstInfo = tsaImpl.tstInfo.bind(tsaImpl);
  tsaImpl.tstInfo = (req) => {
    if (typeof req.nonce !== 'string') return tstInfo(req);
    const info = tstInfo({ ...req, nonce: 0 });
    info.nonce = new info.nonce.constructor({ valueHex: Buffer.from(req.nonce, 'hex') });
    return info;
  };
}

// The mock logs the proposed entry verbatim, which is what Rekor stores for hashedrekord and intoto (sigstore-js's
// kinds). For dsse 0.0.1 Rekor stores a different, canonical body: the envelope hash (over the submitted envelope
// text), the payload hash and the signatures with their verifiers, never the envelope itself (rekor
// pkg/types/dsse/v0.0.1). Give the mock that body, as Rekor would.
function toStoredRekorEntry(handler) {
  return (body) => {
    const proposed = JSON.parse(body.toString('utf8'));
    if (proposed.kind !== 'dsse' || proposed.apiVersion !== '0.0.1' || !proposed.spec?.proposedContent) {
      return handler(body.toString('utf8'));
    }
    const { envelope, verifiers } = proposed.spec.proposedContent;
    const parsed = JSON.parse(envelope);
    if (verifiers?.length !== 1) throw new Error('this adapter supports exactly one verifier');
    const stored = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(envelope, 'utf8')).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(parsed.payload, 'base64')).toString('hex') },
        signatures: parsed.signatures.map((s) => ({ signature: s.sig, verifier: verifiers[0] })),
      },
    };
    return handler(JSON.stringify(stored));
  };
}
