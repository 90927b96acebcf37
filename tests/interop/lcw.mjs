// The DCC Learner Credential Wallet (LCW) as an independent holder for vcnode's exchange tests: it replays
// what LCW v2.2.10 does (openwallet-foundation-labs/learner-credential-wallet, commit 1c46a82, the v2.2.10
// release plus two unrelated commits) with LCW's own signing stack from npm: @digitalcredentials/vc 10.0.2,
// @digitalcredentials/ed25519-signature-2020 6.0.0 (installed as lcw-ed25519-signature-2020),
// @digitalcredentials/ed25519-verification-key-2020 5.0.0 and @digitalcredentials/did-method-key 3.0.0.
// Nothing of LCW's code is copied; its behaviour is replayed from these files:
//   app/lib/did.ts (mintDid)                 the profile's did:key, from a 32-byte seed
//   app/lib/profile.ts (signersFromKey)      the authentication signer
//   app/screens/AddScreen/AddScreen.tsx      addCredentialsFrom: how a scanned or pasted link is dispatched
//   app/lib/decode.ts                        isLegacyCredentialRequest, legacyRequestParamsFromUrl,
//                                            credentialsFrom (a plain URL is fetched as a credential)
//   app/lib/interactionUrl.ts                isInteractionUrl, parseInteractionUrl, fetchInteractionProtocols
//   app/lib/navigationUtil.ts                redirectInteractionUrl, redirectRequestRoute
//   app/lib/walletRequestApi.ts              isDeepLink, parseWalletApiUrl (query-string + decodeURI),
//                                            parseWalletApiMessage, isDidAuthRequested, isWalletApiMessage
//   app/screens/ExchangeCredentials/ExchangeCredentials.tsx   runExchange: POST {}, isVPRFlow, staging
//   app/lib/exchanges.ts                     processMessageChain, processRequest, vcMatchesFor, sendToExchanger
//   app/lib/credentialMatching.ts            credentialMatchesVprExampleQuery (jsonpath-plus lookups replaced
//                                            by the same own-property walk), filterCredentialRecordsByType
//   app/lib/composeVp.ts                     the VP: createPresentation + signPresentation(challenge, domain)
//   app/lib/credentialRequest.ts, present.ts, parseResponse.ts, verifiableObject.ts   the legacy
//                                            vc_request_url flow and extractCredentialsFrom
// Where LCW asks the user (confirm, pick a profile, select credentials) the replay says yes and sends every
// match (processRequest with modals disabled, as LCW's own tests run it). Not replayed: LCW's verification
// of what it receives (verifier-core with registries fetched from the network; LCW only logs the outcome),
// zcap requests, VPQR codes.
//
// Reads a JSON array of jobs on stdin, writes a JSON array of results on stdout (seeds are 64 hex chars):
//   {op: "claim", link, seed}                  -> {did, flow, credentials, staged, redirectUrl, presentation,
//                                                  response, requests}
//   {op: "legacyClaim", link, seed}            -> the same, for a legacy vc_request_url link only
//   {op: "present", link, seed, credentials}   -> the same; credentials are the wallet's stored credentials
//   {op: "signDidAuth", seed, challenge, domain, credentials?} -> {did, verificationMethod, presentation}
//   {op: "verifyPresentation", presentation, challenge, domain?} -> {verified, errors?}: LCW's stack
//                                                  (@digitalcredentials/vc verify() with the 6.0.0 suite)
//   {op: "match", example, credentials}        -> {matches}: indices of the credentials LCW's
//                                                  filterCredentialRecordsByType selects for the example
// `flow` is how LCW dispatched the link ("vcapi", "legacy" or "credentialsFrom"); `credentials` what the flow
// received; `staged` whether LCW v2.2.10 would then offer them to the user to store (ExchangeCredentials
// stages nothing in a flow whose first answer was a presentation request: see runExchange below);
// `presentation` the VP LCW sent (null if none), `response` the exchanger's last answer; `requests` every
// HTTP request made ({method, url, status}). Every result also has `refused` (network requests refused) and,
// when LCW would have failed, `error` (its message).
//
// Nothing is fetched from the network: fetch() and sockets reach http://127.0.0.1 only (the node under
// test), everything else is refused and listed; the document loader serves vcnode's pinned contexts (the
// directories named in argv) and did:key documents, where LCW's securityLoader would fetch what it lacks.
import net from 'node:net';
import {randomUUID} from 'node:crypto';
import * as vc from '@digitalcredentials/vc';
import {Ed25519Signature2020} from 'lcw-ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalcredentials/ed25519-verification-key-2020';
import * as DidMethodKey from '@digitalcredentials/did-method-key';
import {decode as decodeHtmlEntities} from 'html-entities';
import {loadContexts, runJobs, staticDocumentLoader} from './common.mjs';

