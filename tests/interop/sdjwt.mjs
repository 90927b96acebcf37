// The OpenWallet Foundation's SD-JWT libraries (@sd-jwt/sd-jwt-vc, @sd-jwt/jwt-status-list, pinned in
// package.json) as an independent SD-JWT VC issuer, holder and verifier for vcnode's interop tests. Keys are
// JWKs; ES256 signs with @sd-jwt/crypto-nodejs, EdDSA with node:crypto (the package has no EdDSA). Reads a JSON
// array of jobs on stdin, writes a JSON array of results on stdout:
//   {op: "generate", alg}                                   -> {privateJwk, publicJwk}   (alg: ES256, EdDSA)
//   {op: "issue", alg, privateJwk, claims, disclosureFrame, header}
//                                                           -> {token}   (typ dc+sd-jwt; claims include iss, vct…)
//   {op: "present", token, frame, kb?: {alg, privateJwk, aud, nonce, iat}}
//                                                           -> {token}   (frame: {claim: true}; kb adds a KB-JWT)
//   {op: "verify", token, issuerJwk, nonce?, aud?, statusLists?: {uri: token}, requiredClaims?}
//                                                           -> {verified, payload, kb} or {verified: false, message}
//        (the issuer's key is given; the KB-JWT is verified with the cnf.jwk of the credential; status list
//         tokens are served from statusLists and verified with issuerJwk; no network)
//   {op: "statusListToken", alg, privateJwk, statuses, bits, payload, header}
//                                                           -> {token}   (payload: sub, iat, exp, ttl, iss…)
//   {op: "readStatusList", token, issuerJwk, alg, indexes}  -> {verified, bits, statuses, header, payload}
//   {op: "typeMetadata", document}                          -> {valid, issues}   (the library's zod schema)
//   {op: "bench", tokens, issuerJwk, aud, nonce}            -> {seconds, verified}  (each token verified once)
//   {op: "verifyIssued", token, issuer}                     -> {verified, payload, kid, status, message?}
//        (over the network, as a relying party would: the issuer's key is the `kid` of the token's header
//         looked up in <issuer>/.well-known/jwt-vc-issuer, and its DID must be the `iss`; the status list
//         token is fetched by the library's own fetcher (Accept and Content-Type application/statuslist+jwt)
//         and verified with the same key; `status` is the entry as @sd-jwt/jwt-status-list reads it)
import crypto from 'node:crypto';
import {ES256, digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import {SDJwtVcInstance, TypeMetadataFormatSchema} from '@sd-jwt/sd-jwt-vc';
import {Jwt} from '@sd-jwt/core';
import {StatusList, createHeaderAndPayload, getListFromStatusListJWT} from '@sd-jwt/jwt-status-list';
import {runJobs} from './common.mjs';

const b64url = data => Buffer.from(data).toString('base64url');

async function signer(alg, privateJwk) {
  if(alg === 'ES256') {
    return ES256.getSigner(privateJwk);
  }
  const key = crypto.createPrivateKey({key: privateJwk, format: 'jwk'});
  return async data => b64url(crypto.sign(null, Buffer.from(data), key));
}

// A verifier for whichever key type the JWK is (the callbacks of @sd-jwt get no alg).
async function verifier(publicJwk) {
  if(publicJwk.kty === 'EC') {
    return ES256.getVerifier(publicJwk);
  }
  const key = crypto.createPublicKey({key: publicJwk, format: 'jwk'});
  return async (data, signature) => crypto.verify(null, Buffer.from(data), key, Buffer.from(signature, 'base64url'));
}

function instance(options) {
  return new SDJwtVcInstance({hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt, ...options});
}

async function verifierInstance(job) {
  const issuerVerifier = await verifier(job.issuerJwk);
  return instance({
    verifier: issuerVerifier,
    statusVerifier: issuerVerifier,
    kbVerifier: async (data, signature, payload) => {
      const holder = payload?.cnf?.jwk;
      if(!holder) {
        return false;
      }
      return (await verifier(holder))(data, signature);
    },
    statusListFetcher: async uri => {
      if(!job.statusLists || !Object.hasOwn(job.statusLists, uri)) {
        throw new Error(`no status list served for ${uri}`);
      }
      return job.statusLists[uri];
    },
    statusValidator: async status => {
      if(status !== 0) {
        throw new Error(`status is ${status}`);
      }
    },
  });
}

async function verify(job) {
  try {
    const sdjwt = await verifierInstance(job);
    const result = await sdjwt.verify(job.token, {keyBindingNonce: job.nonce, requiredClaimKeys: job.requiredClaims});
    if(job.aud !== undefined && result.kb?.payload?.aud !== job.aud) {
      return {verified: false, message: `KB-JWT aud ${result.kb?.payload?.aud} is not ${job.aud}`};
    }
    return {verified: true, payload: result.payload, header: result.header, kb: result.kb?.payload ?? null};
  } catch(error) {
    return {verified: false, message: String(error.message)};
  }
}

// The issuer's key for a token: its header's kid in the issuer's JWT VC Issuer Metadata (the DID URL of the
// key, whose DID is the token's iss).
async function issuerKey(token, issuer) {
  const [encodedHeader, encodedPayload] = token.split('~')[0].split('.');
  const header = JSON.parse(Buffer.from(encodedHeader, 'base64url'));
  const payload = JSON.parse(Buffer.from(encodedPayload, 'base64url'));
  const response = await fetch(`${issuer}/.well-known/jwt-vc-issuer`);
  const metadata = await response.json();
  if(metadata.issuer !== issuer) {
    throw new Error(`the metadata's issuer ${metadata.issuer} is not ${issuer}`);
  }
  const jwk = metadata.jwks.keys.find(key => key.kid === header.kid);
  if(!jwk) {
    throw new Error(`no key ${header.kid} in the issuer's jwks`);
  }
  if(header.kid.split('#')[0] !== payload.iss) {
    throw new Error(`the key ${header.kid} is not one of the iss ${payload.iss}`);
  }
  return {jwk, kid: header.kid, uri: payload.status?.status_list?.uri, idx: payload.status?.status_list?.idx};
}

async function verifyIssued(job) {
  let key;
  try {
    key = await issuerKey(job.token, job.issuer);
  } catch(error) {
    return {verified: false, message: String(error.message)};
  }
  const issuerVerifier = await verifier(key.jwk);
  let status = null;
  if(key.uri) {  // read separately by @sd-jwt/jwt-status-list, to report the entry whatever it is
    const response = await fetch(key.uri, {headers: {Accept: 'application/statuslist+jwt'}});
    const text = await response.text();
    const jwt = Jwt.fromEncode(text);
    await jwt.verify(issuerVerifier);
    status = getListFromStatusListJWT(text).getStatus(key.idx);
  }
  try {
    const sdjwt = instance({verifier: issuerVerifier});  // the library's own status fetcher and validator
    const result = await sdjwt.verify(job.token);
    return {verified: true, payload: result.payload, kid: key.kid, status};
  } catch(error) {
    return {verified: false, message: String(error.message), kid: key.kid, status};
  }
}

async function run(job) {
  switch(job.op) {
    case 'generate': {
      const pair = job.alg === 'ES256' ? await ES256.generateKeyPair()
        : await (async () => {
          const {privateKey, publicKey} = crypto.generateKeyPairSync('ed25519');
          return {privateKey: privateKey.export({format: 'jwk'}), publicKey: publicKey.export({format: 'jwk'})};
        })();
      return {privateJwk: pair.privateKey, publicJwk: pair.publicKey};
    }
    case 'issue': {
      const sdjwt = instance({signer: await signer(job.alg, job.privateJwk), signAlg: job.alg});
      return {token: await sdjwt.issue(job.claims, job.disclosureFrame, {header: job.header ?? {}})};
    }
    case 'present': {
      const options = {};
      if(job.kb) {
        options.kb = {payload: {iat: job.kb.iat ?? Math.floor(Date.now() / 1000), aud: job.kb.aud,
          nonce: job.kb.nonce}};
      }
      const sdjwt = instance(job.kb ? {kbSigner: await signer(job.kb.alg, job.kb.privateJwk), kbSignAlg: job.kb.alg}
        : {});
      return {token: await sdjwt.present(job.token, job.frame, options)};
    }
    case 'verify':
      return verify(job);
    case 'verifyIssued':
      return verifyIssued(job);
    case 'statusListToken': {
      const list = new StatusList(job.statuses, job.bits);
      const {header, payload} = createHeaderAndPayload(list, {...job.payload}, {alg: job.alg, ...job.header});
      const jwt = new Jwt({header, payload});
      return {token: await jwt.sign(await signer(job.alg, job.privateJwk))};
    }
    case 'readStatusList': {
      try {
        const jwt = Jwt.fromEncode(job.token);
        await jwt.verify(await verifier(job.issuerJwk));
        const list = getListFromStatusListJWT(job.token);
        return {verified: true, bits: list.getBitsPerStatus(), header: jwt.header, payload: jwt.payload,
          statuses: job.indexes.map(index => list.getStatus(index))};
      } catch(error) {
        return {verified: false, message: String(error.message)};
      }
    }
    case 'typeMetadata': {
      const parsed = TypeMetadataFormatSchema.safeParse(job.document);
      return {valid: parsed.success, issues: parsed.success ? [] : parsed.error.issues};
    }
    case 'bench': {
      // One verifier for the issuer (its key imported once), as a relying party keeps it; each presentation
      // brings its own holder key. Counted: presentations whose KB-JWT and aud verified.
      const sdjwt = await verifierInstance(job);
      let verified = 0;
      const started = process.hrtime.bigint();
      for(const token of job.tokens) {
        try {
          const result = await sdjwt.verify(token, {keyBindingNonce: job.nonce});
          verified += result.kb?.payload?.aud === job.aud ? 1 : 0;
        } catch {
          // counted as not verified
        }
      }
      return {seconds: Number(process.hrtime.bigint() - started) / 1e9, verified};
    }
    default:
      throw new Error(`unknown op ${job.op}`);
  }
}

await runJobs(run);
