// One axios instance per upstream on its own shared keep-alive agents, so connections are pooled
// per upstream. The `socket` leak switch swaps in a fresh agent for some requests; failed calls are
// tagged with the upstream's name.
'use strict';

const http = require('http');
const https = require('https');
const axios = require('axios');

const IDLE_SOCKET_MS = 5000;

function makeUpstream(baseURL, timeoutMs, leaks, name) {
  // Like Node 20's global agents: keep-alive, idle sockets closed after 5 s.
  const options = { keepAlive: true, timeout: IDLE_SOCKET_MS };
  const shared = { httpAgent: new http.Agent(options), httpsAgent: new https.Agent(options) };
  const client = axios.create({ baseURL, timeout: timeoutMs, maxContentLength: Infinity, maxBodyLength: Infinity, ...shared });
  // Registered once per instance: an interceptor runs per request but adds no listener.
  client.interceptors.request.use((config) => {
    const leaked = leaks.agentForRequest();
    if (leaked) Object.assign(config, leaked);
    return config;
  });
  // Failed calls say which upstream failed (the retry-storm switch reacts to Telegram's).
  client.interceptors.response.use(undefined, (err) => {
    if (err && typeof err === 'object') err.upstream = name;
    throw err;
  });
  const destroy = () => {
    shared.httpAgent.destroy();
    shared.httpsAgent.destroy();
  };
  return { client, destroy };
}

module.exports = { makeUpstream };
