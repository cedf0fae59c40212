// Heap samples whose object's size is known: CommonJS source strings. Loads <entry> under V8's
// deterministic sampler (the inspector, as the agent does), then for every live sample taken in
// fs.readFileSync (a module's source being read) gives its reported size; and lists the sizes the loaded files' sources
// have as V8 strings (one byte a char for Latin-1 text, else two, plus a 16-byte header, 8-byte aligned).
// Usage: node source-samples.cjs <interval> <entry>; prints JSON { samples: [{ reported }], stringSizes: [...] }.
'use strict';
const inspector = require('node:inspector');
const v8 = require('node:v8');
const fs = require('node:fs');
const path = require('node:path');

const interval = Number(process.argv[2]);
v8.setFlagsFromString('--sampling-heap-profiler-suppress-randomness');
const session = new inspector.Session();
session.connect();
const post = (method, params) => {
  let result;
  let error;
  session.post(method, params, (err, res) => {
    error = err;
    result = res;
  });
  if (error) throw error;
  return result;
};
post('HeapProfiler.enable');
post('HeapProfiler.startSampling', { samplingInterval: interval });
require(path.resolve(process.argv[3]));
const { profile } = post('HeapProfiler.stopSampling');

const stringSizes = new Set();
for (const file of Object.keys(require.cache)) {
  const text = fs.readFileSync(file, 'utf8');
  const perChar = /[^\x00-\xff]/.test(text) ? 2 : 1;
  stringSizes.add(Math.ceil((16 + text.length * perChar) / 8) * 8);
}
const readers = new Set();
(function walk(node) {
  if (node.callFrame.functionName === 'readFileSync' && node.callFrame.url === 'node:fs') readers.add(node.id);
  node.children.forEach(walk);
})(profile.head);
const samples = profile.samples.filter((s) => readers.has(s.nodeId)).map((s) => ({ reported: s.size }));
process.stdout.write(JSON.stringify({ samples, stringSizes: [...stringSizes] }));
