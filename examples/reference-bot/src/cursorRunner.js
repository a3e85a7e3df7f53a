// cursor-runner client (TARGET-CONTRACT §4.3): `sync` posts /cursor/iterate and waits for the
// result; `async` posts /cursor/iterate/async with a callbackUrl and gets an acknowledgement.
'use strict';

const { makeUpstream } = require('./upstream');

function makeCursorRunner(config, leaks) {
  const { client, destroy } = makeUpstream(config.cursorRunnerUrl, config.cursorRunnerTimeoutMs, leaks, 'cursor_runner');
  const callbackUrl = `${config.callbackBaseUrl}/cursor-runner/callback`;
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };

  // Resolves when CR accepted the job (2xx with a JSON body, or 422); throws otherwise.
  async function iterate(requestId, prompt) {
    const job = { repository: '', branchName: 'main', prompt, maxIterations: 25, id: requestId };
    const route = config.cursorRunnerMode === 'async' ? '/cursor/iterate/async' : '/cursor/iterate';
    if (config.cursorRunnerMode === 'async') job.callbackUrl = callbackUrl;
    const response = await client.post(route, job, { headers, validateStatus: (s) => (s >= 200 && s < 300) || s === 422 });
    if (!response.data || typeof response.data !== 'object') {
      const err = new Error(`HTTP ${response.status}: not JSON`);
      throw err;
    }
    return response.data;
  }

  return { iterate, destroy };
}

module.exports = { makeCursorRunner };
