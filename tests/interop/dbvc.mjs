// Digital Bazaar's VC stack as an independent implementation for vcnode's interop tests.
// Reads a JSON array of jobs on stdin, writes a JSON array of results on stdout:
//   {op: "sign", suite, secretKeyMultibase, credential}              -> {document}
//     (a P-256 or P-384 key, for ecdsa-jcs-2019 or ecdsa-rdfc-2019, also needs its publicKeyMultibase `zDn…` /
//     `z82…`; Ed25519 is made from the seed)
//     (ecdsa-sd-2023: a base proof, with the job's `mandatoryPointers`)
//   {op: "derive", credential, selectivePointers}                     -> {document}  (ecdsa-sd-2023 holder)
//   {op: "verify", credential, documents?}                            -> {verified, error}
//   {op: "benchVerify", credentials}                                  -> {seconds, verified}
//     each credential verified once, one after another, as "verify" does (scripts/bench_verify.py)
//     with `documents` ({url: document}: status list credentials), as for checkStatus below, a credential
//     with credentialStatus is verified with their checkStatus (which @digitalbazaar/vc requires for one)
//   {op: "signPresentation", suite, secretKeyMultibase, presentation, challenge, domain} -> {document}
//   {op: "verifyPresentation", presentation, challenge, domain}       -> {verified, error}
//   {op: "checkStatus", credential, documents}                        -> {verified, error, results}
//     @digitalbazaar/vc-bitstring-status-list's checkStatus; `documents` ({url: document}) holds the status
//     list credentials its loader serves; results: [{statusPurpose, statusListIndex, statusListCredential,
//     status}] per BitstringStatusListEntry (status: their boolean, the bit they read)
//   {op: "signStatusList", suite, secretKeyMultibase, id, statusPurpose, length, set, context?} -> {document}
//     a BitstringStatusListCredential made with their createList / createCredential, the entries `set`
//     (indexes) set, signed with @digitalbazaar/vc as the key's did:key
// Contexts come only from the directories named in argv (vcnode's pinned contexts); nothing is fetched.
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as rdfc} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createSignCryptosuite, createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {createSignCryptosuite as ecdsaJcsSign, createVerifyCryptosuite as ecdsaJcsVerify}
  from '@digitalbazaar/ecdsa-jcs-2019-cryptosuite';
import {cryptosuite as ecdsaRdfc} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {createDiscloseCryptosuite as ecdsaSdDisclose, createSignCryptosuite as ecdsaSdSign,
  createVerifyCryptosuite as ecdsaSdVerify} from '@digitalbazaar/ecdsa-sd-2023-cryptosuite';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as DidKey from '@digitalbazaar/did-method-key';
import {checkStatus, createCredential as createStatusListCredential, createList}
  from '@digitalbazaar/vc-bitstring-status-list';
import {didKeyPair, loadContexts, runJobs, staticDocumentLoader} from './common.mjs';

const contexts = loadContexts(process.argv.slice(2));

const didKey = DidKey.driver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
didKey.use({multibaseMultikeyHeader: 'zDna', fromMultibase: EcdsaMultikey.from});  // P-256
didKey.use({multibaseMultikeyHeader: 'z82L', fromMultibase: EcdsaMultikey.from});  // P-384

const documentLoader = staticDocumentLoader(contexts, didKey);

function keyPair(secretKeyMultibase, publicKeyMultibase) {
  if(publicKeyMultibase?.startsWith('zDn') || publicKeyMultibase?.startsWith('z82')) {
    // P-256 / P-384: as vcnode's did:key identity of that key
    const did = `did:key:${publicKeyMultibase}`;
    return EcdsaMultikey.from({publicKeyMultibase, secretKeyMultibase, controller: did,
      id: `${did}#${publicKeyMultibase}`});
  }
  return didKeyPair(Ed25519Multikey, secretKeyMultibase);
}

