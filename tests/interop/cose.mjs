// @auth0/cose (RFC 9052 / 9053, pinned in package.json) as an independent COSE_Sign1 implementation for vcnode's
// vc+cose interop tests. Reads a JSON array of jobs on stdin, writes a JSON array of results on stdout:
//   {op: "sign", alg, privateJwk, payload, headers} -> {envelope}
//     alg: ES256, ES384, EdDSA; payload: a UTF-8 string; headers: {label: value} protected header parameters
//     besides alg (a kid, label 4, is given as text and signed as its UTF-8 bytes, as COSE wants a bstr);
//     envelope: the tagged COSE_Sign1, base64
//   {op: "verify", envelope, publicJwk} -> {verified, payload, headers} or {verified: false, error}
//     headers: the protected header parameters ({label: value}, byte strings as UTF-8 text)
// Keys are node:crypto KeyObjects made from the JWKs; nothing here touches the network.
import crypto from 'node:crypto';
import {Algorithms, Sign1} from '@auth0/cose';
import {runJobs} from './common.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function protectedHeaders(alg, headers) {
  const map = new Map([[1, Algorithms[alg]]]);
  for(const [label, value] of Object.entries(headers ?? {})) {
    map.set(Number(label), Number(label) === 4 ? encoder.encode(value) : value);
  }
  return map;
}

async function verify(envelope, publicJwk) {
  try {
    const message = Sign1.decode(Buffer.from(envelope, 'base64'));
    await message.verify(crypto.createPublicKey({key: publicJwk, format: 'jwk'}));
    const headers = {};
    for(const [label, value] of message.protectedHeaders) {
      headers[label] = value instanceof Uint8Array ? decoder.decode(value) : value;
    }
    return {verified: true, payload: decoder.decode(message.payload), headers};
  } catch(error) {
    return {verified: false, error: `${error.code ?? error.name}: ${error.message}`};
  }
}

async function run(job) {
  switch(job.op) {
    case 'sign': {
      const key = crypto.createPrivateKey({key: job.privateJwk, format: 'jwk'});
      const message = await Sign1.sign(protectedHeaders(job.alg, job.headers), new Map(),
        encoder.encode(job.payload), key);
      return {envelope: Buffer.from(message.encode()).toString('base64')};
    }
    case 'verify':
      return verify(job.envelope, job.publicJwk);
    default:
      throw new Error(`unknown op ${job.op}`);
  }
}

await runJobs(run);
