// An OpenID4VP wallet made of the protocol layer of the Credo wallet framework (@openid4vc/openid4vp,
// @openid4vc/oauth2, pinned in package.json), the `dcql` package for matching, @sd-jwt/sd-jwt-vc for the
// credential and `jose` for keys. Reads a JSON array of jobs on stdin, writes a JSON array of results:
//   {op: "present", link, credential: {format: "dc+sd-jwt", claims, frame?, issuerAlg?} | {format: "ldp_vc",
//    presentation}, attack?, disclose?}
//     -> {ok, status, body, clientId, nonce, dcql, match, holder, steps, error?}
//   {op: "resolve", link} -> {clientId, nonce, dcql, steps}   (the verified request, to sign an ldp_vp for)
//   {op: "match", query, credentials: [DCQL credential]} -> {matches: [bool per credential]}
// "present" parses the openid4vp:// link, fetches and verifies the signed request object (a
// decentralized_identifier client id: the JAR's kid must be a did:key URL of the client's DID, resolved here
// from the did:key itself; nothing is fetched but the node's URLs), matches the credential against the DCQL query
// with `dcql`, and answers with direct_post. For dc+sd-jwt it issues the SD-JWT VC itself (issuer: a fresh
// did:key, EdDSA or ES256; cnf: the holder's ES256 key, did:jwk) and presents it with a KB-JWT for the client id
// and nonce. For ldp_vc it sends the given presentation (signed by the test with the nonce and client id).
// {format: "dc+sd-jwt", token, holder: {alg, privateJwk}} presents a credential the wallet already holds (an
// SD-JWT VC received over OID4VCI, oid4vci.mjs with `keep`): it discloses only the claims the DCQL query names
// (or `disclose`) and signs the KB-JWT with the holder key the credential's cnf binds.
// `attack`: "wrongNonce", "wrongAud", "noKb", "tamper" (a changed disclosure), "replay" (the same response
// twice), "wrongState", "algNone" (a KB-JWT with alg none), "staleKb".
import crypto from 'node:crypto';
import * as jose from 'jose';
import {Openid4vpClient} from '@openid4vc/openid4vp';
import {setGlobalConfig} from '@openid4vc/oauth2';
import {DcqlQuery} from 'dcql';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {digest, generateSalt} from '@sd-jwt/crypto-nodejs';
import {base58Decode, base58Encode, runJobs} from './common.mjs';

setGlobalConfig({allowInsecureUrls: true});


// did:key resolution, as the did:key method specifies it: the multicodec prefix says the key type.
function didKeyJwk(did) {
  const bytes = base58Decode(did.slice('did:key:z'.length));
  if(bytes[0] === 0xed && bytes[1] === 0x01) {
    return {kty: 'OKP', crv: 'Ed25519', x: jose.base64url.encode(bytes.slice(2))};
  }
  if(bytes[0] === 0x80 && bytes[1] === 0x24) {  // P-256, compressed point
    const key = crypto.createPublicKey({key: Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), bytes.slice(2)]),
    format: 'der', type: 'spki'});
    return key.export({format: 'jwk'});
  }
  throw new Error(`did:key of an unsupported key type: ${did}`);
}

async function issuerKey(alg) {
  const {privateKey, publicKey} = await jose.generateKeyPair(alg, {extractable: true});
  const jwk = await jose.exportJWK(publicKey);
  let multikey;
  if(alg === 'EdDSA') {
    multikey = 'z' + base58Encode(Uint8Array.from([0xed, 0x01, ...jose.base64url.decode(jwk.x)]));
  } else {
    const raw = crypto.createPublicKey({key: jwk, format: 'jwk'}).export({format: 'der', type: 'spki'}).subarray(-65);
    const compressed = Uint8Array.from([(raw[64] & 1) ? 3 : 2, ...raw.subarray(1, 33)]);
    multikey = 'z' + base58Encode(Uint8Array.from([0x80, 0x24, ...compressed]));
  }
  const did = `did:key:${multikey}`;
  return {alg, privateKey, jwk, did, kid: `${did}#${multikey}`};
}

