// Temp-file naming and removal in $TMPDIR. Removal is where the `tempfile` leak switch acts.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const path = require('path');
const { log } = require('./log');

let keepFile = () => false;

function setKeepPolicy(policy) {
  keepFile = policy;
}

function ttsPath(tmpDir) {
  return path.join(tmpDir, `elevenlabs_tts_${crypto.randomBytes(8).toString('hex')}.mp3`);
}

async function removeTemp(filePath) {
  if (keepFile()) return;
  try {
    await fs.promises.unlink(filePath);
  } catch (err) {
    if (err.code !== 'ENOENT') log('warn', 'temp file not removed', { path: filePath, err: err.message });
  }
}

module.exports = { ttsPath, removeTemp, setKeepPolicy };
