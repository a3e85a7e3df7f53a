// The inbound HTTP surface of TARGET-CONTRACT §3: webhook, CR callback, admin, health, the
// reserved 501 routes, the 404 envelope, body limits and the 500 error envelope.
'use strict';

const express = require('express');
const { log, errorText } = require('./log');

const APOLOGY = 'Sorry, something went wrong. Please try again later.';
const RESERVED = [
  ['post', '/cursor-runner/cursor/execute'], ['post', '/cursor-runner/cursor/iterate'],
  ['post', '/cursor-runner/git/clone'], ['post', '/cursor-runner/git/checkout'],
  ['post', '/cursor-runner/git/push'], ['post', '/cursor-runner/git/pull'],
  ['get', '/cursor-runner/git/repositories'],
];

function firstDefined(...values) {
  return values.find((v) => v !== undefined && v !== null);
}

function adminRoutes(app, config, telegram) {
  const authorised = (req) => firstDefined(req.get('X-Admin-Secret'), req.query.admin_secret) === config.adminSecret;
  const admin = (handler) => async (req, res) => {
    if (!authorised(req)) return res.status(401).type('text/plain').send('Unauthorized');
    try {
      return res.json(await handler(req));
    } catch (err) {
      return res.status(500).json({ ok: false, error: errorText(err) });
    }
  };
  app.post('/telegram/set_webhook', admin(async (req) => {
    const body = req.body || {};
    const url = firstDefined(body.url, req.query.url) || `${config.webhookBaseUrl}/telegram/webhook`;
    const secret = firstDefined(body.secret_token, req.query.secret_token) || config.webhookSecret || 'changeme';
    const info = await telegram.setWebhook(url, secret);
    return { ok: true, message: `Webhook set to ${url}`, webhook_info: info };
  }));
  app.get('/telegram/webhook_info', admin(async () => ({ ok: true, webhook_info: await telegram.getWebhookInfo() })));
  app.delete('/telegram/webhook', admin(async () => {
    await telegram.deleteWebhook();
    return { ok: true, message: 'Webhook deleted' };
  }));
}

// Enabled by BOT_DEBUG_ROUTES=1 only: handles, timers and listeners on the long-lived emitters,
// which cannot be read from outside the process without the inspector. `?gc=1` collects garbage
// first when node runs with --expose-gc.
function debugRoutes(app, emitters) {
  app.get('/__debug__/resources', async (req, res) => {
    if (req.query.gc === '1' && typeof global.gc === 'function') {
      // ArrayBuffer memory is released after the collection, off the main thread: collect twice.
      global.gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
      global.gc();
    }
    const resources = {};
    for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] || 0) + 1;
    let listeners = 0;
    for (const emitter of emitters) for (const name of emitter.eventNames()) listeners += emitter.listenerCount(name);
    res.json({ resources, listeners, memory: process.memoryUsage() });
  });
}

function makeApp({ config, flows, telegram, emitters }) {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));
  app.use(express.urlencoded({ extended: true, limit: '100kb' }));

  const health = (_req, res) => res.json({ status: 'healthy', service: config.appName, version: config.appVersion });
  app.get('/health', health);
  app.get('/', health);

  app.post('/telegram/webhook', (req, res) => {
    if (config.webhookSecret && req.get('X-Telegram-Bot-Api-Secret-Token') !== config.webhookSecret) {
      return res.status(401).type('text/html').send('Unauthorized');
    }
    const answer = () => res.status(200).type('text/html').send('OK');
    // answer-after-work: the 200 waits for the update's flow (a handler awaited before answering);
    // a client that stops waiting does not stop the work.
    const work = flows.handleUpdate(req.body || {})
      .catch((err) => log('error', 'update failed', { err: errorText(err) }));
    if (config.defects.has('answer-after-work')) work.finally(answer);
    else answer();
  });

  app.post('/cursor-runner/callback', async (req, res, next) => {
    const given = firstDefined(req.get('X-Webhook-Secret'), req.get('X-Cursor-Runner-Secret'), req.query.secret);
    if (config.callbackSecret && given !== config.callbackSecret) return res.status(401).json({ error: 'Unauthorized' });
    try {
      const [status, body] = await flows.handleResult(req.body || {});
      res.status(status).json(body);
    } catch (err) {
      next(err);
    }
  });

  adminRoutes(app, config, telegram);
  app.post('/agent-tools', (_req, res) =>
    res.status(501).json({ ok: false, say: 'Agent tools are not available here.', result: { error: 'Not implemented' } }));
  for (const [method, path] of RESERVED) {
    app[method](path, (_req, res) => res.status(501).json({ success: false, error: `${path} is not implemented` }));
  }
  if (config.debugRoutes) debugRoutes(app, emitters);

  app.use((_req, res) => res.status(404).json({ ok: false, say: 'Nothing here.', result: { error: 'Not Found' } }));
  // Express recognises an error handler by its four parameters.
  // eslint-disable-next-line no-unused-vars
  app.use((err, _req, res, _next) => {
    log('error', 'request failed', { err: err.message });
    res.status(500).json({ ok: false, say: APOLOGY, result: { error: err.message } });
  });
  return app;
}

module.exports = { makeApp };
