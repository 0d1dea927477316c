// Baseline for bench/Kestrel.SourceMapBench: the same map and the same positions through
// @jridgewell/trace-mapping, the decoder most JavaScript tooling uses. Prints one JSON line.
// Usage: node trace-mapping.mjs MAP POSITIONS RUNS   (POSITIONS: little-endian int32 pairs, 0-based line and column)
import { readFileSync } from 'node:fs';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';

const [mapPath, positionsPath, runsText] = process.argv.slice(2);
const runs = Number(runsText);
const text = readFileSync(mapPath, 'utf8');
const raw = readFileSync(positionsPath);
const positions = new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);

// Parse = JSON.parse + decoding every mapping (trace-mapping decodes on the first lookup).
const parseMs = [];
for (let r = 0; r < runs + 1; r++) {
  const start = performance.now();
  const map = new TraceMap(text);
  originalPositionFor(map, { line: 1, column: 0 });
  if (r > 0) parseMs.push(performance.now() - start); // the first run warms the JIT up
}

const map = new TraceMap(text);
let mapped = 0;
let lineSum = 0; // with mapped, checks both decoders agree on every answer, not just how fast they give it
const lookup = () => {
  let found = 0;
  let lines = 0;
  for (let i = 0; i < positions.length; i += 2) {
    const p = originalPositionFor(map, { line: positions[i] + 1, column: positions[i + 1] });
    if (p.source !== null) { found++; lines += p.line; }
  }
  lineSum = lines;
  return found;
};
lookup();
const lookupsPerSecond = [];
for (let r = 0; r < runs; r++) {
  const start = performance.now();
  mapped = lookup();
  lookupsPerSecond.push((positions.length / 2) / ((performance.now() - start) / 1000));
}
console.log(JSON.stringify({ parseMs, lookupsPerSecond, mapped, lineSum }));
