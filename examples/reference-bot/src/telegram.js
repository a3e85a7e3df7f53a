// Telegram Bot API client (TARGET-CONTRACT §4.1): method calls, file download to $TMPDIR and
// sendVoice as a streamed multipart upload. Without a token no call is made.
'use strict';

const fs = require('fs');
const crypto = require('crypto');
const path = require('path');
const { pipeline } = require('stream/promises');
const FormData = require('form-data');
const { makeUpstream } = require('./upstream');
const { removeTemp } = require('./tempfiles');

const TIMEOUT_MS = 30000;

function escapeHtml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function makeTelegram(config, leaks) {
  const { client, destroy } = makeUpstream(config.telegramBase, TIMEOUT_MS, leaks, 'telegram');
  const method = (name) => `/bot${config.token}/${name}`;
  const enabled = Boolean(config.token);

  async function call(name, body) {
    const response = await client.post(method(name), body);
    return response.data;
  }

  async function sendMessage(chatId, text, replyTo) {
    if (!enabled) return null;
    const body = { chat_id: chatId, text: escapeHtml(text), parse_mode: 'HTML' };
    if (replyTo !== undefined && replyTo !== null) body.reply_to_message_id = replyTo;
    return call('sendMessage', body);
  }

  async function answerCallbackQuery(id) {
    if (!enabled) return null;
    return call('answerCallbackQuery', { callback_query_id: id, text: 'Processing...' });
  }

  // Streams the file to $TMPDIR and returns its path and upload name; the caller deletes it in `finally`. A
  // partial file from a failed download is deleted here.
  async function downloadFile(fileId) {
    if (!enabled) throw new Error('TELEGRAM_BOT_TOKEN is not set');
    const info = await call('getFile', { file_id: fileId });
    const filePath = info && info.ok && info.result && info.result.file_path;
    if (!filePath) throw new Error('getFile returned no file_path');
    const uploadName = `telegram_${fileId}_${path.basename(filePath)}`;
    // The contract's name alone races: two updates carrying the same file (a forward, a redelivery)
    // download at once, and one's cleanup deletes the file the other is still uploading. soak's
    // peak run caught it as a truncated speech-to-text upload. A random part keeps each apart.
    const unique = crypto.randomBytes(4).toString('hex');
    const localPath = path.join(config.tmpDir, `telegram_${fileId}_${unique}_${path.basename(filePath)}`);
    const response = await client.get(`/file/bot${config.token}/${filePath}`, { responseType: 'stream' });
    try {
      await pipeline(response.data, fs.createWriteStream(localPath));
    } catch (err) {
      await removeTemp(localPath);
      throw err;
    }
    return { localPath, uploadName };
  }

  async function sendVoice(chatId, mp3Path, replyTo) {
    if (!enabled) return null;
    const voice = fs.createReadStream(mp3Path);
    const form = new FormData();
    form.append('voice', voice, { filename: path.basename(mp3Path), contentType: 'audio/mpeg' });
    form.append('chat_id', String(chatId));
    if (replyTo !== undefined && replyTo !== null) form.append('reply_to_message_id', String(replyTo));
    try {
      const response = await client.post(method('sendVoice'), form, { headers: form.getHeaders() });
      return response.data;
    } finally {
      // A request that failed before reading the file would otherwise keep its fd open.
      voice.destroy();
    }
  }

  async function setWebhook(url, secretToken) {
    return call('setWebhook', { url, secret_token: secretToken });
  }

  async function getWebhookInfo() {
    return (await client.get(method('getWebhookInfo'))).data;
  }

  async function deleteWebhook() {
    return call('deleteWebhook', {});
  }

  return { sendMessage, answerCallbackQuery, downloadFile, sendVoice, setWebhook, getWebhookInfo, deleteWebhook, destroy };
}

module.exports = { makeTelegram, escapeHtml };
