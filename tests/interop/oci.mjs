// Sigstore bundles attached to container images as OCI 1.1 referrers (cosign specs/BUNDLE_SPEC.md), checked and made by
// sigstore-js (the reference JavaScript client) independently of our code, for the container interop tests (issue 14).
// The registry is anonymous (no credentials are sent or read).
//
// node oci.mjs verify --registry HOST:PORT --repository REPO --digest sha256:HEX --trusted-root FILE
//                     --certificate-identity SAN --certificate-oidc-issuer URL [--insecure]
//   Finds the bundles attached to the image REPO@sha256:HEX with plain fetch: GET /v2/REPO/referrers/sha256:HEX (the
//   referrers API, following Link rel="next" pages), and on 404 the referrers tag schema fallback GET
//   /v2/REPO/manifests/sha256-HEX (an OCI image index). For each listed manifest whose artifactType is a Sigstore
//   bundle media type, fetches the referrer manifest and its one layer (each checked against its digest), and verifies
//   the bundle with @sigstore/verify against the trusted root, with the certificate identity and issuer as policy. The
//   bundle must hold a DSSE envelope of an in-toto statement (payloadType application/vnd.in-toto+json) with a subject
//   whose sha256 is HEX: sigstore-js verifies a DSSE bundle without an artifact, so the subject is checked here after
//   verification. The referrer manifest's own subject must be the image too.
//   Prints one line per bundle, `OK <referrer digest> <predicateType>` or `FAIL <referrer digest> <reason>`, and exits 0
//   when at least one bundle verifies, 1 when none does (or none is attached), 2 on bad usage.
//   --insecure: plain HTTP (http://HOST:PORT); without it, HTTPS.
//
// SIGSTORE_ID_TOKEN=... node oci.mjs attach --registry HOST:PORT --repository REPO --digest sha256:HEX
//                                           --signing-config FILE
//   Signs an in-toto statement about the image (subject name HOST:PORT/REPO, digest sha256 HEX, predicateType
//   https://slsa.dev/provenance/v1 with a small SLSA v1 predicate) as a DSSE bundle with @sigstore/sign through the
//   signing config, exactly as sign.mjs does, and attaches it to the image with @sigstore/oci's attachArtifactToImage
//   (artifactType and layer media type = the bundle's mediaType, empty config, annotations dev.sigstore.bundle.content,
//   dev.sigstore.bundle.predicateType and org.opencontainers.image.created; on a registry without the referrers API,
//   @sigstore/oci also updates the sha256-HEX tag index). Prints the referrer manifest's descriptor as JSON.
//   Plain HTTP: @sigstore/oci has no option for the scheme; it uses http:// only when the registry's host name is exactly
//   `localhost` or `127.0.0.1` (any port) and https:// for every other host (including [::1], which its image name
//   grammar does not accept either). Run the test registry on 127.0.0.1.
//
// package.json lists promise-retry only because @sigstore/oci 0.6 (the last release for Node 20) requires it without
// declaring it; the make-fetch-happen that @sigstore/sign needs no longer brings it. 0.7 declares its retry package but
// needs Node 22.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bundleFromJSON, bundleToJSON } from '@sigstore/bundle';
import { attachArtifactToImage } from '@sigstore/oci';
import { SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { bundleBuilderFromSigningConfig } from '@sigstore/sign';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const IN_TOTO = 'application/vnd.in-toto+json';
const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
const isBundleMediaType = (type) => typeof type === 'string' && type.startsWith('application/vnd.dev.sigstore.bundle.');
const MAX_DOCUMENT = 4 * 1024 * 1024;
const sha256 = (bytes) => 'sha256:' + createHash('sha256').update(bytes).digest('hex');

const usage = `usage:
  node oci.mjs verify --registry HOST:PORT --repository REPO --digest sha256:HEX --trusted-root FILE
                      --certificate-identity SAN --certificate-oidc-issuer URL [--insecure]
  SIGSTORE_ID_TOKEN=... node oci.mjs attach --registry HOST:PORT --repository REPO --digest sha256:HEX --signing-config FILE`;

const [command, ...argv] = process.argv.slice(2);
const common = { registry: { type: 'string' }, repository: { type: 'string' }, digest: { type: 'string' } };
let opts;
try {
  opts = parseArgs({
    args: argv,
    options: command === 'attach'
      ? { ...common, 'signing-config': { type: 'string' } }
      : {
        ...common,
        'trusted-root': { type: 'string' },
        'certificate-identity': { type: 'string' },
        'certificate-oidc-issuer': { type: 'string' },
        insecure: { type: 'boolean', default: false },
      },
  }).values;
} catch (e) {
  fail(2, `${e.message}\n${usage}`);
}

if (!opts.registry || !opts.repository || !/^sha256:[0-9a-f]{64}$/.test(opts.digest ?? '')) fail(2, usage);

if (command === 'verify') {
  if (!opts['trusted-root'] || !opts['certificate-identity'] || !opts['certificate-oidc-issuer']) fail(2, usage);
  process.exit(await verify());
} else if (command === 'attach') {
  if (!opts['signing-config'] || !process.env.SIGSTORE_ID_TOKEN) fail(2, usage);
  process.exit(await attach());
} else {
  fail(2, usage);
}

function fail(code, message) {
  console.error(message);
  process.exit(code);
}

async function verify() {
  const base = `${opts.insecure ? 'http' : 'https'}://${opts.registry}/v2/${opts.repository}`;
  const digest = opts.digest;
  const verifier = new Verifier(toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(opts['trusted-root'], 'utf8')))));
  const policy = {
    subjectAlternativeName: opts['certificate-identity'],
    extensions: { issuer: opts['certificate-oidc-issuer'] },
  };

  let referrers;
  try {
    referrers = await listReferrers(base, digest);
  } catch (e) {
    console.error(`FAIL listing referrers: ${e.message}`);
    return 1;
  }
  const bundles = referrers.filter((d) => isBundleMediaType(d.artifactType));
  if (bundles.length === 0) {
    console.error(`FAIL no Sigstore bundle is attached to ${opts.repository}@${digest} (${referrers.length} referrers)`);
    return 1;
  }

  let verified = 0;
  for (const descriptor of bundles) {
    try {
      const predicateType = await verifyReferrer(base, digest, descriptor, verifier, policy);
      console.log(`OK ${descriptor.digest} ${predicateType}`);
      verified++;
    } catch (e) {
      console.log(`FAIL ${descriptor.digest} ${e.code ? e.code + ' ' : ''}${e.message}`);
    }
  }
  return verified > 0 ? 0 : 1;
}

