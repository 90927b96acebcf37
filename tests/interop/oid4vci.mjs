// An OpenID4VCI wallet made of the protocol layer of the Credo wallet framework (@openid4vc/openid4vci,
// @openid4vc/oauth2, pinned in package.json) with keys and signatures by the Node `jose` library: it drives
// vcnode's pre-authorised code flow. Reads a JSON array of jobs on stdin, writes a JSON array of results:
//   {op: "claim", offer, txCode, key: "did:jwk" | "did:jwk:P-384" | "did:key", configuration?, attack?}
//     -> {ok, credential?, subject, error?: {stage, error, description}, steps: [...]}
//   {op: "authcode", offer, loginCode, key, configuration?, attack?}: the authorisation code flow (below)
// `keep: true` ("claim") adds {holder: {alg, kid, privateJwk}}: the holder key, for oid4vp.mjs to present with.
// `details: true` (either op) asks by RFC 9396 authorization_details instead (token request, or authorisation
// request): the wallet reads the credential_identifiers the token response grants and requests the
// credential by credential_identifier, the request checked by the library's own credential request parser.
// `attack` "configurationId" then sends credential_configuration_id instead, "unknownIdentifier" a made-up one.
// The wallet resolves the credential offer (credential_offer_uri), fetches the issuer and authorisation
// server metadata, redeems the pre-authorised code with the tx_code, asks for a c_nonce, has the library build
// the proof JWT (typ openid4vci-proof+jwt, aud, nonce, iat) and `jose` sign it with an ES256 did:jwk or an
// EdDSA did:key key, and requests the credential. `attack` makes one step wrong the way a faulty or hostile
// client would: "wrongTxCode" (repeated `tries` times), "reuseCode", "replayProof", "staleProof", "wrongAud",
// "wrongNonce". `configuration` is the credential configuration asked for (OpenBadgeCredential_ldp_vc unless
// said: EUDILearningCredential_dc+sd-jwt gets an SD-JWT VC, a string). Every URL is the node's on 127.0.0.1 (http: allowInsecureUrls); nothing else is contacted.
import crypto from 'node:crypto';
import * as jose from 'jose';
import {Openid4vciClient, Openid4vciIssuer} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous, resourceRequest, setGlobalConfig} from '@openid4vc/oauth2';
import {base58Encode, runJobs} from './common.mjs';

setGlobalConfig({allowInsecureUrls: true});

const LDP = 'OpenBadgeCredential_ldp_vc';


// A holder key made by jose: an ES256 did:jwk, an ES384 did:jwk ("did:jwk:P-384") or an EdDSA (Ed25519)
// did:key, with the kid of its one method.
async function holderKey(kind) {
  const alg = {'did:jwk': 'ES256', 'did:jwk:P-384': 'ES384'}[kind] ?? 'EdDSA';
  const {privateKey, publicKey} = await jose.generateKeyPair(alg, {extractable: true});
  const publicJwk = await jose.exportJWK(publicKey);
  let did, kid;
  if(kind.startsWith('did:jwk')) {
    did = `did:jwk:${jose.base64url.encode(JSON.stringify(publicJwk))}`;
    kid = `${did}#0`;
  } else {
    const multikey = 'z' + base58Encode(Uint8Array.from([0xed, 0x01, ...jose.base64url.decode(publicJwk.x)]));
    did = `did:key:${multikey}`;
    kid = `${did}#${multikey}`;
  }
  return {alg, privateKey, publicJwk, did, kid};
}

function callbacks(key) {
  return {
    fetch,
    hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest()),
    generateRandom: bytes => new Uint8Array(crypto.randomBytes(bytes)),
    clientAuthentication: clientAuthenticationAnonymous(),
    // The library builds the header and payload; jose signs them.
    signJwt: async (signer, {header, payload}) => {
      const jwt = await new jose.SignJWT(payload).setProtectedHeader({...header, alg: key.alg}).sign(key.privateKey);
      return {jwt, signerJwk: key.publicJwk};
    },
  };
}

