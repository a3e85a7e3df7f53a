// Switchable leaks for proving soak's detectors: LEAKS="heap:4096" retains 4096 bytes per
// handled update. Parsed once at start; unknown switches stop the process so a typo is loud.
'use strict';

const KNOWN = new Set(['heap']);

function parseLeaks(spec) {
  const leaks = {};
  for (const part of (spec || '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, raw] = part.split(':');
    if (!KNOWN.has(name)) throw new Error(`unknown leak switch: ${name}`);
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`bad rate for leak ${name}: ${raw}`);
    leaks[name] = value;
  }
  return leaks;
}

function makeLeaker(leaks) {
  const retained = [];
  return {
    onUpdate() {
      if (leaks.heap) retained.push(Buffer.alloc(leaks.heap, 1));
    },
  };
}

module.exports = { parseLeaks, makeLeaker };
