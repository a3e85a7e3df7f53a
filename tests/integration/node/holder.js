// A process that holds known resources, for the collector tests: memory, files, sockets, timers,
// temp files and a periodically blocked event loop. Prints one JSON line when everything is held.
const { EventEmitter } = require("events");
const fs = require("fs");
const net = require("net");
const path = require("path");

const cfg = JSON.parse(process.argv[2]);
globalThis.held = { buffer: Buffer.alloc(cfg.bufferBytes, 1), files: [], sockets: [], timers: [] };

// Listeners on one long-lived emitter, as a listener leak leaves them.
held.emitter = new EventEmitter();
held.emitter.setMaxListeners(0);
for (let i = 0; i < (cfg.listeners || 0); i++) held.emitter.on("error", () => {});
for (let i = 0; i < cfg.files; i++) held.files.push(fs.openSync(__filename, "r"));
for (let i = 0; i < cfg.timers; i++) held.timers.push(setInterval(() => {}, 60000));
for (const [name, size] of cfg.tmpFiles) fs.writeFileSync(path.join(process.env.TMPDIR, name), Buffer.alloc(size));
if (cfg.tmpOpen) held.files.push(fs.openSync(path.join(process.env.TMPDIR, cfg.tmpFiles[0][0]), "r"));
if (cfg.blockMs > 0) {
  // Blocks the loop for blockMs every 100 ms, so the loop delay has a known floor.
  held.timers.push(setInterval(() => { const end = Date.now() + cfg.blockMs; while (Date.now() < end); }, 100));
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.on("error", reject);
    held.sockets.push(socket);
  });
}

async function connectAll(port, count) {
  // In batches, so the listen backlog never overflows into SYN retransmits.
  for (let done = 0; done < count; done += 100) {
    await Promise.all(Array.from({ length: Math.min(100, count - done) }, () => connect(port)));
  }
}

const server = net.createServer((socket) => held.sockets.push(socket));
server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, async () => {
  const port = server.address().port;
  await connectAll(port, cfg.selfConnections);
  if (cfg.redisPort) await connectAll(cfg.redisPort, cfg.redisConnections);
  // Wait until the server side has accepted every connection too.
  while (held.sockets.length < 2 * cfg.selfConnections + cfg.redisConnections) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  process.stdout.write(JSON.stringify({ ready: true, port }) + "\n");
});
setTimeout(() => process.exit(0), cfg.lifetimeMs || 60000).unref();
