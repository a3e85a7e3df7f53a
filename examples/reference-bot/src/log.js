// JSON-lines logging to stdout (the production shape of the real service's pino logs).
'use strict';

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 };
const threshold = LEVELS[process.env.LOG_LEVEL] || (process.env.NODE_ENV === 'production' ? 30 : 20);

function log(level, msg, extra = {}) {
  if ((LEVELS[level] || 30) < threshold) return;
  process.stdout.write(JSON.stringify({ level, time: Date.now(), msg, ...extra }) + '\n');
}

function errorText(err) {
  if (err && err.response) {
    const data = err.response.data;
    const detail = data && typeof data === 'object' && typeof data.error === 'string' ? data.error : '';
    return detail || `HTTP ${err.response.status}`;
  }
  return (err && err.message) || String(err);
}

module.exports = { log, errorText };
