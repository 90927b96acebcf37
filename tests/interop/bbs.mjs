// Digital Bazaar's @digitalbazaar/bbs-signatures (BBS, ciphersuite BLS12-381-SHA-256) as an independent
// implementation for vcnode's BBS interop tests. Reads a JSON array of jobs on stdin, writes a JSON array of
// results on stdout; every byte string is hex:
//   {op: "keygen"}                                                         -> {secretKey, publicKey}
//   {op: "sign", secretKey, publicKey, header, messages}                   -> {signature}
//   {op: "verify", publicKey, signature, header, messages}                 -> {verified, error}
//   {op: "deriveProof", publicKey, signature, header, presentationHeader, messages, disclosedIndexes}
//                                                                          -> {proof}
//   {op: "verifyProof", publicKey, proof, header, presentationHeader, disclosedMessages, disclosedIndexes}
//                                                                          -> {verified, error}
// and the bbs-2023 cryptosuite (@digitalbazaar/bbs-2023-cryptosuite with @digitalbazaar/vc), did:key issuers:
//   {op: "sign2023", credential, publicKeyMultibase, secretKeyMultibase, mandatoryPointers} -> {document}
//   {op: "derive2023", document, selectivePointers, presentationHeader}   -> {document}
//   {op: "verify2023", document}                                          -> {verified, error}
//   {op: "benchVerify2023", documents}                                    -> {seconds, verified}
//     each document verified once, one after another (scripts/bench_verify.py)
// Contexts come only from the directories named in argv (vcnode's pinned contexts); nothing is fetched.
import * as bbs from '@digitalbazaar/bbs-signatures';
import * as Bls12381Multikey from '@digitalbazaar/bls12-381-multikey';
import * as DidKey from '@digitalbazaar/did-method-key';
import * as vc from '@digitalbazaar/vc';
import {createDiscloseCryptosuite, createSignCryptosuite, createVerifyCryptosuite}
  from '@digitalbazaar/bbs-2023-cryptosuite';
import {loadContexts, runJobs, staticDocumentLoader} from './common.mjs';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';

const didKey = DidKey.driver();
didKey.use({multibaseMultikeyHeader: 'zUC7', fromMultibase: Bls12381Multikey.from});
const documentLoader = staticDocumentLoader(loadContexts(process.argv.slice(2)), didKey);

const ciphersuite = bbs.CIPHERSUITES.BLS12381_SHA256;
const bytes = hex => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = data => Buffer.from(data).toString('hex');

async function run(job) {
  switch(job.op) {
    case 'keygen': {
      const {secretKey, publicKey} = await bbs.generateKeyPair({ciphersuite});
      return {secretKey: hex(secretKey), publicKey: hex(publicKey)};
    }
    case 'sign':
      return {signature: hex(await bbs.sign({
        secretKey: bytes(job.secretKey), publicKey: bytes(job.publicKey), header: bytes(job.header),
        messages: job.messages.map(bytes), ciphersuite}))};
    case 'verify':
      return {verified: await bbs.verifySignature({
        publicKey: bytes(job.publicKey), signature: bytes(job.signature), header: bytes(job.header),
        messages: job.messages.map(bytes), ciphersuite})};
    case 'deriveProof':
      return {proof: hex(await bbs.deriveProof({
        publicKey: bytes(job.publicKey), signature: bytes(job.signature), header: bytes(job.header),
        presentationHeader: bytes(job.presentationHeader), messages: job.messages.map(bytes),
        disclosedMessageIndexes: job.disclosedIndexes, ciphersuite}))};
    case 'verifyProof':
      return {verified: await bbs.verifyProof({
        publicKey: bytes(job.publicKey), proof: bytes(job.proof), header: bytes(job.header),
        presentationHeader: bytes(job.presentationHeader), disclosedMessages: job.disclosedMessages.map(bytes),
        disclosedMessageIndexes: job.disclosedIndexes, ciphersuite})};
    case 'sign2023': {
      const did = `did:key:${job.publicKeyMultibase}`;
      const key = await Bls12381Multikey.from({publicKeyMultibase: job.publicKeyMultibase,
        secretKeyMultibase: job.secretKeyMultibase, controller: did, id: `${did}#${job.publicKeyMultibase}`});
      const suite = new DataIntegrityProof({signer: key.signer(),
        cryptosuite: createSignCryptosuite({mandatoryPointers: job.mandatoryPointers})});
      return {document: await vc.issue({credential: job.credential, suite, documentLoader})};
    }
    case 'derive2023': {
      const suite = new DataIntegrityProof({cryptosuite: createDiscloseCryptosuite({
        selectivePointers: job.selectivePointers, presentationHeader: bytes(job.presentationHeader)})});
      return {document: await vc.derive({verifiableCredential: job.document, suite, documentLoader})};
    }
    case 'verify2023': {
      const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
      const result = await vc.verifyCredential({credential: job.document, suite, documentLoader});
      const error = result.error?.errors?.[0]?.message ?? result.error?.message ?? null;
      return {verified: result.verified, error};
    }
    case 'benchVerify2023': {
      const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
      let verified = 0;
      const started = process.hrtime.bigint();
      for(const credential of job.documents) {
        const result = await vc.verifyCredential({credential, suite, documentLoader});
        verified += result.verified === true ? 1 : 0;
      }
      return {seconds: Number(process.hrtime.bigint() - started) / 1e9, verified};
    }
    default:
      throw new Error(`unknown op ${job.op}`);
  }
}

await runJobs(async job => {
  try {
    return await run(job);
  } catch(e) {
    return {verified: false, error: e.message};
  }
});