// stdout carries the results only: the libraries' console.log diagnostics go to stderr.
console.log = console.info = console.warn = console.error;

// --- the network: the node under test only ---------------------------------------------------------------

let requests = [];
let refused = [];

function isNodeUnderTest(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' && parsed.hostname === '127.0.0.1';
  } catch{
    return false;
  }
}

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = String(input?.url ?? input);
  const method = String(init.method ?? input?.method ?? 'GET').toUpperCase();
  if(!isNodeUnderTest(url)) {
    refused.push(url);
    throw new Error(`network refused: ${url}`);
  }
  const entry = {method, url, status: null};
  requests.push(entry);
  const response = await realFetch(input, init);
  entry.status = response.status;
  return response;
};
// A second line of defence (redirects, libraries with their own HTTP clients): sockets to 127.0.0.1 only.
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const options = Array.isArray(args[0]) ? args[0][0] : args[0];
  const host = options !== null && typeof options === 'object' ? options.host : args[1];
  if(host !== '127.0.0.1' || options?.path) {
    refused.push(`socket ${JSON.stringify(options)}`);
    throw new Error('network refused');
  }
  return realConnect.apply(this, args);
};

const contexts = loadContexts(process.argv.slice(2));

// --- the profile: did.ts mintDid + profile.ts signersFromKey ----------------------------------------------

function didKeyDriver() {
  const driver = DidMethodKey.driver();
  driver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519VerificationKey2020.from});
  return driver;
}
const documentLoader = staticDocumentLoader(contexts, didKeyDriver());

function seedBytes(seed) {
  if(typeof seed !== 'string' || !/^[0-9a-fA-F]{64}$/.test(seed)) {
    throw new Error('seed must be 64 hex characters (32 bytes)');
  }
  return Uint8Array.from(seed.match(/../g), byte => parseInt(byte, 16));
}

async function profileFor(seed) {
  const verificationKeyPair = await Ed25519VerificationKey2020.generate({seed: seedBytes(seed)});
  const {didDocument} = await didKeyDriver().fromKeyPair({verificationKeyPair});
  const did = didDocument.id;
  verificationKeyPair.controller = did;
  verificationKeyPair.id = `${did}#${verificationKeyPair.fingerprint()}`;
  const verificationKey = verificationKeyPair.export({publicKey: true, privateKey: true});
  const keyPair = await Ed25519VerificationKey2020.from(verificationKey);
  return {did, verificationMethod: keyPair.id, verificationKey, signers: {authentication: keyPair.signer()}};
}

// --- composeVp.ts and present.ts --------------------------------------------------------------------------

async function composeVp({profile, selectedVcs = [], challenge, domain, didAuthRequested}) {
  if(!didAuthRequested && selectedVcs.length === 0) {
    throw new Error('A VP requires either credentials or a DID Auth request.');
  }
  if(didAuthRequested && !(challenge && domain)) {
    throw new Error('Both "challenge" and "domain" are required for DID Auth.');
  }
  if(!didAuthRequested) {
    return vc.createPresentation({verifiableCredential: selectedVcs, verify: false});
  }
  const presentation = vc.createPresentation({
    holder: profile.did, verifiableCredential: selectedVcs.length > 0 ? selectedVcs : undefined, verify: false});
  return vc.signPresentation({presentation, challenge, domain, documentLoader,
    suite: new Ed25519Signature2020({signer: profile.signers.authentication})});
}

