// The Digital Credentials Consortium's stack as an independent implementation for vcnode's interop tests:
// @digitalcredentials/verifier-core (the Learner Credential Wallet's verifier) verifies, and the DCC forks of
// the signing libraries (@digitalcredentials/vc, data-integrity, eddsa-rdfc-2022, Ed25519Signature2020) sign.
// Reads a JSON array of jobs on stdin, writes a JSON array of results on stdout:
//   {op: "sign", suite, secretKeyMultibase, credential}                -> {document}
//   {op: "verify", credential, documents?}                              -> verifier-core's result (see summary);
//     `documents` ({url: document}, such as a status list credential) are served by its loader for this job
//   {op: "verifyPresentation", presentation, challenge}                 -> verifier-core's result (see summary)
//   {op: "bundledContexts"}  -> {same, different}: URLs verifier-core's own loader serves identically to
//                               vcnode's pinned contexts, and those it serves differently
// Every result also has `refused`: the network requests the job attempted (all refused; see below).
//
// Nothing is fetched. verifier-core builds its document loader once, at import, from
// @digitalcredentials/security-document-loader with fetchRemoteContexts: true, and takes no loader option;
// so a module resolve hook hands verifier-core a stand-in module whose loader serves only the contexts
// from the directories named in argv (vcnode's pinned contexts), a verify job's documents and did:key
// documents (DCC's own did:key driver). It is passed an empty list of issuer registries, so it looks none
// up. Anything else that would go to the network (its OB 3.0 JSON-schema check fetches the schema with
// fetch()) is refused and listed.
import net from 'node:net';
import {register} from 'node:module';
import * as vc from '@digitalcredentials/vc';
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import {cryptosuite as rdfc} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import {Ed25519Signature2020} from '@digitalcredentials/ed25519-signature-2020';
import * as Ed25519Multikey from '@digitalcredentials/ed25519-multikey';
import * as DidKey from '@digitalcredentials/did-method-key';
import {securityLoader} from '@digitalcredentials/security-document-loader';
import {didKeyPair, loadContexts, runJobs, staticDocumentLoader} from './common.mjs';

// stdout carries the results only: the libraries' console.log diagnostics go to stderr.
console.log = console.info = console.error;

let refused = [];
globalThis.fetch = async input => {
  const url = String(input?.url ?? input);
  refused.push(url);
  throw new Error(`network refused: ${url}`);
};
net.Socket.prototype.connect = function connect(...args) {
  refused.push(`socket ${JSON.stringify(args[0])}`);
  throw new Error('network refused');
};

const contexts = loadContexts(process.argv.slice(2));
const didKey = DidKey.driver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
const documentLoader = staticDocumentLoader(contexts, didKey);

globalThis.vcnodeInteropDocumentLoader = documentLoader;
const standIn = 'data:text/javascript,' + encodeURIComponent(
  'export function securityLoader() {' +
  '  globalThis.vcnodeInteropStandInUsed = true;' +
  '  return {build: () => url => globalThis.vcnodeInteropDocumentLoader(url)};' +
  '}');
register('data:text/javascript,' + encodeURIComponent(`
  export async function resolve(specifier, context, next) {
    if(specifier === '@digitalcredentials/security-document-loader' &&
      context.parentURL?.includes('/@digitalcredentials/verifier-core/')) {
      return {url: ${JSON.stringify(standIn)}, shortCircuit: true};
    }
    return next(specifier, context);
  }`));
const {verifyCredential, verifyPresentation} = await import('@digitalcredentials/verifier-core');
if(!globalThis.vcnodeInteropStandInUsed) {
  throw new Error('verifier-core did not take the static document loader (has its module layout changed?)');
}

function keyPair(secretKeyMultibase) {
  return didKeyPair(Ed25519Multikey, secretKeyMultibase);
}

function signingSuite(name, key) {
  if(name === 'Ed25519Signature2020') {
    return new Ed25519Signature2020({key});
  }
  if(name === 'eddsa-rdfc-2022') {
    return new DataIntegrityProof({signer: key.signer(), cryptosuite: rdfc});
  }
  throw new Error(`the DCC stack has no ${name} suite`);
}

const message = value => typeof value === 'string' ? value
  : String(value?.errors?.map(e => e.message).join('; ') || value?.message || value);

// verifier-core's result without the echoed credential and stack traces, as JSON.
function summary(result) {
  const out = {};
  if(result.log) {
    out.log = result.log;
  }
  if(result.errors) {
    out.errors = result.errors.map(e => ({name: e.name, message: message(e.message)}));
  }
  if(result.additionalInformation) {
    out.additionalInformation = result.additionalInformation;
  }
  return out;
}

const canonical = value => JSON.stringify(value, (key, x) =>
  x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x);

async function bundledContexts() {
  const theirs = securityLoader({fetchRemoteContexts: false}).build();
  const same = [];
  const different = [];
  for(const [url, ours] of contexts) {
    let document;
    try {
      ({document} = await theirs(url));
    } catch{
      continue;  // not bundled with verifier-core: it would fetch this one
    }
    document = typeof document === 'string' ? JSON.parse(document) : document;
    (canonical(document) === canonical(ours) ? same : different).push(url);
  }
  return {same, different};
}

async function run(job) {
  if(job.op === 'sign') {
    const key = await keyPair(job.secretKeyMultibase);
    const credential = {...job.credential, issuer: job.credential.issuer ?? key.controller};
    return {document: await vc.issue({credential, suite: signingSuite(job.suite, key), documentLoader})};
  }
  if(job.op === 'verify') {
    globalThis.vcnodeInteropDocumentLoader = staticDocumentLoader(contexts, didKey, job.documents);
    try {
      return summary(await verifyCredential({credential: job.credential, knownDIDRegistries: []}));
    } finally {
      globalThis.vcnodeInteropDocumentLoader = documentLoader;
    }
  }
  if(job.op === 'verifyPresentation') {
    const result = await verifyPresentation({presentation: job.presentation, challenge: job.challenge,
      knownDIDRegistries: []});
    if(result.errors) {
      return summary(result);
    }
    const {signature, errors} = result.presentationResult;
    return {presentationResult: {signature, ...(errors && {errors: errors.map(e => message(e.message))})},
      credentialResults: result.credentialResults.map(summary)};
  }
  if(job.op === 'bundledContexts') {
    return bundledContexts();
  }
  throw new Error(`unknown op ${job.op}`);
}

await runJobs(async job => {
  refused = [];
  let result;
  try {
    result = await run(job);
  } catch(e) {
    result = {error: message(e)};
  }
  return {...result, refused};
});