function oauthError(stage, error) {
  const body = error.errorResponse ?? error.response?.body ?? error.credentialErrorResponseResult?.data ??
    error.credentialResponseResult?.data;
  return {stage, error: body?.error ?? error.name, description: body?.error_description ?? String(error.message)};
}

async function proof(client, key, issuerMetadata, nonce, overrides = {}, configuration = LDP) {
  const {jwt} = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: configuration, nonce,
    signer: {method: 'did', didUrl: key.kid, alg: key.alg}, issuedAt: overrides.issuedAt,
  });
  if(!overrides.aud) {
    return jwt;
  }
  // A client that got the audience wrong: the same proof for another issuer, signed by jose.
  const payload = jose.decodeJwt(jwt);
  const header = jose.decodeProtectedHeader(jwt);
  return new jose.SignJWT({...payload, aud: overrides.aud}).setProtectedHeader(header).sign(key.privateKey);
}

// The library throws Openid4vciRetrieveCredentialsError on an error answer, carrying the parsed response.
async function credentialRequest(client, issuerMetadata, accessToken, jwt, configuration = LDP) {
  let response;
  try {
    response = await client.retrieveCredentials({
      issuerMetadata, accessToken, credentialConfigurationId: configuration, proofs: {jwt: [jwt]},
    });
  } catch(error) {
    if(!error.response) {
      throw error;
    }
    const data = error.response.credentialErrorResponseResult?.data;
    return {ok: false, error: {stage: 'credential', error: data?.error, description: data?.error_description,
      status: error.response.response?.status}};
  }
  return {ok: true, credential: response.credentialResponse.credentials[0].credential};
}

// RFC 9396 authorization_details asking for one configuration of this issuer (OID4VCI 1.0 section 5.1.1).
function authorizationDetails(issuerMetadata, configuration) {
  return [{type: 'openid_credential', credential_configuration_id: configuration,
    locations: [issuerMetadata.credentialIssuer.credential_issuer]}];
}

// A credential request by credential_identifier (OID4VCI 1.0 section 8.2). The client's retrieveCredentials
// always sends credential_configuration_id, so the request is built here, validated by the library's parser
// (the one its issuer side uses) and sent with the library's resource request (Bearer access token).
async function identifierRequest(key, issuerMetadata, accessToken, jwt, tokenResponse, attack) {
  const [granted] = tokenResponse.authorization_details ?? [];
  if(!granted?.credential_identifiers?.length) {
    return {ok: false, error: {stage: 'token', error: 'no credential_identifiers granted'}};
  }
  const identifier = attack === 'unknownIdentifier' ? 'CivilEngineeringDegree-2023' :
    granted.credential_identifiers[0];
  const credentialRequest = attack === 'configurationId' ?
    {credential_configuration_id: granted.credential_configuration_id, proofs: {jwt: [jwt]}} :
    {credential_identifier: identifier, proofs: {jwt: [jwt]}};
  const parsed = new Openid4vciIssuer({callbacks: callbacks(key)}).parseCredentialRequest({
    issuerMetadata, credentialRequest});
  if(attack !== 'configurationId' && parsed.credentialIdentifier !== identifier) {
    throw new Error('the library did not read the credential_identifier');
  }
  const {ok, response} = await resourceRequest({
    callbacks: callbacks(key), accessToken, url: issuerMetadata.credentialIssuer.credential_endpoint,
    requestOptions: {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(credentialRequest)},
  });
  const body = await response.json();
  if(!ok) {
    return {ok: false, error: {stage: 'credential', error: body.error, description: body.error_description,
      status: response.status}, granted};
  }
  return {ok: true, credential: body.credentials[0].credential, granted};
}

// What every flow does first: the holder key, the client, the offer and the issuer's metadata.
async function begin(job) {
  const key = await holderKey(job.key);
  const client = new Openid4vciClient({callbacks: callbacks(key)});
  const steps = [];
  const credentialOffer = await client.resolveCredentialOffer(job.offer);
  steps.push('offer');
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  steps.push('metadata');
  return {key, client, steps, credentialOffer, issuerMetadata};
}

