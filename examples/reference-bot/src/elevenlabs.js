// ElevenLabs client (TARGET-CONTRACT §4.2): speech-to-text from a local file (streamed
// multipart) and text-to-speech streamed into an mp3 in $TMPDIR.
'use strict';

const fs = require('fs');
const path = require('path');
const { pipeline } = require('stream/promises');
const FormData = require('form-data');
const { makeUpstream } = require('./upstream');
const { removeTemp, ttsPath } = require('./tempfiles');

const TIMEOUT_MS = 60000;

function audioType(fileName) {
  const ext = path.extname(fileName).toLowerCase();
  if (ext === '.oga' || ext === '.ogg') return 'audio/ogg';
  if (ext === '.mp3') return 'audio/mpeg';
  return 'application/octet-stream';
}

function makeElevenLabs(config, leaks) {
  const { client, destroy } = makeUpstream(config.elevenlabsBase, TIMEOUT_MS, leaks, 'elevenlabs');
  const auth = { 'xi-api-key': config.elevenlabsKey };

  async function transcribe(filePath, uploadName = path.basename(filePath)) {
    const name = uploadName;
    const audio = fs.createReadStream(filePath);
    const form = new FormData();
    form.append('file', audio, { filename: name, contentType: audioType(name) });
    form.append('model_id', config.sttModel);
    let response;
    try {
      response = await client.post('/v1/speech-to-text', form, { headers: { ...auth, ...form.getHeaders() } });
    } finally {
      // A request that failed before reading the file would otherwise keep its fd open.
      audio.destroy();
    }
    const text = response.data && typeof response.data.text === 'string' ? response.data.text.trim() : '';
    if (!text) throw new Error('empty transcript');
    return text;
  }

  // Returns the mp3's path; the caller deletes it in `finally`. A partial file is deleted here.
  async function synthesize(text) {
    const body = { text, model_id: config.ttsModel, output_format: 'mp3_44100_128' };
    const headers = { ...auth, 'Content-Type': 'application/json', Accept: 'audio/mpeg' };
    const url = `/v1/text-to-speech/${encodeURIComponent(config.voiceId)}`;
    const response = await client.post(url, body, { headers, responseType: 'stream' });
    const mp3Path = ttsPath(config.tmpDir);
    try {
      await pipeline(response.data, fs.createWriteStream(mp3Path));
    } catch (err) {
      await removeTemp(mp3Path);
      throw err;
    }
    return mp3Path;
  }

  return { transcribe, synthesize, destroy };
}

module.exports = { makeElevenLabs };
