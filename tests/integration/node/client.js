'use strict';
// Test client: makes N sequential requests to one URL with axios, Node's https module or fetch, and
// prints one JSON document with each outcome. Argument: a JSON spec
//   {"client": "axios" | "https" | "fetch", "url": "...", "count": 1, "method": "GET", "body": {...},
//    "headers": {...}, "keepAlive": true, "connectProxy": "http://127.0.0.1:<port>" (https only: tunnel by CONNECT)}
// axios comes from NODE_PATH (the reference bot's node_modules, so its pinned version).

const http = require('http');
const https = require('https');

const spec = JSON.parse(process.argv[2]);

function outcomeOfError(error) {
  return { ok: false, code: error.code || null, message: String(error.message) };
}

function axiosClient(agentOptions) {
  // One instance and one pair of keep-alive agents for every request, as a service would hold.
  const axios = require('axios');
  return axios.create({
    httpsAgent: new https.Agent(agentOptions),
    httpAgent: new http.Agent(agentOptions),
    timeout: 10000,
    validateStatus: () => true,
  });
}

async function viaAxios(client) {
  const response = await client.request({ url: spec.url, method: spec.method || 'GET', data: spec.body, headers: spec.headers });
  return { ok: true, status: response.status, body: response.data };
}

async function viaFetch() {
  // Node's global fetch (undici): its own connection pool, reached through net/tls like the rest.
  const init = { method: spec.method || 'GET', headers: { 'content-type': 'application/json', ...(spec.headers || {}) } };
  if (spec.body !== undefined) init.body = JSON.stringify(spec.body);
  let response;
  try {
    response = await fetch(spec.url, init);
  } catch (error) {
    throw error.cause || error;
  }
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch (error) {
    // not JSON: keep the text
  }
  return { ok: true, status: response.status, body };
}

function tunnel(proxyUrl, target) {
  // CONNECT host:port, then TLS over the tunnel with the real name as SNI and for verification.
  return new Promise((resolve, reject) => {
    const proxy = new URL(proxyUrl);
    const request = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target });
    request.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        const error = new Error(`proxy answered CONNECT with ${response.statusCode}`);
        error.code = `PROXY_${response.statusCode}`;
        reject(error);
        return;
      }
      resolve(socket);
    });
    request.once('error', reject);
    request.end();
  });
}

async function viaHttps(agent) {
  const url = new URL(spec.url);
  const headers = { 'content-type': 'application/json', ...(spec.headers || {}) };
  const options = { method: spec.method || 'GET', agent, headers };
  if (spec.connectProxy) {
    const socket = await tunnel(spec.connectProxy, `${url.hostname}:${url.port || 443}`);
    // No agent, so ClientRequest takes our connection (agent: false would make a fresh Agent).
    delete options.agent;
    options.createConnection = () => require('tls').connect({ socket, servername: url.hostname });
  }
  return new Promise((resolve, reject) => {
    const request = https.request(url, options, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body = text;
        try {
          body = JSON.parse(text);
        } catch (error) {
          // not JSON: keep the text
        }
        resolve({ ok: true, status: response.statusCode, body });
      });
    });
    request.setTimeout(10000, () => request.destroy(new Error('timeout')));
    request.once('error', reject);
    request.end(spec.body === undefined ? undefined : JSON.stringify(spec.body));
  });
}

async function main() {
  const agentOptions = { keepAlive: spec.keepAlive !== false, maxSockets: 1 };
  const agent = new https.Agent(agentOptions);
  const client = spec.client === 'axios' ? axiosClient(agentOptions) : null;
  const viaHttpsModule = () => viaHttps(agent);
  const once = client ? () => viaAxios(client) : spec.client === 'fetch' ? viaFetch : viaHttpsModule;
  const results = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < (spec.count || 1); i += 1) {
    try {
      results.push(await once());
    } catch (error) {
      results.push(outcomeOfError(error));
    }
  }
  agent.destroy();
  // Exit even if a tunnel or a pooled socket is still open.
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ results, elapsedMs })}\n`, () => process.exit(0));
}

main();
