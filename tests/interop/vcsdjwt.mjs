// The OpenWallet Foundation's generic SD-JWT library (@sd-jwt/core, pinned in package.json) securing W3C
// credentials as VC-JOSE-COSE `application/vc+sd-jwt` (the VC JSON is the SD-JWT payload: no vct, no iss), for
// vcnode's envelope interop tests. Keys are JWKs; ES256 with @sd-jwt/crypto-nodejs, EdDSA with node:crypto.
// Reads a JSON array of jobs on stdin, writes a JSON array of results on stdout:
//   {op: "generate", alg}                                   -> {privateJwk, publicJwk}   (alg: ES256, EdDSA)
//   {op: "issue", alg, privateJwk, payload, disclosureFrame, header} -> {token}
//   {op: "present", token, frame, kb?}                      -> {token}   (frame: {credentialSubject: {grade: true}};
//                                                              kb: {alg, privateJwk, aud, nonce} adds a KB-JWT)
//   {op: "verify", token, issuerJwk}                        -> {verified, header, payload} or {verified: false, message}
// Nothing here touches the network.
import crypto from 'node:crypto';
import {ES256, digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import {SDJwtInstance} from '@sd-jwt/core';
import {runJobs} from './common.mjs';

const b64url = data => Buffer.from(data).toString('base64url');

function signer(alg, privateJwk) {
  if(alg === 'ES256') {
    return ES256.getSigner(privateJwk);
  }
  const key = crypto.createPrivateKey({key: privateJwk, format: 'jwk'});
  return async data => b64url(crypto.sign(null, Buffer.from(data), key));
}

function verifier(publicJwk) {
  if(publicJwk.kty === 'EC') {
    return ES256.getVerifier(publicJwk);
  }
  const key = crypto.createPublicKey({key: publicJwk, format: 'jwk'});
  return async (data, signature) => crypto.verify(null, Buffer.from(data), key, Buffer.from(signature, 'base64url'));
}

function instance(options) {
  return new SDJwtInstance({hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt, ...options});
}

async function run(job) {
  switch(job.op) {
    case 'generate': {
      if(job.alg === 'ES256') {
        const pair = await ES256.generateKeyPair();
        return {privateJwk: pair.privateKey, publicJwk: pair.publicKey};
      }
      const {privateKey, publicKey} = crypto.generateKeyPairSync('ed25519');
      return {privateJwk: privateKey.export({format: 'jwk'}), publicJwk: publicKey.export({format: 'jwk'})};
    }
    case 'issue': {
      const sdjwt = instance({signer: await signer(job.alg, job.privateJwk), signAlg: job.alg});
      return {token: await sdjwt.issue(job.payload, job.disclosureFrame, {header: job.header})};
    }
    case 'present': {
      // kb: {alg, privateJwk, aud, nonce, iat?}: the holder adds a KB-JWT (typ kb+jwt, sd_hash) for aud and nonce
      const options = job.kb ? {kb: {payload: {iat: job.kb.iat ?? Math.floor(Date.now() / 1000), aud: job.kb.aud,
        nonce: job.kb.nonce}}} : {};
      const sdjwt = instance(job.kb ? {kbSigner: await signer(job.kb.alg, job.kb.privateJwk), kbSignAlg: job.kb.alg}
        : {});
      return {token: await sdjwt.present(job.token, job.frame, options)};
    }
    case 'verify':
      try {
        const result = await instance({verifier: await verifier(job.issuerJwk)}).verify(job.token);
        return {verified: true, header: result.header, payload: result.payload};
      } catch(error) {
        return {verified: false, message: String(error.message)};
      }
    default:
      throw new Error(`unknown op ${job.op}`);
  }
}

await runJobs(run);
