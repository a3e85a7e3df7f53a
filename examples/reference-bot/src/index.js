// Entry point: wires config, the shared clients, the leak switches and the HTTP server, and
// shuts down gracefully on SIGTERM/SIGINT (stop accepting, drain, close agents and Redis).
'use strict';

const { loadConfig, ConfigError } = require('./config');
const { log } = require('./log');
const { connectRedis, makeStore } = require('./store');
const { makeLeaks } = require('./leaks');
const { setKeepPolicy } = require('./tempfiles');
const { makeTelegram } = require('./telegram');
const { makeElevenLabs } = require('./elevenlabs');
const { makeCursorRunner } = require('./cursorRunner');
const { makeFlows } = require('./flows');
const { makeApp } = require('./routes');

const SHUTDOWN_GRACE_MS = 5000;

function build(config) {
  const redis = connectRedis(config);
  redis.on('error', (err) => log('error', 'redis', { err: err.message }));
  const leaks = makeLeaks(config.leaks, { emitter: redis, connectRedis: () => connectRedis(config), makeStore });
  setKeepPolicy(leaks.keepTempFile);
  const telegram = makeTelegram(config, leaks);
  const elevenlabs = makeElevenLabs(config, leaks);
  const cursorRunner = makeCursorRunner(config, leaks);
  const store = makeStore(redis, { crashOnRedisError: config.defects.has('crash-on-redis-error') });
  const flows = makeFlows({ telegram, elevenlabs, cursorRunner, store, leaks });
  return { redis, leaks, telegram, elevenlabs, cursorRunner, flows };
}

function main() {
  let config;
  let parts;
  try {
    config = loadConfig();
    parts = build(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`reference-bot: ${err.message}\n`);
    process.exit(1);
  }
  const app = makeApp({ config, flows: parts.flows, telegram: parts.telegram, emitters: [process, parts.redis] });
  const server = app.listen(config.port, config.host, () =>
    log('info', 'listening', {
      port: config.port, host: config.host, leaks: parts.leaks.rates, defects: [...config.defects], cursor_runner_mode: config.cursorRunnerMode,
    }));
  server.on('error', (err) => {
    process.stderr.write(`reference-bot: cannot listen on ${config.host}:${config.port}: ${err.message}\n`);
    process.exit(1);
  });
  installShutdown(server, parts);
}

function installShutdown(server, parts) {
  let stopping = false;
  const shutdown = (signal) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down', { signal });
    // The grace timer is unref'd so it never keeps a drained process alive.
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    // Stop accepting, let updates already answered with 200 finish, then release the clients.
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    Promise.all([closed, parts.flows.drain()]).then(async () => {
      for (const client of [parts.telegram, parts.elevenlabs, parts.cursorRunner]) client.destroy();
      await parts.redis.quit().catch(() => {});
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main();
