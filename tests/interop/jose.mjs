// The Node `jose` library (panva/jose, pinned in package.json) as an independent JWS implementation for
// vcnode's JOSE interop tests. Reads a JSON array of jobs on stdin, writes a JSON array of results on stdout:
//   {op: "generate", alg}                          -> {privateJwk, publicJwk}   (alg: EdDSA, Ed25519, ES256)
//   {op: "sign", alg, privateJwk, payload, header} -> {token}   (payload: a UTF-8 string; header: extra members)
//   {op: "verify", token, publicJwk, algorithms}   -> {verified, header, payload} or {verified: false, code}
//   {op: "verifyDidJwk", token, algorithms}        -> as verify, with the key decoded from the header's kid,
//                                                     a did:jwk DID URL (jose's own base64url and importJWK)
//   {op: "unsecured", claims}                      -> {token}   (an alg "none" JWT, jose's UnsecuredJWT)
//   {op: "bench", tokens, publicJwk, alg, seconds} -> {perSecond}   (compactVerify + JSON.parse of each token,
//                                                     cycled for about `seconds`; scripts/bench_verify.py)
// Nothing here touches the network.
import * as jose from 'jose';
import {runJobs} from './common.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function verify(token, publicJwk, algorithms) {
  try {
    const alg = algorithms?.[0];
    const key = await jose.importJWK(publicJwk, alg);
    const {payload, protectedHeader} = await jose.compactVerify(token, key, {algorithms});
    return {verified: true, header: protectedHeader, payload: decoder.decode(payload)};
  } catch(error) {
    return {verified: false, code: error.code ?? error.name, message: String(error.message)};
  }
}

async function run(job) {
  switch(job.op) {
    case 'generate': {
      const {privateKey, publicKey} = await jose.generateKeyPair(job.alg, {extractable: true});
      return {privateJwk: await jose.exportJWK(privateKey), publicJwk: await jose.exportJWK(publicKey)};
    }
    case 'sign': {
      const key = await jose.importJWK(job.privateJwk, job.alg);
      const token = await new jose.CompactSign(encoder.encode(job.payload))
        .setProtectedHeader({...job.header, alg: job.alg}).sign(key);
      return {token};
    }
    case 'verify':
      return verify(job.token, job.publicJwk, job.algorithms);
    case 'verifyDidJwk': {
      const {kid} = jose.decodeProtectedHeader(job.token);
      if(typeof kid !== 'string' || !kid.startsWith('did:jwk:')) {
        return {verified: false, code: 'NOT_DID_JWK'};
      }
      const publicJwk = JSON.parse(decoder.decode(jose.base64url.decode(kid.slice(8).split('#')[0])));
      return {...await verify(job.token, publicJwk, job.algorithms), publicJwk};
    }
    case 'bench': {
      const key = await jose.importJWK(job.publicJwk, job.alg);
      let done = 0;
      const started = performance.now();
      while(performance.now() - started < job.seconds * 1000) {
        for(const token of job.tokens) {
          const {payload} = await jose.compactVerify(token, key, {algorithms: [job.alg]});
          JSON.parse(decoder.decode(payload));
        }
        done += job.tokens.length;
      }
      return {perSecond: done / ((performance.now() - started) / 1000)};
    }
    case 'unsecured':
      return {token: new jose.UnsecuredJWT(job.claims).encode()};
    default:
      throw new Error(`unknown op ${job.op}`);
  }
}

await runJobs(run);
