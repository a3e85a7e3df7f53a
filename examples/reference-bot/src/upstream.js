// One axios instance per upstream on its own shared keep-alive agents, so connections are pooled
// per upstream. The `socket` leak switch swaps in a fresh agent for some requests.
'use strict';

const http = require('http');
const https = require('https');
const axios = require('axios');

function makeUpstream(baseURL, timeoutMs, leaks) {
  const shared = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
  const client = axios.create({ baseURL, timeout: timeoutMs, maxContentLength: Infinity, maxBodyLength: Infinity, ...shared });
  // Registered once per instance: an interceptor runs per request but adds no listener.
  client.interceptors.request.use((config) => {
    const leaked = leaks.agentForRequest();
    if (leaked) Object.assign(config, leaked);
    return config;
  });
  const destroy = () => {
    shared.httpAgent.destroy();
    shared.httpsAgent.destroy();
  };
  return { client, destroy };
}

module.exports = { makeUpstream };