function signerOf(alg, privateKey) {
  return async data => {
    const signature = crypto.sign(alg === 'ES256' ? 'sha256' : null, Buffer.from(data),
      alg === 'ES256' ? {key: privateKey, dsaEncoding: 'ieee-p1363'} : privateKey);
    return Buffer.from(signature).toString('base64url');
  };
}

const callbacks = {
  fetch,
  hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest()),
  generateRandom: bytes => new Uint8Array(crypto.randomBytes(bytes)),
  // The request object's signer: a did:key URL whose DID is the client's; its key from the did:key itself.
  verifyJwt: async (signer, {compact}) => {
    if(signer.method !== 'did' || !signer.didUrl.startsWith('did:key:')) {
      return {verified: false};
    }
    const did = signer.didUrl.split('#')[0];
    const jwk = didKeyJwk(did);
    try {
      await jose.compactVerify(compact, await jose.importJWK(jwk, signer.alg));
      return {verified: true, signerJwk: jwk};
    } catch {
      return {verified: false};
    }
  },
};

async function sdJwtPresentation(job, request, holder) {
  const issuer = await issuerKey(job.credential.issuerAlg ?? 'EdDSA');
  const sdjwt = new SDJwtVcInstance({hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt,
    signer: signerOf(issuer.alg, issuer.privateKey), signAlg: issuer.alg,
    kbSigner: signerOf('ES256', holder.privateKey), kbSignAlg: 'ES256'});
  const claims = {iss: issuer.did, iat: Math.floor(Date.now() / 1000), ...job.credential.claims,
    cnf: {jwk: holder.jwk}};
  const frame = {_sd: Object.keys(job.credential.claims).filter(k => k !== 'vct')};
  const issued = await sdjwt.issue(claims, frame, {header: {kid: issuer.kid, typ: 'dc+sd-jwt'}});
  const aud = job.attack === 'wrongAud' ? 'decentralized_identifier:did:example:other' : request.client_id;
  const nonce = job.attack === 'wrongNonce' ? 'not-the-nonce' : request.nonce;
  const iat = Math.floor(Date.now() / 1000) - (job.attack === 'staleKb' ? 3600 : 0);
  const disclose = Object.fromEntries((job.disclose ?? frame._sd).map(k => [k, true]));
  let token = job.attack === 'noKb' ? await sdjwt.present(issued, disclose)
    : await sdjwt.present(issued, disclose, {kb: {payload: {iat, aud, nonce}}});
  if(job.attack === 'tamper') {  // a disclosure changed after issuance: another value for the first disclosed claim
    const parts = token.split('~');
    const [salt, name] = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    parts[1] = Buffer.from(JSON.stringify([salt, name, 'forged'])).toString('base64url');
    token = parts.join('~');
  }
  if(job.attack === 'algNone') {  // the KB-JWT replaced by an unsigned one
    const parts = token.split('~');
    const kb = jose.decodeJwt(parts.at(-1));
    parts[parts.length - 1] = new jose.UnsecuredJWT(kb).encode().replace(/^[^.]+/,
      Buffer.from(JSON.stringify({alg: 'none', typ: 'kb+jwt'})).toString('base64url'));
    token = parts.join('~');
  }
  const decoded = await sdjwt.decode(token);
  const dcqlCredential = {credential_format: 'dc+sd-jwt', vct: claims.vct, cryptographic_holder_binding: true,
    claims: await decoded.getClaims(digest)};
  return {token, dcqlCredential, issuer: issuer.did};
}