// present.ts createVerifiablePresentation: the legacy flow's VP (a challenge, no domain).
async function createVerifiablePresentation({profile, verifiableCredential, challenge = randomUUID()}) {
  const suite = new Ed25519Signature2020({key: await Ed25519VerificationKey2020.from(profile.verificationKey)});
  const presentation = vc.createPresentation({verifiableCredential, holder: profile.did, verify: false});
  return vc.signPresentation({presentation, suite, challenge, documentLoader});
}

// --- link parsing: walletRequestApi.ts, decode.ts, interactionUrl.ts (query-string 7 semantics) -----------

const DEEP_LINK_PREFIXES = ['dccrequest://', 'org.dcconsortium://', 'https://lcw.app/request', 'interaction:',
  'https://lcw.app/mobile'];  // app.config.js LinkConfig.schemes

const isDeepLink = text => DEEP_LINK_PREFIXES.some(prefix => text.startsWith(prefix));

// decode-uri-component (query-string's decoder): like decodeURIComponent, but leaves what it cannot decode.
function lenientDecode(value) {
  try {
    return decodeURIComponent(value);
  } catch{
    return value.replace(/(%[0-9a-fA-F]{2})+/g, run => {
      try {
        return decodeURIComponent(run);
      } catch{
        return run;
      }
    });
  }
}

