// Reads and validates the environment once at start (TARGET-CONTRACT §2); a bad value is a
// one-line message and exit code 1, never a stack trace.
'use strict';

const os = require('os');

class ConfigError extends Error {}

const NODE_ENVS = new Set(['development', 'test', 'production']);

function parsePort(raw) {
  const port = Number(raw === undefined || raw === '' ? 3000 : raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`invalid PORT: ${raw}`);
  return port;
}

function parseSeconds(name, raw, fallback) {
  const value = Number(raw === undefined || raw === '' ? fallback : raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`invalid ${name}: ${raw}`);
  return value;
}

// Behaviour defects a real service may have (not leaks): BOT_DEFECTS="crash-on-redis-error".
const DEFECTS = new Set(['crash-on-redis-error', 'answer-after-work']);

function parseDefects(raw) {
  const defects = new Set((raw || '').split(',').map((s) => s.trim()).filter(Boolean));
  for (const name of defects) if (!DEFECTS.has(name)) throw new ConfigError(`unknown defect: ${name}`);
  return defects;
}

function trimmedOr(raw, fallback) {
  return raw === undefined ? fallback : raw.trim();
}

function loadConfig(env = process.env) {
  const nodeEnv = env.NODE_ENV || 'development';
  if (!NODE_ENVS.has(nodeEnv)) throw new ConfigError(`invalid NODE_ENV: ${nodeEnv}`);
  if (!(env.ELEVENLABS_API_KEY || '').trim()) throw new ConfigError('ELEVENLABS_API_KEY is required');
  const mode = env.CURSOR_RUNNER_MODE || 'sync';
  if (mode !== 'sync' && mode !== 'async') throw new ConfigError(`invalid CURSOR_RUNNER_MODE: ${mode}`);
  const port = parsePort(env.PORT);
  return Object.freeze({
    port,
    host: env.HOST || '0.0.0.0',
    nodeEnv,
    appName: env.APP_NAME || 'Virtual Assistant API',
    appVersion: env.APP_VERSION || '1.0.0',
    token: env.TELEGRAM_BOT_TOKEN || '',
    webhookSecret: trimmedOr(env.TELEGRAM_WEBHOOK_SECRET, ''),
    webhookBaseUrl: env.TELEGRAM_WEBHOOK_BASE_URL || 'http://localhost:3000',
    // The admin and callback secret; callbacks go unchecked only when it is set but blank.
    adminSecret: trimmedOr(env.WEBHOOK_SECRET, 'changeme'),
    callbackSecret: trimmedOr(env.WEBHOOK_SECRET, ''),
    // Hard-coded upstreams like the real service; the overrides serve the harness's base-url mode.
    telegramBase: (env.TELEGRAM_API_BASE || 'https://api.telegram.org').replace(/\/+$/, ''),
    elevenlabsBase: (env.ELEVENLABS_API_BASE || 'https://api.elevenlabs.io').replace(/\/+$/, ''),
    elevenlabsKey: env.ELEVENLABS_API_KEY.trim(),
    sttModel: env.ELEVENLABS_STT_MODEL_ID || 'scribe_v1',
    ttsModel: env.ELEVENLABS_TTS_MODEL_ID || 'eleven_turbo_v2_5',
    voiceId: env.ELEVENLABS_VOICE_ID || 'vfaqCOvlrKi4Zp7C2IAm',
    cursorRunnerUrl: (env.CURSOR_RUNNER_URL || 'http://localhost:3001').replace(/\/+$/, ''),
    cursorRunnerTimeoutMs: parseSeconds('CURSOR_RUNNER_TIMEOUT', env.CURSOR_RUNNER_TIMEOUT, 300) * 1000,
    cursorRunnerMode: mode,
    callbackBaseUrl: (env.CALLBACK_BASE_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, ''),
    redisUrl: env.REDIS_URL || 'redis://localhost:6379/0',
    // fakeredis has no INFO, which ioredis's ready check sends.
    redisReadyCheck: env.REDIS_READY_CHECK !== '0',
    tmpDir: os.tmpdir(),
    debugRoutes: env.BOT_DEBUG_ROUTES === '1',
    leaks: env.LEAKS || '',
    defects: parseDefects(env.BOT_DEFECTS),
  });
}

module.exports = { loadConfig, ConfigError };
