'use strict';
// Egress cases beyond HTTP clients, one per argument, each printed as one JSON line:
//   tcp-lookup-away PORT   net.connect to "localhost" with a custom lookup answering 192.0.2.1
//   tcp-localhost PORT     net.connect to "localhost" with the default lookup
//   udp-send HOST PORT     an unconnected UDP send (short form, with a callback)
//   udp-send-long HOST PORT the long form send(msg, offset, length, port, host, cb)
//   udp-lookup-away PORT   a UDP socket created with a lookup answering 192.0.2.1, sending to "localhost"
//   udp-connect HOST PORT  dgram connect
const dgram = require('dgram');
const dns = require('dns');
const net = require('net');

const [kind, ...rest] = process.argv.slice(2);

function print(result) {
  process.stdout.write(`${JSON.stringify({ kind, ...result })}\n`);
}

// Answers 192.0.2.1 for "localhost" (as a hostile or broken resolver might), anything else as usual.
function away(hostname, options, callback) {
  if (hostname !== 'localhost') return dns.lookup(hostname, options, callback);
  const done = typeof options === 'function' ? options : callback;
  if (options && options.all) return done(null, [{ address: '192.0.2.1', family: 4 }]);
  return done(null, '192.0.2.1', 4);
}

function tcp(port, lookup) {
  const socket = net.connect({ host: 'localhost', port, lookup, family: 4 });
  socket.setTimeout(5000, () => {
    print({ ok: false, code: 'TIMEOUT' });
    socket.destroy();
  });
  socket.on('connect', () => {
    print({ ok: true, remote: socket.remoteAddress });
    socket.setTimeout(0);
    socket.destroy();
  });
  socket.on('error', (error) => print({ ok: false, code: error.code }));
}

function udpSend(host, port, long, lookup) {
  const socket = dgram.createSocket({ type: 'udp4', lookup });
  const message = Buffer.from(`soak-${kind}`);
  const done = (error) => {
    print(error ? { ok: false, code: error.code } : { ok: true });
    socket.close();
  };
  if (long) socket.send(message, 0, message.length, port, host, done);
  else socket.send(message, port, host, done);
}

function udpConnect(host, port) {
  const socket = dgram.createSocket('udp4');
  socket.connect(port, host, (error) => {
    if (error) {
      print({ ok: false, code: error.code });
      socket.close();
      return;
    }
    socket.send(Buffer.from(`soak-${kind}`), (sendError) => {
      print(sendError ? { ok: false, code: sendError.code } : { ok: true });
      socket.close();
    });
  });
}

const cases = {
  'tcp-lookup-away': () => tcp(Number(rest[0]), away),
  'tcp-localhost': () => tcp(Number(rest[0]), undefined),
  'udp-send': () => udpSend(rest[0], Number(rest[1]), false),
  'udp-send-long': () => udpSend(rest[0], Number(rest[1]), true),
  'udp-lookup-away': () => udpSend('localhost', Number(rest[0]), false, away),
  'udp-connect': () => udpConnect(rest[0], Number(rest[1])),
};
cases[kind]();
