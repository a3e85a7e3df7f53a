// The update flows of TARGET-CONTRACT §1.1: text (T), voice (V), local replies (L), spoken
// replies (R), callback_query (Q), edited_message (E) and the CR callback (C).
'use strict';

const crypto = require('crypto');
const { log, errorText } = require('./log');
const { removeTemp } = require('./tempfiles');
const { setting } = require('./settings');

const HELP = 'Hello! I forward your requests to the assistant.\nCommands:\n/start, /help - this message\n/status - service status';
const STATUS = '✅ Service is online';
const ACK = 'Message received.';
const APOLOGY = 'Sorry, something went wrong while handling your message.';

function newRequestId() {
  return `telegram-${Math.floor(Date.now() / 1000)}-${crypto.randomBytes(4).toString('hex')}`;
}

function localReply(text) {
  if (/^\/(start|help)/i.test(text)) return HELP;
  if (/^\/status/i.test(text)) return STATUS;
  return null;
}

function audioFileId(message) {
  if (message.voice && message.voice.file_id) return message.voice.file_id;
  if (message.audio && message.audio.file_id) return message.audio.file_id;
  const doc = message.document;
  if (doc && doc.file_id && String(doc.mime_type || '').startsWith('audio/')) return doc.file_id;
  return null;
}

function makeFlows({ telegram, elevenlabs, cursorRunner, store: sharedStore, leaks }) {
  // R: TTS then sendVoice; on any failure the same text goes out as a message.
  async function spokenReply(chatId, messageId, text) {
    let mp3Path = null;
    try {
      mp3Path = await elevenlabs.synthesize(text);
      await telegram.sendVoice(chatId, mp3Path, messageId);
    } catch (err) {
      log('warn', 'spoken reply failed, sending text', { err: errorText(err) });
      await telegram.sendMessage(chatId, text, messageId);
    } finally {
      if (mp3Path) await removeTemp(mp3Path);
    }
  }

  async function reply(chatId, messageId, text, wasAudio) {
    if (wasAudio && setting('allow_audio_output')) return spokenReply(chatId, messageId, text);
    return telegram.sendMessage(chatId, text, messageId);
  }

  // T: record, then CR; a refusal removes the record and tells the user why.
  async function forward(store, chatId, messageId, prompt, wasAudio) {
    const requestId = newRequestId();
    const record = { chat_id: chatId, message_id: messageId, prompt, original_was_audio: wasAudio, created_at: new Date().toISOString() };
    await store.save(requestId, record);
    try {
      await cursorRunner.iterate(requestId, prompt);
    } catch (err) {
      await store.remove(requestId);
      await telegram.sendMessage(chatId, `❌ Error: ${errorText(err)}`, messageId);
      return;
    }
    if (setting('debug')) await telegram.sendMessage(chatId, '⏳ Processing your request...', messageId);
  }

  // V: download, transcribe, delete the file, then forward or answer locally.
  async function voice(store, chatId, messageId, fileId) {
    if (setting('debug')) await telegram.sendMessage(chatId, '🎤 Transcribing your voice message...', messageId);
    let download = null;
    let transcript;
    try {
      download = await telegram.downloadFile(fileId);
      await leaks.onDownload(download.localPath);
      transcript = await elevenlabs.transcribe(download.localPath, download.uploadName);
    } catch (err) {
      await telegram.sendMessage(chatId, `❌ Could not transcribe the audio: ${errorText(err)}`, messageId);
      return;
    } finally {
      if (download) await removeTemp(download.localPath);
    }
    const local = localReply(transcript);
    if (local) return reply(chatId, messageId, local, true);
    return forward(store, chatId, messageId, transcript, true);
  }

  async function message(store, msg) {
    const chatId = msg.chat.id;
    const text = typeof msg.text === 'string' ? msg.text : '';
    if (text) {
      const local = localReply(text);
      return local ? reply(chatId, msg.message_id, local, false) : forward(store, chatId, msg.message_id, text, false);
    }
    const fileId = audioFileId(msg);
    if (fileId) return voice(store, chatId, msg.message_id, fileId);
    return reply(chatId, msg.message_id, ACK, false);
  }

  // Q: answer the button press (failures tolerated), then acknowledge or forward its data.
  async function callbackQuery(store, query) {
    try {
      await telegram.answerCallbackQuery(query.id);
    } catch (err) {
      log('warn', 'answerCallbackQuery failed', { err: errorText(err) });
    }
    const data = typeof query.data === 'string' ? query.data : '';
    const msg = query.message;
    const chatId = msg && msg.chat ? msg.chat.id : query.from && query.from.id;
    if (!data.trim() || localReply(data)) {
      if (chatId !== undefined) await telegram.sendMessage(chatId, `Received: ${data || '(empty)'}`);
      return;
    }
    if (msg && msg.chat) await forward(store, msg.chat.id, msg.message_id, data, false);
  }

  // Updates still being processed after their 200, so shutdown can let them finish.
  const inFlight = new Set();

  function handleUpdate(update) {
    const job = processUpdate(update);
    inFlight.add(job);
    return job.finally(() => inFlight.delete(job));
  }

  function drain() {
    return Promise.allSettled([...inFlight]);
  }

  async function processUpdate(update) {
    const msg = update.message || update.edited_message;
    const query = update.callback_query;
    if (!(msg && msg.chat) && !query) return;
    const chat = query ? (query.message && query.message.chat) || query.from : msg.chat;
    leaks.onUpdate(update.update_id, chat ? chat.id : undefined);
    const store = leaks.storeForJob() || sharedStore;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await (query ? callbackQuery(store, query) : message(store, msg));
        return;
      } catch (err) {
        if (attempt >= leaks.retryTimes(err)) return failed(update, err);
        log('warn', 'update failed, processing it again', { update_id: update.update_id, attempt: attempt + 1 });
      }
    }
  }

  // The generic apology after an unexpected error (no marker, as the contract says).
  async function failed(update, err) {
    const msg = update.message || update.edited_message;
    const query = update.callback_query;
    log('error', 'update failed', { update_id: update.update_id, err: errorText(err) });
    const chatId = msg ? msg.chat.id : query.message && query.message.chat && query.message.chat.id;
    if (chatId !== undefined) await telegram.sendMessage(chatId, APOLOGY).catch(() => {});
  }

  // C: the result of a forwarded prompt; returns [status, body] for the route to send.
  async function handleResult(body) {
    const requestId = body.requestId || body.request_id;
    if (typeof requestId !== 'string' || !requestId.trim()) return [400, { error: 'request_id is required' }];
    const record = await sharedStore.load(requestId);
    if (!record) return [200, { received: true, message: 'Request not found' }];
    try {
      const success = [true, 'true', 1, '1'].includes(body.success);
      const text = success ? `✅ ${body.output || 'Done.'}` : `❌ ${body.error || 'The request failed.'}`;
      await reply(record.chat_id, record.message_id, text, Boolean(record.original_was_audio));
      await sharedStore.remove(requestId);
      return [200, { received: true, request_id: requestId }];
    } catch (err) {
      log('error', 'callback failed', { request_id: requestId, err: errorText(err) });
      await telegram.sendMessage(record.chat_id, '❌ Error: could not deliver the result', record.message_id).catch(() => {});
      return [200, { received: true, error: 'Internal error' }];
    }
  }

  return { handleUpdate, handleResult, drain };
}

module.exports = { makeFlows, localReply, audioFileId };
