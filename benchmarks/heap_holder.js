// A Node process holding about HOLD_MB of mixed live objects (class instances, plain objects,
// arrays, Map entries, closures, strings, small Buffers) for the heap snapshot benchmark.
'use strict';

class Entry {
  constructor(i) {
    this.id = i;
    this.name = `entry-${i}`;
    this.tags = [i, i + 1];
    this.meta = { at: Date.now(), n: i };
  }
}

const targetBytes = Number(process.env.HOLD_MB || 200) * 1024 * 1024;
const kept = (globalThis.kept = { entries: [], map: new Map(), closures: [], strings: [] });
let i = 0;
while (process.memoryUsage().heapUsed < targetBytes) {
  for (let k = 0; k < 10000; k += 1, i += 1) {
    const entry = new Entry(i);
    kept.entries.push(entry);
    if (i % 3 === 0) kept.map.set(`k${i}`, { v: i, buf: i % 100 === 0 ? Buffer.alloc(256) : null });
    if (i % 5 === 0) kept.closures.push(() => entry.id + i);
    if (i % 7 === 0) kept.strings.push(`${'s'.repeat(20)}${i}`);
  }
}
process.stdout.write(`ready ${process.memoryUsage().heapUsed}\n`);
setInterval(() => {}, 1000);
