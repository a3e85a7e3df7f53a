// The pending-request records in Redis that link a forwarded prompt to CR's later callback.
'use strict';

const Redis = require('ioredis');

const TTL_S = 3600;
const key = (requestId) => `cursor_runner_callback:${requestId}`;

function connectRedis(config) {
  return new Redis(config.redisUrl, { enableReadyCheck: config.redisReadyCheck, maxRetriesPerRequest: 3 });
}

function makeStore(redis) {
  return {
    save: (requestId, record) => redis.setex(key(requestId), TTL_S, JSON.stringify(record)),
    async load(requestId) {
      const raw = await redis.get(key(requestId));
      return raw ? JSON.parse(raw) : null;
    },
    remove: (requestId) => redis.del(key(requestId)),
  };
}

module.exports = { connectRedis, makeStore };