async function claim(job) {
  const {key, client, steps, credentialOffer, issuerMetadata} = await begin(job);
  const attack = job.attack;
  const configuration = job.configuration ?? LDP;
  const additionalRequestPayload = job.details ?
    {authorization_details: authorizationDetails(issuerMetadata, configuration)} : undefined;
  const token = txCode => client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, txCode, additionalRequestPayload});
  if(attack === 'wrongTxCode') {
    const errors = [];
    for(let i = 0; i < job.tries; i++) {
      try {
        await token(job.wrongTxCode);
        errors.push({stage: 'token', error: 'accepted'});
      } catch(error) {
        errors.push(oauthError('token', error));
      }
    }
    let last;
    try {  // the right PIN, after the wrong ones
      await token(job.txCode);
      last = {ok: true};
    } catch(error) {
      last = {ok: false, error: oauthError('token', error)};
    }
    return {ok: false, errors, last, subject: key.did};
  }
  let accessToken, tokenResponse;
  try {
    ({accessTokenResponse: tokenResponse} = await token(job.txCode));
    accessToken = tokenResponse.access_token;
  } catch(error) {
    return {ok: false, error: oauthError('token', error), subject: key.did, steps};
  }
  steps.push('token');
  if(attack === 'reuseCode') {
    try {
      await token(job.txCode);
      return {ok: true, subject: key.did, steps};
    } catch(error) {
      return {ok: false, error: oauthError('token', error), subject: key.did, steps};
    }
  }
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  steps.push('nonce');
  const overrides = {
    staleProof: {issuedAt: new Date(Date.now() - 3_600_000)},
    wrongAud: {aud: 'https://issuer.example'},
  }[attack] ?? {};
  if(!credentialOffer.credential_configuration_ids.includes(configuration) ||
     !issuerMetadata.credentialIssuer.credential_configurations_supported[configuration]) {
    return {ok: false, error: {stage: 'offer', error: `${configuration} is not offered`}, subject: key.did, steps};
  }
  const jwt = await proof(client, key, issuerMetadata, attack === 'wrongNonce' ? 'a-nonce-never-issued' : nonce,
    overrides, configuration);
  const result = job.details ? await identifierRequest(key, issuerMetadata, accessToken, jwt, tokenResponse, attack) :
    await credentialRequest(client, issuerMetadata, accessToken, jwt, configuration);
  steps.push('credential');
  if(attack === 'replayProof' && result.ok) {
    // The same proof again: its nonce was spent by the first request.
    const again = await credentialRequest(client, issuerMetadata, accessToken, jwt, configuration);
    return {...again, first: result, subject: key.did, steps};
  }
  // `keep: true`: the wallet keeps the holder key, to present the credential in another run (oid4vp.mjs).
  const kept = job.keep ?
    {holder: {alg: key.alg, kid: key.kid, privateJwk: await jose.exportJWK(key.privateKey)}} : {};
  return {...result, subject: key.did, publicJwk: key.publicJwk, ...kept, steps};
}

// The learner's browser on the issuer's login page: fetch it (keeping its cookie), read the form's hidden
// fields, type the code, submit, and read where the node redirects (never followed: the wallet's redirect_uri).
async function browserLogin(authorizationRequestUrl, loginCode, tamper = {}) {
  const page = await fetch(authorizationRequestUrl, {redirect: 'manual'});
  const html = await page.text();
  if(page.status !== 200) {
    return {status: page.status, location: page.headers.get('location'), html};
  }
  const fields = {};
  for(const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[decodeEntities(name)] = decodeEntities(value);
  }
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const action = new URL(html.match(/<form method="post" action="([^"]*)"/)[1], authorizationRequestUrl);
  const response = await fetch(action, {
    method: 'POST', redirect: 'manual',
    headers: {'Content-Type': 'application/x-www-form-urlencoded', ...(tamper.noCookie ? {} : {Cookie: cookie})},
    body: new URLSearchParams({...fields, ...(tamper.fields ?? {}), login_code: loginCode}),
  });
  return {status: response.status, location: response.headers.get('location'), html: await response.text(), fields};
}