// The referrers API (distribution-spec "Listing Referrers"), else the referrers tag schema's index.
async function listReferrers(base, digest) {
  const manifests = [];
  let url = `${base}/referrers/${digest}`;
  let response = await get(url, OCI_INDEX);
  if (response.status === 404) {
    response = await get(`${base}/manifests/${digest.replace(':', '-')}`, OCI_INDEX);
    if (response.status === 404) return [];
    const index = await readIndex(response);
    return index.manifests;
  }
  for (;;) {
    manifests.push(...(await readIndex(response)).manifests);
    const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '')?.[1];
    if (!next) return manifests;
    url = new URL(next, url).href;
    response = await get(url, OCI_INDEX);
  }
}

async function readIndex(response) {
  if (response.status !== 200) throw new Error(`${response.url} answered ${response.status}`);
  const index = JSON.parse((await readBody(response)).toString('utf8'));
  if (index.mediaType !== OCI_INDEX || !Array.isArray(index.manifests)) throw new Error(`${response.url} is not an OCI image index`);
  return index;
}

async function verifyReferrer(base, digest, descriptor, verifier, policy) {
  const manifest = JSON.parse((await getByDigest(`${base}/manifests/${descriptor.digest}`, OCI_MANIFEST, descriptor.digest)).toString('utf8'));
  if (manifest.mediaType !== OCI_MANIFEST || !isBundleMediaType(manifest.artifactType)) throw new Error('not a Sigstore bundle manifest');
  if (manifest.subject?.digest !== digest) throw new Error(`referrer subject ${manifest.subject?.digest} is not the image`);
  if (manifest.layers?.length !== 1 || !isBundleMediaType(manifest.layers[0].mediaType)) throw new Error('not exactly one bundle layer');

  const bundleJson = JSON.parse((await getByDigest(`${base}/blobs/${manifest.layers[0].digest}`, '*/*', manifest.layers[0].digest)).toString('utf8'));
  const bundle = bundleFromJSON(bundleJson);
  if (bundle.content.$case !== 'dsseEnvelope') throw new Error('the bundle holds no DSSE envelope');
  verifier.verify(toSignedEntity(bundle), policy);

  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO) throw new Error(`payloadType ${envelope.payloadType} is not in-toto`);
  const statement = JSON.parse(Buffer.from(envelope.payload).toString('utf8'));
  const hex = digest.slice('sha256:'.length);
  if (!Array.isArray(statement.subject) || !statement.subject.some((s) => s?.digest?.sha256 === hex)) {
    throw new Error('no in-toto subject has the image digest');
  }
  return statement.predicateType;
}

async function getByDigest(url, accept, digest) {
  const response = await get(url, accept);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  const body = await readBody(response);
  if (sha256(body) !== digest) throw new Error(`${url} does not hash to its digest`);
  return body;
}

function get(url, accept) {
  return fetch(url, { headers: { Accept: accept }, redirect: 'follow' });
}

async function readBody(response) {
  const body = Buffer.from(await response.arrayBuffer());
  if (body.length > MAX_DOCUMENT) throw new Error(`${response.url} is larger than ${MAX_DOCUMENT} bytes`);
  return body;
}

async function attach() {
  const signingConfig = SigningConfig.fromJSON(JSON.parse(readFileSync(opts['signing-config'], 'utf8')));
  const token = process.env.SIGSTORE_ID_TOKEN;
  const identityProvider = { getToken: async () => token };
  const imageName = `${opts.registry}/${opts.repository}`;
  const statement = Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: imageName, digest: { sha256: opts.digest.slice('sha256:'.length) } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: { buildType: 'https://example.com/sigstorebuild-interop/oci/v1', externalParameters: { image: imageName } },
      runDetails: { builder: { id: 'https://example.com/sigstorebuild-interop/oci.mjs' } },
    },
  }));

  try {
    const builder = bundleBuilderFromSigningConfig({ signingConfig, identityProvider, bundleType: 'dsseEnvelope' });
    const bundle = bundleToJSON(await builder.create({ data: statement, type: IN_TOTO }));
    const descriptor = await attachArtifactToImage({
      imageName,
      imageDigest: opts.digest,
      artifact: Buffer.from(JSON.stringify(bundle)),
      mediaType: bundle.mediaType,
      annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': SLSA_PROVENANCE_V1 },
      credentials: undefined, // anonymous: @sigstore/oci signs in only when given credentials
    });
    console.log(JSON.stringify(descriptor));
    return 0;
  } catch (e) {
    console.error(`attach failed: ${e?.stack ?? e}`);
    if (e?.cause) console.error(`cause: ${e.cause?.stack ?? e.cause}`);
    return 1;
  }
}
