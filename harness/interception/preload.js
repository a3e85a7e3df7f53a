'use strict';
// soak interception preload (node --require): every TCP/TLS connect to a mapped host:port goes to
// its loopback target instead, and every other non-loopback connect is refused and recorded.
//
// It patches net.Socket.prototype.connect, the one place plain sockets, tls.connect, the http and
// https agents, axios and undici all pass through. Only the TCP destination changes: the caller's
// options keep the real hostname, so TLS sends it as SNI and checks the certificate against it,
// and agents pool sockets by the real name exactly as they would without us.
//
// Environment:
//   SOAK_INTERCEPT_MAP   JSON {"api.telegram.org:443": "127.0.0.1:40123", "bare.host": "..."};
//                        a key without a port matches any port.
//   SOAK_EVENTS_FILE     optional JSON-lines file; refusals are appended to it (O_APPEND).
//   SOAK_EVENTS_T0       optional epoch seconds of the run's start, to stamp t_s like the harness.

const fs = require('fs');
const net = require('net');

const MAX_RECORDS_PER_PROCESS = 1000;
const REFUSED_CODE = 'ESOAKEGRESS';

function fail(message) {
  throw new Error(`soak interception preload: ${message}`);
}

function normalizeHost(host) {
  if (host === undefined || host === null || host === '') return 'localhost';
  let name = String(host).toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function parseTarget(key, value) {
  const match = /^(.+):(\d{1,5})$/.exec(String(value));
  if (!match) fail(`target for ${key} must be "host:port", got ${JSON.stringify(value)}`);
  return { host: match[1], port: Number(match[2]) };
}

function parseMap(text) {
  let raw;
  try {
    raw = JSON.parse(text || '{}');
  } catch (error) {
    fail(`SOAK_INTERCEPT_MAP is not JSON: ${error.message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('SOAK_INTERCEPT_MAP must be an object');
  const map = new Map();
  for (const [key, value] of Object.entries(raw)) {
    const match = /^(.+?)(?::(\d{1,5}))?$/.exec(key);
    const host = normalizeHost(match[1]);
    map.set(match[2] ? `${host}:${Number(match[2])}` : host, parseTarget(key, value));
  }
  return map;
}

function isLoopback(host) {
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  if (host.startsWith('::ffff:')) return isLoopback(host.slice('::ffff:'.length));
  return net.isIPv4(host) && host.startsWith('127.');
}

const targets = parseMap(process.env.SOAK_INTERCEPT_MAP);
const eventsFile = process.env.SOAK_EVENTS_FILE || '';
const eventsT0 = Number(process.env.SOAK_EVENTS_T0 || 'NaN');
let recorded = 0;
const warnedHosts = new Set();

function appendEvent(event, fields) {
  if (!eventsFile || recorded >= MAX_RECORDS_PER_PROCESS) return;
  recorded += 1;
  const time = Date.now() / 1000;
  // Same leading fields as the harness's own events; t_s only when the run's start is known.
  const t_s = Number.isFinite(eventsT0) ? Math.round((time - eventsT0) * 1000) / 1000 : undefined;
  const record = { event, t_s, time, pid: process.pid, ...fields };
  try {
    // One write with O_APPEND: lines from several processes never interleave.
    fs.appendFileSync(eventsFile, `${JSON.stringify(record)}\n`);
  } catch (error) {
    // Losing the record must not turn into a different failure than the refusal itself.
  }
}

function refuse(socket, host, port) {
  const error = new Error(
    `soak egress guard: refused connection to ${host}:${port} (not mapped to a mock and not loopback)`,
  );
  error.code = REFUSED_CODE;
  error.host = host;
  error.port = port;
  appendEvent('egress_refused', { host, port });
  if (!warnedHosts.has(`${host}:${port}`)) {
    warnedHosts.add(`${host}:${port}`);
    process.stderr.write(`${error.message}\n`);
  }
  // Fail the way a refused TCP connect does: an 'error' event, after the caller has its socket.
  process.nextTick(() => socket.destroy(error));
  return socket;
}

// The argument forms of Socket#connect: a pre-normalized [options, cb] array (net.connect),
// (options[, cb]) (tls.connect), (port[, host][, cb]) and (path[, cb]).
function connectOptions(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const last = Array.isArray(args[0]) ? args[0][1] : args[args.length - 1];
  const callback = typeof last === 'function' ? last : undefined;
  if (first !== null && typeof first === 'object') return { options: first, callback };
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { options: { port: first, host: typeof args[1] === 'string' ? args[1] : undefined }, callback };
  }
  return null;
}

const originalConnect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function soakConnect(...args) {
  const parsed = connectOptions(args);
  if (parsed === null || parsed.options.path) return originalConnect.apply(this, args);
  const host = normalizeHost(parsed.options.host);
  const port = Number(parsed.options.port);
  const target = targets.get(`${host}:${port}`) || targets.get(host);
  if (target === undefined) {
    if (isLoopback(host)) return originalConnect.apply(this, args);
    return refuse(this, host, port);
  }
  // A copy: tls.connect keeps the original options and checks the certificate against their host.
  const redirected = { ...parsed.options, host: target.host, port: target.port };
  return parsed.callback ? originalConnect.call(this, redirected, parsed.callback) : originalConnect.call(this, redirected);
};

appendEvent('preload_active', { mapped: [...targets.keys()] });
