'use strict';
// soak interception preload (node --require): every TCP/TLS connect to a mapped host:port goes to
// its loopback target instead, and every other non-loopback connect, TCP or UDP, is refused and
// recorded. With an empty map (base-url and proxy modes) it is the egress guard alone.
//
// It patches net.Socket.prototype.connect, the one place plain sockets, tls.connect, the http and
// https agents, axios and undici all pass through. Only the TCP destination changes: the caller's
// options keep the real hostname, so TLS sends it as SNI and checks the certificate against it,
// and agents pool sockets by the real name exactly as they would without us. UDP goes through
// dgram.Socket#send and #connect, patched the same way. A refusal happens before Node creates the
// connection, so no packet leaves. "localhost" names must resolve to loopback: a caller's own
// `lookup` that maps them elsewhere is refused too.
//
// Environment:
//   SOAK_INTERCEPT_MAP   JSON {"api.telegram.org:443": "127.0.0.1:40123", "bare.host": "..."};
//                        a key without a port matches any port.
//   SOAK_EVENTS_FILE     optional JSON-lines file; refusals are appended to it (O_APPEND).
//   SOAK_EVENTS_T0       optional epoch seconds of the run's start, to stamp t_s like the harness.

const dgram = require('dgram');
const dns = require('dns');
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

function isLoopbackName(host) {
  return host === 'localhost' || host.endsWith('.localhost');
}

function isLoopbackAddress(host) {
  if (host === '::1') return true;
  if (host.startsWith('::ffff:')) return isLoopbackAddress(host.slice('::ffff:'.length));
  return net.isIPv4(host) && host.startsWith('127.');
}

function isLoopback(host) {
  return isLoopbackName(host) || isLoopbackAddress(host);
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

function refusal(host, port, fields) {
  const error = new Error(
    `soak egress guard: refused connection to ${host}:${port} (not mapped to a mock and not loopback)`,
  );
  error.code = REFUSED_CODE;
  error.host = host;
  error.port = port;
  appendEvent('egress_refused', { host, port, ...fields });
  if (!warnedHosts.has(`${host}:${port}`)) {
    warnedHosts.add(`${host}:${port}`);
    process.stderr.write(`${error.message}\n`);
  }
  return error;
}

function refuse(socket, host, port) {
  const error = refusal(host, port, {});
  // Fail the way a refused TCP connect does: an 'error' event, after the caller has its socket.
  process.nextTick(() => socket.destroy(error));
  return socket;
}

// A lookup for a "localhost" name that passes on loopback answers only: the caller's own lookup
// (or dns.lookup) still runs, so /etc/hosts decides between 127.0.0.1 and ::1.
function loopbackOnlyLookup(host, port, lookup) {
  const resolve = typeof lookup === 'function' ? lookup : dns.lookup;
  return function soakLookup(hostname, options, callback) {
    const done = typeof options === 'function' ? options : callback;
    const settings = typeof options === 'function' ? {} : options;
    resolve(hostname, settings, (error, address, family) => {
      if (error) return done(error);
      const answers = Array.isArray(address) ? address : [{ address, family }];
      const away = answers.find((answer) => !isLoopbackAddress(normalizeHost(answer.address)));
      if (away !== undefined) return done(refusal(host, port, { resolved: String(away.address) }));
      return done(null, address, family);
    });
  };
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
    if (isLoopbackAddress(host)) return originalConnect.apply(this, args);
    if (!isLoopbackName(host)) return refuse(this, host, port);
    const checked = { ...parsed.options, lookup: loopbackOnlyLookup(host, port, parsed.options.lookup) };
    return parsed.callback ? originalConnect.call(this, checked, parsed.callback) : originalConnect.call(this, checked);
  }
  // A copy: tls.connect keeps the original options and checks the certificate against their host.
  const redirected = { ...parsed.options, host: target.host, port: target.port };
  return parsed.callback ? originalConnect.call(this, redirected, parsed.callback) : originalConnect.call(this, redirected);
};

// UDP: a destination is a loopback address, a "localhost" name (sent to the loopback address of
// the socket's family, whatever a custom lookup would say), or refused.
function udpDestination(socket, host, port) {
  if (host === undefined || host === null || typeof host === 'function') return { ok: true };
  const name = normalizeHost(host);
  if (isLoopbackAddress(name)) return { ok: true };
  if (isLoopbackName(name)) return { ok: true, address: socket.type === 'udp6' ? '::1' : '127.0.0.1' };
  return { ok: false, error: refusal(name, Number(port), { protocol: 'udp' }) };
}

function failUdp(socket, error, callback) {
  // As dgram reports a failed lookup: to the callback when there is one, else as an 'error' event.
  process.nextTick(() => (typeof callback === 'function' ? callback(error) : socket.emit('error', error)));
}

function isConnected(socket) {
  try {
    socket.remoteAddress();
    return true;
  } catch (error) {
    return false;
  }
}

const originalSend = dgram.Socket.prototype.send;
const originalUdpConnect = dgram.Socket.prototype.connect;

dgram.Socket.prototype.connect = function soakUdpConnect(port, address, callback) {
  const checked = udpDestination(this, address, port);
  if (!checked.ok) return failUdp(this, checked.error, typeof address === 'function' ? address : callback);
  if (checked.address === undefined) return originalUdpConnect.apply(this, arguments);
  return originalUdpConnect.call(this, port, checked.address, callback);
};

// send(msg, [offset, length,] port[, address][, callback]) on an unconnected socket; a connected
// one was checked by connect.
dgram.Socket.prototype.send = function soakSend(...args) {
  if (isConnected(this)) return originalSend.apply(this, args);
  // Node's own rule for telling the forms apart (lib/dgram.js).
  const long = Boolean(args[4]) || (Boolean(args[3]) && typeof args[3] !== 'function');
  const portIndex = long ? 3 : 1;
  const checked = udpDestination(this, args[portIndex + 1], args[portIndex]);
  if (!checked.ok) return failUdp(this, checked.error, args.find((arg) => typeof arg === 'function'));
  if (checked.address !== undefined) args[portIndex + 1] = checked.address;
  return originalSend.apply(this, args);
};

appendEvent('preload_active', { mapped: [...targets.keys()] });