// query-string's parse(): '+' is a space, a key without '=' is null, a repeated key an array.
function parseQuery(query) {
  const result = {};
  query = (query ?? '').trim().replace(/^[?#&]/, '');
  for(const param of query ? query.split('&') : []) {
    if(param === '') {
      continue;
    }
    const spaced = param.replace(/\+/g, ' ');
    const at = spaced.indexOf('=');
    const key = lenientDecode(at < 0 ? spaced : spaced.slice(0, at));
    const value = at < 0 ? null : lenientDecode(spaced.slice(at + 1));
    result[key] = Object.hasOwn(result, key) ? [].concat(result[key], value) : value;
  }
  return result;
}

// query-string's parseUrl(): the query is what follows the first '?', without the hash.
function parseUrlQuery(url) {
  const noHash = url.split('#')[0];
  const start = noHash.indexOf('?');
  return parseQuery(start < 0 ? '' : noHash.slice(start + 1));
}

function isLegacyCredentialRequest(url) {
  if(!isDeepLink(url)) {
    return false;
  }
  const params = parseQuery(url.split('?')[1]);  // decode.ts: between the first and the second '?'
  return 'vc_request_url' in params && 'issuer' in params;
}

function isInteractionUrl(url) {
  if(url.startsWith('interaction:')) {
    return true;
  }
  try {
    return new URL(url).searchParams.has('iuv');
  } catch{
    return false;
  }
}

function parseInteractionUrl(url) {
  if(!url.startsWith('interaction:')) {
    return url;
  }
  const inner = url.slice('interaction:'.length);
  return inner.startsWith('http%3A') || inner.startsWith('https%3A') ? decodeURIComponent(inner) : inner;
}

async function fetchInteractionProtocols(interactionUrl) {
  try {
    new URL(interactionUrl);
  } catch{
    throw new Error(`Invalid interaction URL: ${interactionUrl}`);
  }
  const response = await fetch(interactionUrl, {headers: {Accept: 'application/json'}});
  if(!response.ok) {
    throw new Error(`Interaction URL fetch failed: ${response.status} ${response.statusText}`);
  }
  const body = await response.json();
  if(!body.protocols || typeof body.protocols !== 'object') {
    throw new Error('Interaction URL response missing "protocols" map.');
  }
  return body.protocols;
}

// navigationUtil.ts redirectInteractionUrl: only the vcapi protocol is kept (credentialRequestOrigin is not).
async function interactionMessage(url) {
  const protocols = await fetchInteractionProtocols(parseInteractionUrl(url));
  if(!protocols.vcapi) {
    throw new Error('No supported protocol found in the interaction response. Only "vcapi" is currently supported.');
  }
  return {protocols: {vcapi: protocols.vcapi}};
}

function parseWalletApiMessage(messageObject) {
  for(const key of ['protocols', 'verifiablePresentationRequest', 'verifiablePresentation', 'issueRequest']) {
    if(key in messageObject) {
      return messageObject;
    }
  }
  return undefined;
}

// navigationUtil.ts redirectRequestRoute + walletRequestApi.ts parseWalletApiUrl: the `request` parameter,
// decoded by query-string and then once more by decodeURI, is the JSON message. LCW ignores (logs and does
// nothing with) a link whose message it cannot read; the replay says so as an error.
function deepLinkMessage(url) {
  const messageText = parseUrlQuery(url).request;
  if(messageText === undefined) {
    throw new Error('LCW does nothing with this link: no "request" parameter');
  }
  let messageObject;
  try {
    messageObject = JSON.parse(decodeURI(String(messageText)));
  } catch(e) {
    throw new Error(`LCW does nothing with this link: its "request" is not a message (${e.message})`);
  }
  const message = messageObject !== null && typeof messageObject === 'object' ?
    parseWalletApiMessage(messageObject) : undefined;
  if(message === undefined) {
    throw new Error('LCW does nothing with this link: wallet API message not recognized');
  }
  return message;
}

function isWalletApiMessage(text) {
  let messageObject;
  try {
    messageObject = JSON.parse(text);
  } catch{
    return false;
  }
  return messageObject !== null && typeof messageObject === 'object' &&
    parseWalletApiMessage(messageObject) !== undefined;
}

// --- verifiableObject.ts, decode.ts credentialsFrom ---------------------------------------------------------

const isVerifiableCredential = obj => Boolean(obj?.type?.includes?.('VerifiableCredential'));
const isVerifiablePresentation = obj => Boolean(obj?.type?.includes?.('VerifiablePresentation'));

function extractCredentialsFrom(obj) {
  if(isVerifiableCredential(obj)) {
    return [obj];
  }
  if(isVerifiablePresentation(obj) && 'verifiableCredential' in obj) {
    return [].concat(obj.verifiableCredential);
  }
  return null;
}

async function credentialsFrom(text) {
  if(/^https?:\/\/.+/.test(text)) {
    const response = await fetch(text);
    text = (await response.text()).trim();
  }
  if(/^VP1-[A-Z|0-9]+/.test(text)) {
    throw new Error('VPQR codes are not replayed');
  }
  if(/^{.*}$/s.test(text)) {
    const data = JSON.parse(text);
    if(isVerifiablePresentation(data)) {
      return [].concat(data.verifiableCredential);
    }
    if(isVerifiableCredential(data)) {
      return [data];
    }
    throw new Error('Credential(s) could not be decoded from the JSON.');
  }
  throw new Error('No credentials were resolved from the text');
}

// --- exchanges.ts ------------------------------------------------------------------------------------------

// sendToExchanger: the status is not looked at; any JSON answer (a problem too) is the next message.
async function sendToExchanger({exchangeUrl, payload}) {
  const response = await fetch(exchangeUrl, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(payload)});
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// credentialMatching.ts: the value at a JSONPath `$.credential.<key>...` is found by following own properties
// (jsonpath-plus with the keys escaped as LCW escapes them); the first match is the scope.
function lookup(record, keys) {
  let value = record;
  for(const key of keys) {
    if(!(value && Object.hasOwn(Object(value), key))) {
      return undefined;
    }
    value = value[key];
  }
  return value;
}

function credentialMatchesVprExampleQuery(vprExample, record, keys = ['credential']) {
  const matches = [];
  for(const [key, exampleValue] of Object.entries(vprExample)) {
    const path = [...keys, key];
    const scope = lookup(record, path);
    if(Array.isArray(exampleValue)) {
      if(!Array.isArray(scope) || scope.length < exampleValue.length) {
        return false;
      }
      matches.push(exampleValue.every(value => scope.includes(value)));
    } else if(typeof exampleValue === 'object' && exampleValue !== null) {
      matches.push(credentialMatchesVprExampleQuery(exampleValue, record, path));
    } else {
      matches.push(scope === exampleValue);
    }
  }
  return matches.every(match => match);
}

function filterCredentialRecordsByType(records, query) {
  const example = query.credentialQuery?.example;
  if(!example) {
    return [];
  }
  return records.filter(record => credentialMatchesVprExampleQuery(example, record));
}

function isDidAuthRequested(queries) {
  const didAuthRequests = queries.filter(q => q.type === 'DIDAuthentication');
  if(didAuthRequests.length > 1) {
    throw new Error('More than one DIDAuthentication request found, exiting.');
  }
  return didAuthRequests.length === 1;
}

async function processRequest({request, exchangeUrl, profile, records, trace}) {
  if(!exchangeUrl) {
    throw new Error('Missing exchangeUrl, cannot send response.');
  }
  const queries = Array.isArray(request.query) ? request.query : [request.query];
  let vcMatches = [];
  for(const query of queries.filter(q => q.type === 'QueryByExample')) {
    vcMatches = vcMatches.concat(filterCredentialRecordsByType(records, query));
  }
  const didAuthRequested = isDidAuthRequested(queries);
  const {challenge, domain} = request;
  if(vcMatches.length === 0 && !didAuthRequested) {
    return undefined;  // nothing to send: LCW ends the exchange without telling the exchanger
  }
  const walletResponse = {};
  const selectedVcs = vcMatches.map(record => record.credential);
  if(didAuthRequested || selectedVcs.length > 0) {
    walletResponse.verifiablePresentation = await composeVp({profile, selectedVcs, challenge, domain,
      didAuthRequested});
    trace.presentation = walletResponse.verifiablePresentation;
  }
  trace.response = await sendToExchanger({exchangeUrl, payload: walletResponse});
  return trace.response;
}

// processMessageChain: note that redirectUrl is the one of the message processed, not of the final answer.
async function processMessageChain({exchangeUrl, requestOrOffer, profile, records, trace}) {
  const {redirectUrl} = requestOrOffer;
  if('verifiablePresentation' in requestOrOffer) {
    return {acceptCredentials: extractCredentialsFrom(requestOrOffer.verifiablePresentation), redirectUrl};
  }
  if('verifiablePresentationRequest' in requestOrOffer) {
    const exchangeResponse = await processRequest({request: requestOrOffer.verifiablePresentationRequest,
      exchangeUrl, profile, records, trace});
    if(exchangeResponse?.verifiablePresentation) {
      const acceptCredentials = extractCredentialsFrom(exchangeResponse.verifiablePresentation);
      if(acceptCredentials && acceptCredentials.length > 0) {
        return {acceptCredentials, redirectUrl};
      }
    }
    return {redirectUrl};
  }
  return {};
}

// ExchangeCredentials.tsx runExchange. LCW v2.2.10 stages received credentials for the user only when the
// first message was not a presentation request (`isVPRFlow`, since commit f5769cd): credentials issued in
// answer to a DIDAuthentication request are received but not offered for storage.
async function runExchange(message, profile, records, trace) {
  if('issueRequest' in message) {
    throw new Error('Issue/signing requests not supported yet.');
  }
  let requestOrOffer, exchangeUrl;
  if('protocols' in message) {
    exchangeUrl = message.protocols?.vcapi;
    if(exchangeUrl === undefined) {
      throw new Error('Only the "vcapi" protocol is supported currently.');
    }
    requestOrOffer = await sendToExchanger({exchangeUrl, payload: {}});
    trace.response = requestOrOffer;
  } else {
    exchangeUrl = message.redirectUrl;
    requestOrOffer = message;
  }
  const isVPRFlow = 'verifiablePresentationRequest' in requestOrOffer;  // a TypeError on a null answer, as in LCW
  const {acceptCredentials, redirectUrl} = await processMessageChain({exchangeUrl, requestOrOffer, profile,
    records, trace});
  trace.credentials = acceptCredentials ?? [];
  trace.staged = Boolean(!isVPRFlow && acceptCredentials);
  trace.redirectUrl = redirectUrl ?? null;
}

// credentialRequest.ts requestCredential (the legacy flow). parseResponseBody decodes HTML entities in the
// answer's text before parsing it.
async function requestCredential(params, profile, trace) {
  const {auth_type = 'code', vc_request_url, challenge} = params;
  if(auth_type !== 'bearer') {
    throw new Error(`Unsupported auth_type value: "${auth_type}".`);
  }
  const requestBody = await createVerifiablePresentation({profile, challenge});
  trace.presentation = requestBody;
  const response = await fetch(vc_request_url, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(requestBody)});
  if(!response.ok) {
    trace.response = await response.json().catch(() => null);
    throw new Error('Unable to receive credential: The issuer failed to return a valid response');
  }
  const responseBody = JSON.parse(decodeHtmlEntities(await response.text()));
  trace.response = responseBody;
  const credentials = extractCredentialsFrom(responseBody);
  if(credentials === null) {
    throw new Error('Unable to receive credential: The issuer failed to return a Verifiable Credential (VC) or ' +
      'Verifiable Presentation (VP)');
  }
  trace.credentials = credentials;
  trace.staged = true;  // ApproveCredentialsScreen offers them to the user
}

// AddScreen.tsx addCredentialsFrom: a scanned QR code or pasted text, dispatched in LCW's order.
async function addCredentialsFrom(text, profile, records, trace) {
  text = String(text).trim();
  if(isLegacyCredentialRequest(text)) {
    trace.flow = 'legacy';
    return requestCredential(parseQuery(text.split('?')[1]), profile, trace);
  }
  if(isInteractionUrl(text)) {
    trace.flow = 'vcapi';
    return runExchange(await interactionMessage(text), profile, records, trace);
  }
  if(isDeepLink(text)) {
    trace.flow = 'vcapi';
    return runExchange(deepLinkMessage(text), profile, records, trace);
  }
  if(isWalletApiMessage(text)) {
    trace.flow = 'vcapi';
    return runExchange(parseWalletApiMessage(JSON.parse(text)), profile, records, trace);
  }
  trace.flow = 'credentialsFrom';
  trace.credentials = await credentialsFrom(text);
  trace.staged = true;
}

// --- jobs --------------------------------------------------------------------------------------------------

const message = value => typeof value === 'string' ? value
  : String(value?.errors?.map(e => e.message).join('; ') || value?.message || value);

async function exchange(job, trace) {
  const profile = await profileFor(job.seed);
  Object.assign(trace, {did: profile.did, flow: null, credentials: [], staged: false, redirectUrl: null,
    presentation: null, response: null});
  if(job.op === 'legacyClaim' && !isLegacyCredentialRequest(String(job.link).trim())) {
    throw new Error('not a legacy credential request link (LCW would not take the vc_request_url flow)');
  }
  const records = (job.credentials ?? []).map(credential => ({credential}));
  await addCredentialsFrom(job.link, profile, records, trace);
}

async function run(job, trace) {
  if(['claim', 'legacyClaim', 'present'].includes(job.op)) {
    return exchange(job, trace);
  }
  if(job.op === 'signDidAuth') {
    const profile = await profileFor(job.seed);
    const presentation = await composeVp({profile, selectedVcs: job.credentials ?? [], challenge: job.challenge,
      domain: job.domain, didAuthRequested: true});
    return Object.assign(trace, {did: profile.did, verificationMethod: profile.verificationMethod, presentation});
  }
  if(job.op === 'verifyPresentation') {
    let result;
    try {
      result = await vc.verify({presentation: job.presentation, challenge: job.challenge, domain: job.domain,
        suite: new Ed25519Signature2020(), documentLoader});
    } catch(e) {
      result = {verified: false, error: e};
    }
    const errors = [result.error, ...(result.presentationResult?.results ?? []).map(r => r.error),
      ...(result.credentialResults ?? []).map(r => r.error)].filter(Boolean).map(message)
      .filter((text, i, all) => all.indexOf(text) === i);
    return Object.assign(trace, {verified: result.verified, ...(errors.length && {errors})});
  }
  if(job.op === 'match') {
    const records = job.credentials.map(credential => ({credential}));
    const matched = filterCredentialRecordsByType(records, {type: 'QueryByExample',
      credentialQuery: {example: job.example}});
    return Object.assign(trace, {matches: matched.map(record => records.indexOf(record))});
  }
  throw new Error(`unknown op ${job.op}`);
}

await runJobs(async job => {
  requests = [];
  refused = [];
  const trace = {};
  try {
    await run(job, trace);
  } catch(e) {
    trace.error = message(e);
  }
  return {...trace, requests, refused};
});
