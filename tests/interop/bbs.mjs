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
import * as bbs from '@digitalbazaar/bbs-signatures';
import {runJobs} from './common.mjs';

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
