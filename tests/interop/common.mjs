// Shared by the interop harnesses (dbvc.mjs, dcc.mjs): vcnode's pinned contexts, key seeds, the job loop.
import fs from 'node:fs';
import path from 'node:path';

// Contexts from the directories named in argv: each may hold index.json (vcnode's pinned contexts:
// {url: {file}}) and urls.json (test-only contexts: {url: file}).
export function loadContexts(dirs) {
  const contexts = new Map();
  for(const dir of dirs) {
    const index = path.join(dir, 'index.json');
    if(fs.existsSync(index)) {
      for(const [url, entry] of Object.entries(JSON.parse(fs.readFileSync(index, 'utf8')))) {
        contexts.set(url, JSON.parse(fs.readFileSync(path.join(dir, entry.file), 'utf8')));
      }
    }
    const extra = path.join(dir, 'urls.json');
    if(fs.existsSync(extra)) {
      for(const [url, file] of Object.entries(JSON.parse(fs.readFileSync(extra, 'utf8')))) {
        contexts.set(url, JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
      }
    }
  }
  return contexts;
}

// A document loader that serves only `contexts`, the given `documents` ({url: document}, such as status
// list credentials) and did:key documents (from a did-io style did:key driver).
export function staticDocumentLoader(contexts, didKey, documents = {}) {
  return async function documentLoader(url) {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
    }
    if(Object.hasOwn(documents, url)) {
      return {contextUrl: null, documentUrl: url, document: documents[url]};
    }
    if(url.startsWith('did:key:')) {
      return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
    }
    throw new Error(`documentLoader refuses ${url}`);
  };
}

// The secret multikey (0x1300 + seed) gives the 32-byte Ed25519 seed.
export function seedOf(secretKeyMultibase) {
  return base58Decode(secretKeyMultibase.slice(1)).slice(2);
}

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export function base58Decode(text) {
  let value = 0n;
  for(const char of text) {
    const digit = ALPHABET.indexOf(char);
    if(digit < 0) {
      throw new Error('bad base58');
    }
    value = value * 58n + BigInt(digit);
  }
  const bytes = [];
  while(value > 0n) {
    bytes.unshift(Number(value % 256n));
    value /= 256n;
  }
  for(const char of text) {
    if(char !== '1') {
      break;
    }
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

// base58btc (for did:key Multikeys): written out here rather than taken from a library of either side.
export function base58Encode(bytes) {
  let value = 0n;
  for(const byte of bytes) {
    value = value * 256n + BigInt(byte);
  }
  let out = '';
  while(value > 0n) {
    out = ALPHABET[Number(value % 58n)] + out;
    value /= 58n;
  }
  for(const byte of bytes) {
    if(byte !== 0) {
      break;
    }
    out = '1' + out;
  }
  return out;
}

// Reads a JSON array of jobs on stdin, runs them one by one, writes the JSON array of results on stdout.
export async function runJobs(run) {
  const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
  const results = [];
  for(const job of jobs) {
    results.push(await run(job));
  }
  process.stdout.write(JSON.stringify(results));
}

// The did:key signing key for a Multikey secret, made with the given library's Ed25519Multikey class
// (Digital Bazaar's or the DCC's fork: each side signs with its own stack).
export async function didKeyPair(Ed25519Multikey, secretKeyMultibase) {
  const pair = await Ed25519Multikey.generate({seed: seedOf(secretKeyMultibase)});
  const did = `did:key:${pair.publicKeyMultibase}`;
  return Ed25519Multikey.from({...await pair.export({publicKey: true, secretKey: true}), controller: did,
    id: `${did}#${pair.publicKeyMultibase}`});
}