// A held SD-JWT VC presented as a wallet does: the disclosures the query asks for, a KB-JWT for the client id
// and nonce signed with the holder's key.
async function heldSdJwtPresentation(job, request, query) {
  const {token, holder} = job.credential;
  const privateKey = crypto.createPrivateKey({key: holder.privateJwk, format: 'jwk'});
  const sdjwt = new SDJwtVcInstance({hasher: digest, hashAlg: 'sha-256',
    kbSigner: signerOf(holder.alg, privateKey), kbSignAlg: holder.alg});
  const asked = job.disclose ?? query.credentials[0].claims?.map(claim => claim.path[0]) ?? [];
  const disclose = Object.fromEntries(asked.map(name => [name, true]));
  const presented = await sdjwt.present(token, disclose,
    {kb: {payload: {iat: Math.floor(Date.now() / 1000), aud: request.client_id, nonce: request.nonce}}});
  const claims = await (await sdjwt.decode(presented)).getClaims(digest);
  return {token: presented, issuer: claims.iss, disclosed: Object.keys(claims),
    dcqlCredential: {credential_format: 'dc+sd-jwt', vct: claims.vct, cryptographic_holder_binding: true, claims}};
}

async function present(job) {
  const steps = [];
  const client = new Openid4vpClient({callbacks});
  const parsed = client.parseOpenid4vpAuthorizationRequest({authorizationRequest: job.link});
  steps.push(parsed.type);
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({authorizationRequestPayload: parsed.params});
  const request = resolved.authorizationRequestPayload;
  steps.push(resolved.jar ? 'jarVerified' : 'unsigned');
  const query = DcqlQuery.parse(resolved.dcql.query);
  DcqlQuery.validate(query);
  const holderPair = await jose.generateKeyPair('ES256', {extractable: true});
  const holder = {privateKey: holderPair.privateKey, jwk: await jose.exportJWK(holderPair.publicKey)};
  let presentation, dcqlCredential, issuer, disclosed;
  if(job.credential.token) {
    ({token: presentation, dcqlCredential, issuer, disclosed} = await heldSdJwtPresentation(job, request, query));
  } else if(job.credential.format === 'dc+sd-jwt') {
    ({token: presentation, dcqlCredential, issuer} = await sdJwtPresentation(job, request, holder));
  } else {
    presentation = job.credential.presentation;
    const vc = [].concat(presentation.verifiableCredential)[0];
    dcqlCredential = {credential_format: 'ldp_vc', type: [].concat(vc.type), claims: vc,
      cryptographic_holder_binding: true};
  }
  const match = DcqlQuery.query(query, [dcqlCredential]);
  steps.push(match.can_be_satisfied ? 'matched' : 'notMatched');
  const {authorizationResponsePayload} = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: {vp_token: {[query.credentials[0].id]: [presentation]}},
  });
  if(job.attack === 'wrongState') {
    authorizationResponsePayload.state = 'not-the-state';
  }
  const submit = async () => {
    const {response} = await client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request, authorizationResponsePayload});
    return {status: response.status, body: await response.json()};
  };
  const first = await submit();
  steps.push('submitted');
  const out = {ok: first.status === 200, ...first, clientId: request.client_id, nonce: request.nonce,
    dcql: resolved.dcql.query, match: match.can_be_satisfied, holder: job.credential.token ? null : holder.jwk,
    issuer, disclosed, steps,
    version: resolved.version, clientPrefix: resolved.client.prefix};
  if(job.attack === 'replay') {
    out.replay = await submit();
  }
  return out;
}

async function run(job) {
  if(job.op === 'match') {
    const query = DcqlQuery.parse(job.query);
    DcqlQuery.validate(query);
    const matches = job.credentials.map(c => DcqlQuery.query(query, [c]).can_be_satisfied);
    return {matches};
  }
  try {
    if(job.op === 'resolve') {
      const client = new Openid4vpClient({callbacks});
      const parsed = client.parseOpenid4vpAuthorizationRequest({authorizationRequest: job.link});
      const resolved = await client.resolveOpenId4vpAuthorizationRequest({authorizationRequestPayload: parsed.params});
      const request = resolved.authorizationRequestPayload;
      return {clientId: request.client_id, nonce: request.nonce, dcql: resolved.dcql.query,
        steps: [parsed.type, resolved.jar ? 'jarVerified' : 'unsigned']};
    }
    return await present(job);
  } catch(error) {
    return {ok: false, error: {name: error.name, message: String(error.message),
      response: error.errorResponse ?? null}};
  }
}

runJobs(run);