function signingSuite(name, key, job = {}) {
  if(name === 'ecdsa-sd-2023') {
    return new DataIntegrityProof({signer: key.signer(),
      cryptosuite: ecdsaSdSign({mandatoryPointers: job.mandatoryPointers ?? []})});
  }
  if(name === 'Ed25519Signature2020') {
    return new Ed25519Signature2020({key});
  }
  const cryptosuite = {'eddsa-rdfc-2022': rdfc, 'eddsa-jcs-2022': createSignCryptosuite(),
    'ecdsa-jcs-2019': ecdsaJcsSign(), 'ecdsa-rdfc-2019': ecdsaRdfc}[name];
  return new DataIntegrityProof({signer: key.signer(), cryptosuite});
}

const verifyingSuites = () => [
  new DataIntegrityProof({cryptosuite: rdfc}),
  new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
  new DataIntegrityProof({cryptosuite: ecdsaJcsVerify()}),
  new DataIntegrityProof({cryptosuite: ecdsaRdfc}),
  new DataIntegrityProof({cryptosuite: ecdsaSdVerify()}),
  new Ed25519Signature2020()
];

function summary(result) {
  const error = result.error ? String(result.error.errors?.[0]?.message ?? result.error.message ?? result.error)
    : undefined;
  return {verified: result.verified === true, error};
}

async function run(job) {
  try {
    if(job.op === 'sign') {
      const key = await keyPair(job.secretKeyMultibase, job.publicKeyMultibase);
      const credential = {...job.credential, issuer: job.credential.issuer ?? key.controller};
      return {document: await vc.issue({credential, suite: signingSuite(job.suite, key, job), documentLoader})};
    }
    if(job.op === 'derive') {
      const suite = new DataIntegrityProof({
        cryptosuite: ecdsaSdDisclose({selectivePointers: job.selectivePointers})});
      return {document: await vc.derive({verifiableCredential: job.credential, suite, documentLoader})};
    }
    if(job.op === 'benchVerify') {
      let verified = 0;
      const started = process.hrtime.bigint();
      for(const credential of job.credentials) {
        const result = await vc.verifyCredential({credential, suite: verifyingSuites(), documentLoader});
        verified += result.verified === true ? 1 : 0;
      }
      return {seconds: Number(process.hrtime.bigint() - started) / 1e9, verified};
    }
    if(job.op === 'verify') {
      const status = job.documents ?
        {checkStatus, documentLoader: staticDocumentLoader(contexts, didKey, job.documents)} : {documentLoader};
      return summary(await vc.verifyCredential({credential: job.credential, suite: verifyingSuites(), ...status}));
    }
    if(job.op === 'signPresentation') {
      const key = await keyPair(job.secretKeyMultibase);
      const presentation = {...job.presentation, holder: key.controller};
      return {document: await vc.signPresentation({presentation, suite: signingSuite(job.suite, key),
        challenge: job.challenge, domain: job.domain, documentLoader})};
    }
    if(job.op === 'verifyPresentation') {
      return summary(await vc.verify({presentation: job.presentation, challenge: job.challenge,
        domain: job.domain, suite: verifyingSuites(), documentLoader}));
    }
    if(job.op === 'checkStatus') {
      const result = await checkStatus({credential: job.credential, suite: verifyingSuites(),
        documentLoader: staticDocumentLoader(contexts, didKey, job.documents)});
      return {...summary(result), results: (result.results ?? []).map(({credentialStatus: entry, status}) => ({
        statusPurpose: entry.statusPurpose, statusListIndex: entry.statusListIndex,
        statusListCredential: entry.statusListCredential, status}))};
    }
    if(job.op === 'signStatusList') {
      const key = await keyPair(job.secretKeyMultibase);
      const list = await createList({length: job.length});
      for(const index of job.set) {
        list.setStatus(index, true);
      }
      const unsigned = await createStatusListCredential({id: job.id, list, statusPurpose: job.statusPurpose,
        context: job.context});
      const credential = {...unsigned, issuer: key.controller};
      return {document: await vc.issue({credential, suite: signingSuite(job.suite, key), documentLoader})};
    }
    return {error: `unknown op ${job.op}`};
  } catch(e) {
    return {verified: false, error: String(e?.message ?? e)};
  }
}

await runJobs(run);
