// Reference Telegram-assistant webhook service (see shared TARGET-CONTRACT): text flow T and
// callback flow C, written the careful way (one Redis client, shared keep-alive agents).
'use strict';

const crypto = require('crypto');
const http = require('http');
const https = require('https');
const express = require('express');
const axios = require('axios');
const Redis = require('ioredis');
const { parseLeaks, makeLeaker } = require('./leaks');

const env = process.env;
const port = Number(env.PORT || 3000);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`invalid PORT: ${env.PORT}`);
  process.exit(1);
}
const config = {
  host: env.HOST || '0.0.0.0',
  token: env.TELEGRAM_BOT_TOKEN || '',
  webhookSecret: (env.TELEGRAM_WEBHOOK_SECRET || '').trim(),
  callbackSecret: env.WEBHOOK_SECRET === undefined ? 'changeme' : env.WEBHOOK_SECRET.trim(),
  cursorRunnerUrl: env.CURSOR_RUNNER_URL || 'http://localhost:3001',
  cursorRunnerTimeoutMs: Number(env.CURSOR_RUNNER_TIMEOUT || 300) * 1000,
  redisUrl: env.REDIS_URL || 'redis://localhost:6379/0',
  telegramBase: env.TELEGRAM_API_BASE || 'https://api.telegram.org',
  readyCheck: env.REDIS_READY_CHECK !== '0',
};
const leaker = makeLeaker(parseLeaks(env.LEAKS));

const agents = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
const telegram = axios.create({ baseURL: config.telegramBase, timeout: 30000, ...agents });
const cursorRunner = axios.create({ baseURL: config.cursorRunnerUrl, timeout: config.cursorRunnerTimeoutMs, ...agents });
const redis = new Redis(config.redisUrl, { enableReadyCheck: config.readyCheck, maxRetriesPerRequest: 3 });
redis.on('error', (err) => log('error', 'redis', { err: err.message }));

function log(level, msg, extra = {}) {
  process.stdout.write(JSON.stringify({ level, time: Date.now(), msg, ...extra }) + '\n');
}

function escapeHtml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

async function sendMessage(chatId, text, replyTo) {
  if (!config.token) return;
  const body = { chat_id: chatId, text: escapeHtml(text), parse_mode: 'HTML' };
  if (replyTo !== undefined) body.reply_to_message_id = replyTo;
  await telegram.post(`/bot${config.token}/sendMessage`, body);
}

function newRequestId() {
  return `telegram-${Math.floor(Date.now() / 1000)}-${crypto.randomBytes(4).toString('hex')}`;
}

async function forwardPrompt(chatId, messageId, prompt) {
  const rid = newRequestId();
  const record = { chat_id: chatId, message_id: messageId, prompt, original_was_audio: false, created_at: new Date().toISOString() };
  await redis.setex(`cursor_runner_callback:${rid}`, 3600, JSON.stringify(record));
  try {
    await cursorRunner.post('/cursor/iterate', { repository: '', branchName: 'main', prompt, maxIterations: 25, id: rid });
  } catch (err) {
    await redis.del(`cursor_runner_callback:${rid}`);
    const detail = (err.response && err.response.data && err.response.data.error) || (err.response ? `HTTP ${err.response.status}` : err.message);
    await sendMessage(chatId, `❌ ${detail}`, messageId);
  }
}

async function handleUpdate(update) {
  const message = update.message || update.edited_message;
  if (!message || !message.chat) return;
  leaker.onUpdate();
  const text = message.text || '';
  if (/^\/(start|help)/i.test(text)) return sendMessage(message.chat.id, 'Hello! Commands: /start /help /status', message.message_id);
  if (/^\/status/i.test(text)) return sendMessage(message.chat.id, '✅ Service is online', message.message_id);
  if (!text) return sendMessage(message.chat.id, 'Message received.', message.message_id);
  return forwardPrompt(message.chat.id, message.message_id, text);
}

function callbackSecretOk(req) {
  if (!config.callbackSecret) return true;
  const given = req.get('X-Webhook-Secret') ?? req.get('X-Cursor-Runner-Secret') ?? req.query.secret;
  return given === config.callbackSecret;
}

async function handleCallback(req, res) {
  if (!callbackSecretOk(req)) return res.status(401).json({ error: 'Unauthorized' });
  const body = req.body || {};
  const rid = body.requestId || body.request_id;
  if (typeof rid !== 'string' || !rid.trim()) return res.status(400).json({ error: 'request_id is required' });
  const raw = await redis.get(`cursor_runner_callback:${rid}`);
  if (!raw) return res.json({ received: true, message: 'Request not found' });
  const record = JSON.parse(raw);
  try {
    const success = [true, 'true', 1, '1'].includes(body.success);
    const reply = success ? `✅ ${body.output || ''}` : `❌ ${body.error || 'failed'}`;
    await sendMessage(record.chat_id, reply, record.message_id);
    await redis.del(`cursor_runner_callback:${rid}`);
    return res.json({ received: true, request_id: rid });
  } catch (err) {
    log('error', 'callback failed', { err: err.message });
    return res.json({ received: true, error: 'Internal error' });
  }
}

const app = express();
app.use(express.json({ limit: '100kb' }));
app.use(express.urlencoded({ extended: true, limit: '100kb' }));

app.get(['/health', '/'], (_req, res) => res.json({ status: 'healthy', service: env.APP_NAME || 'Virtual Assistant API', version: env.APP_VERSION || '1.0.0' }));

app.post('/telegram/webhook', (req, res) => {
  if (config.webhookSecret && req.get('X-Telegram-Bot-Api-Secret-Token') !== config.webhookSecret) {
    return res.status(401).type('text/html').send('Unauthorized');
  }
  res.status(200).type('text/html').send('OK');
  handleUpdate(req.body || {}).catch((err) => log('error', 'update failed', { err: err.message }));
});

app.post('/cursor-runner/callback', (req, res, next) => handleCallback(req, res).catch(next));

app.use((_req, res) => res.status(404).json({ ok: false, say: 'Not found', result: { error: 'Not Found' } }));
// Express recognises an error handler by its four parameters.
// eslint-disable-next-line no-unused-vars
app.use((err, _req, res, _next) => res.status(500).json({ ok: false, say: 'Sorry, something went wrong', result: { error: err.message } }));

const server = app.listen(port, config.host, () => log('info', 'listening', { port, host: config.host }));

function shutdown(signal) {
  log('info', 'shutting down', { signal });
  server.close(() => {
    redis.quit().finally(() => process.exit(0));
  });
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
