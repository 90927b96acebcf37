// Digital Bazaar's rdf-canonize (RDFC-1.0) as an independent implementation for vcnode's interop tests.
// Reads a JSON array of jobs on stdin, writes a JSON array of results on stdout:
//   {nquads, maxWorkFactor?}  -> {canonical} or {error}
// maxWorkFactor left out: rdf-canonize's default (1), the bound Digital Bazaar's verifiers run with.
import canonize from 'rdf-canonize';
import {runJobs} from './common.mjs';

await runJobs(async job => {
  const options = {algorithm: 'RDFC-1.0', inputFormat: 'application/n-quads', format: 'application/n-quads'};
  if(job.maxWorkFactor !== undefined) {
    options.maxWorkFactor = job.maxWorkFactor;
  }
  try {
    return {canonical: await canonize.canonize(job.nquads, options)};
  } catch(error) {
    return {error: error.message};
  }
});