function decodeEntities(text) {
  return text.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const REDIRECT_URI = 'https://wallet.example/callback';
const CLIENT_ID = 'credo-protocol-wallet';

// The authorisation code flow: the library builds the authorisation request (PKCE S256, issuer_state, scope),
// the test plays the browser, the library parses the redirect (checking iss) and redeems the code with the
// verifier. `attack`: "wrongVerifier" (another PKCE verifier at the token endpoint), "reuseCode" (the code
// twice), "noCookie" (the form posted from another browser: 403), "wrongLoginCode".
async function authcode(job) {
  const {key, client, steps, credentialOffer, issuerMetadata} = await begin(job);
  const configuration = job.configuration ?? LDP;
  const scope = issuerMetadata.credentialIssuer.credential_configurations_supported[configuration].scope;
  // By scope, or by authorization_details (then no scope: the details alone say what is asked for).
  const authorization = await client.initiateAuthorization({
    credentialOffer, issuerMetadata, clientId: CLIENT_ID, redirectUri: REDIRECT_URI,
    ...(job.details ? {additionalRequestPayload: {authorization_details: authorizationDetails(issuerMetadata,
      configuration)}} : {scope})});
  if(authorization.authorizationFlow !== 'Oauth2Redirect') {
    return {ok: false, error: {stage: 'authorize', error: authorization.authorizationFlow}, steps};
  }
  const request = Object.fromEntries(new URL(authorization.authorizationRequestUrl).searchParams);
  steps.push('authorize');
  const attack = job.attack;
  const login = await browserLogin(authorization.authorizationRequestUrl,
    attack === 'wrongLoginCode' ? job.wrongLoginCode : job.loginCode, {noCookie: attack === 'noCookie'});
  if(login.status !== 303) {
    return {ok: false, error: {stage: 'login', status: login.status}, request, steps};
  }
  steps.push('login');
  const authorizationServerMetadata = issuerMetadata.authorizationServers[0];
  const response = client.parseAndVerifyAuthorizationResponseRedirectUrl({
    url: login.location, authorizationServerMetadata});
  if(response.error) {
    return {ok: false, error: {stage: 'redirect', error: response.error, description: response.error_description},
      request, steps};
  }
  const token = verifier => client.retrieveAuthorizationCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, authorizationCode: response.code, pkceCodeVerifier: verifier,
    redirectUri: REDIRECT_URI, additionalRequestPayload: {client_id: CLIENT_ID}});
  let accessToken, tokenResponse;
  try {
    const verifier = attack === 'wrongVerifier' ? 'x'.repeat(43) : authorization.pkce.codeVerifier;
    ({accessTokenResponse: tokenResponse} = await token(verifier));
    accessToken = tokenResponse.access_token;
  } catch(error) {
    return {ok: false, error: oauthError('token', error), request, steps};
  }
  steps.push('token');
  if(attack === 'reuseCode') {
    try {
      await token(authorization.pkce.codeVerifier);
      return {ok: true, request, steps};
    } catch(error) {
      return {ok: false, error: oauthError('token', error), request, steps};
    }
  }
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  steps.push('nonce');
  const jwt = await proof(client, key, issuerMetadata, nonce, {}, configuration);
  const result = job.details ? await identifierRequest(key, issuerMetadata, accessToken, jwt, tokenResponse, attack) :
    await credentialRequest(client, issuerMetadata, accessToken, jwt, configuration);
  steps.push('credential');
  return {...result, subject: key.did, request, state: response.state, steps};
}

await runJobs(async job => {
  if(job.op !== 'claim' && job.op !== 'authcode') {
    throw new Error(`unknown op ${job.op}`);
  }
  try {
    return job.op === 'authcode' ? await authcode(job) : await claim(job);
  } catch(error) {
    return {ok: false, error: oauthError('unexpected', error), stack: String(error.stack).slice(0, 2000)};
  }
});
