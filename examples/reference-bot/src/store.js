// The pending-request records in Redis that link a forwarded prompt to CR's later callback.
'use strict';

const Redis = require('ioredis');

const TTL_S = 3600;
const key = (requestId) => `cursor_runner_callback:${requestId}`;

function connectRedis(config) {
  return new Redis(config.redisUrl, { enableReadyCheck: config.redisReadyCheck, maxRetriesPerRequest: 3 });
}

// crashOnRedisError (the `crash-on-redis-error` defect): the write is fired and forgotten, no await
// and no catch, a common slip. When Redis fails, its rejection is unhandled and Node ends the process.
function makeStore(redis, { crashOnRedisError = false } = {}) {
  const save = (requestId, record) => redis.setex(key(requestId), TTL_S, JSON.stringify(record));
  return {
    save: crashOnRedisError ? async (requestId, record) => { save(requestId, record); } : save,
    async load(requestId) {
      const raw = await redis.get(key(requestId));
      return raw ? JSON.parse(raw) : null;
    },
    remove: (requestId) => redis.del(key(requestId)),
  };
}

module.exports = { connectRedis, makeStore };
