'use strict';
// Test client for connection churn: calls one URL `count` times at `ratePerS` (open loop: a call
// starts on schedule whether or not the previous one answered, as a service's traffic does), with
// one of the ways real services hold (or fail to hold) their HTTP clients, then keeps its
// connections `holdS` seconds and prints {"ok": n, "failed": n, "errors": [...]}.
// Argument: a JSON spec {"url", "how", "ratePerS", "count", "holdS"}. axios comes from NODE_PATH.
//   shared           one http.Agent({keepAlive: true}) for every call (no idle timeout)
//   shared-timeout   one keep-alive agent closing idle sockets after 5 s (as the reference bot)
//   global           no agent option: Node 20's global agent (keep-alive, 5 s idle timeout)
//   axios            axios with no agent: Node's global agent underneath
//   axios-shared     one axios instance on its own shared keep-alive agent
//   fetch            Node's global fetch (undici's pool)
//   agent-per-call   a new keep-alive agent per call, never destroyed (the leak-socket switch)
//   axios-agent-per-call    the same through axios
//   agent-per-call-destroyed  a new keep-alive agent per call, destroyed once the answer is read
//   no-agent         agent: false (a one-off agent per call: Connection: close)
//   connection-close the shared agent, but each call asks for Connection: close

const http = require('http');

const spec = JSON.parse(process.argv[2]);
const KEEP = { keepAlive: true };
const retained = []; // agents a leaking service keeps reachable

function request(options) {
  return new Promise((resolve, reject) => {
    const req = http.request(spec.url, { method: 'POST', headers: { 'content-type': 'application/json' }, ...options }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end(JSON.stringify({ chat_id: 4400123, text: 'churn' }));
  });
}

function axiosCall(instance) {
  return instance.post(spec.url, { chat_id: 4400123, text: 'churn' }).then((res) => res.status);
}

function caller(how) {
  const shared = new http.Agent(KEEP);
  const sharedTimeout = new http.Agent({ keepAlive: true, timeout: 5000 });
  const axiosOptions = { timeout: 10000, validateStatus: () => true };
  // Loaded before the first call, so loading it does not bunch the first calls into a burst.
  const axios = how.startsWith('axios') ? require('axios') : null;
  const lazyAxios = () => axios;
  const calls = {
    shared: () => request({ agent: shared }),
    'shared-timeout': () => request({ agent: sharedTimeout }),
    global: () => request({}),
    axios: (() => {
      let instance = null;
      return () => axiosCall(instance || (instance = lazyAxios().create(axiosOptions)));
    })(),
    'axios-shared': (() => {
      let instance = null;
      return () => axiosCall(instance || (instance = lazyAxios().create({ ...axiosOptions, httpAgent: shared })));
    })(),
    fetch: async () => {
      const res = await fetch(spec.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"chat_id":4400123,"text":"churn"}' });
      await res.arrayBuffer();
      return res.status;
    },
    'agent-per-call': () => {
      const agent = new http.Agent(KEEP);
      retained.push(agent);
      return request({ agent });
    },
    'axios-agent-per-call': () => {
      const agent = new http.Agent(KEEP);
      retained.push(agent);
      return axiosCall(lazyAxios().create({ ...axiosOptions, httpAgent: agent }));
    },
    'agent-per-call-destroyed': async () => {
      const agent = new http.Agent(KEEP);
      try {
        return await request({ agent });
      } finally {
        agent.destroy();
      }
    },
    'no-agent': () => request({ agent: false }),
    'connection-close': () => request({ agent: shared, headers: { 'content-type': 'application/json', connection: 'close' } }),
  };
  if (!(how in calls)) throw new Error(`unknown client: ${how}`);
  return calls[how];
}

async function main() {
  const call = caller(spec.how);
  const intervalMs = 1000 / spec.ratePerS;
  const started = Date.now();
  const outcomes = [];
  for (let i = 0; i < spec.count; i += 1) {
    const dueMs = started + i * intervalMs;
    const waitMs = dueMs - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    outcomes.push(call().then(() => null, (error) => String(error.code || error.message)));
  }
  const errors = (await Promise.all(outcomes)).filter((e) => e !== null);
  await new Promise((resolve) => setTimeout(resolve, (spec.holdS || 0) * 1000));
  const report = { ok: spec.count - errors.length, failed: errors.length, errors: errors.slice(0, 5) };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
