// Switchable leaks with known rates, to prove soak's detectors: LEAKS="heap:512,fd:0.01".
// Probabilities fire deterministically (exactly p of the events, spread evenly), so the expected
// growth is rate × events. Unknown switches or bad rates stop the process so a typo is loud.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const { ConfigError } = require('./config');

// name → what the rate means; see README.md for the resource each one grows.
const SWITCHES = {
  heap: 'bytes', external: 'bytes', fd: 'probability', socket: 'probability', churn: 'probability', redis: 'probability', tempfile: 'probability',
  listener: 'probability', timer: 'probability', buffer: 'probability', cache: 'bytes', lru: 'bytes', 'pool-warmup': 'bytes',
  'gc-lazy': 'bytes', 'retry-storm': 'times', 'per-chat': 'bytes',
};
const POOL_STEPS = 8;
// What V8 (64-bit, no pointer compression: Node's own builds) adds to a kept string of n one-byte
// characters: its header (map, hash, length: 16 B) and its slot in the array holding it (8 B).
const STRING_OVERHEAD_BYTES = 24;

function parseLeaks(spec) {
  const leaks = {};
  for (const part of (spec || '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, raw] = part.split(':');
    if (!(name in SWITCHES)) throw new ConfigError(`unknown leak switch: ${name}`);
    const value = Number(raw);
    const bad = !Number.isFinite(value) || value < 0 || (SWITCHES[name] === 'probability' && value > 1)
      || (SWITCHES[name] === 'times' && !Number.isInteger(value));
    if (bad) throw new ConfigError(`bad rate for leak ${name}: ${raw}`);
    leaks[name] = value;
  }
  return leaks;
}

// Fires on exactly floor(n × p) of the first n calls.
function everyFraction(p) {
  let calls = 0;
  return () => {
    calls += 1;
    return p > 0 && Math.floor(calls * p) > Math.floor((calls - 1) * p);
  };
}

function positiveNumber(raw, fallback) {
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function makeLeaks(spec, { emitter, connectRedis, makeStore, env = process.env }) {
  const rates = parseLeaks(spec);
  const fire = Object.fromEntries(Object.keys(SWITCHES).map((name) => [name, everyFraction(rates[name] || 0)]));
  const retained = {
    heap: [], external: [], fds: [], agents: [], redis: [], timers: [], buffers: [], cache: new Map(), lru: new Map(), pool: [], chats: new Map(),
  };
  const lruCap = positiveNumber(env.LEAK_LRU_ENTRIES, 256);
  const poolStepMs = positiveNumber(env.LEAK_POOL_STEP_S, 20) * 1000;
  let lastPoolStep = -Infinity;
  let stringsKept = 0;

  function onUpdate(updateId, chatId) {
    if (rates.heap) retained.heap.push(heapString(rates.heap));
    if (rates.external) retained.external.push(Buffer.alloc(rates.external, 1));
    if (fire.fd()) retained.fds.push(fs.openSync(__filename, 'r'));
    if (fire.listener()) emitter.on('error', () => {});
    if (fire.timer()) retained.timers.push(setInterval(() => {}, 60000));
    if (rates.cache) retained.cache.set(updateId, Buffer.alloc(rates.cache, 1));
    if (rates.lru) addToLru(updateId);
    // Kept per chat for ever (a per-user map without eviction): grows only with chats never seen before.
    if (rates['per-chat'] && chatId !== undefined && !retained.chats.has(chatId)) {
      retained.chats.set(chatId, Buffer.alloc(rates['per-chat'], 1));
    }
    if (rates['pool-warmup']) growPool();
    // Dropped at once: the GC frees it whenever it next runs, hence the sawtooth.
    if (rates['gc-lazy']) Buffer.allocUnsafe(rates['gc-lazy']).fill(1);
  }

  // A flat string kept in the JS heap (a Buffer's bytes live outside it, in external memory): about
  // n bytes with its header and slot. Read from a Buffer so V8 makes it flat at once (a '+' or
  // repeat() would make a rope of parts), distinct per update so nothing is shared.
  function heapString(bytes) {
    const length = Math.max(4, Math.round(bytes) - STRING_OVERHEAD_BYTES);
    const text = Buffer.alloc(length, 97);
    text.writeUInt32LE((stringsKept += 1) >>> 0, 0);
    return text.toString('latin1');
  }

  function addToLru(updateId) {
    retained.lru.delete(updateId);
    retained.lru.set(updateId, Buffer.alloc(rates.lru, 1));
    if (retained.lru.size > lruCap) retained.lru.delete(retained.lru.keys().next().value);
  }

  // One slab per step interval (driven by updates, no timer) until POOL_STEPS slabs exist.
  function growPool() {
    const now = Date.now();
    if (retained.pool.length >= POOL_STEPS || now - lastPoolStep < poolStepMs) return;
    lastPoolStep = now;
    retained.pool.push(Buffer.alloc(Math.ceil(rates['pool-warmup'] / POOL_STEPS), 1));
  }

  function agentForRequest() {
    const leaked = fire.socket();
    const churned = fire.churn();
    if (leaked) {
      // No idle timeout: the socket stays open as long as the upstream keeps it.
      const agents = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
      retained.agents.push(agents);
      return agents;
    }
    return churned ? agentsForOneRequest() : null;
  }

  // A client per request that cleans up: the agent is destroyed as soon as its socket comes back
  // free (the answer read, streams included), so no socket stays behind but every call connects anew.
  function agentsForOneRequest() {
    const agents = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
    for (const agent of Object.values(agents)) agent.once('free', () => setImmediate(() => agent.destroy()));
    return agents;
  }

  function storeForJob() {
    if (!fire.redis()) return null;
    const client = connectRedis();
    client.on('error', () => {});
    retained.redis.push(client);
    return makeStore(client);
  }

  // A downloaded file read back into memory and kept: external (Buffer) memory grows by the
  // file's size while the JS heap holds only a small handle per file.
  async function onDownload(localPath) {
    if (fire.buffer()) retained.buffers.push(await fs.promises.readFile(localPath));
  }

  // retry-storm:N: an update whose processing hit a failed Telegram call is processed again, up to N
  // more times, each time from the start (new request ids, new cursor-runner jobs): amplification.
  const retryTimes = (err) => (err && err.upstream === 'telegram' ? rates['retry-storm'] || 0 : 0);

  return { rates, onUpdate, onDownload, agentForRequest, storeForJob, keepTempFile: () => fire.tempfile(), retryTimes };
}

module.exports = { parseLeaks, makeLeaks, SWITCHES };
