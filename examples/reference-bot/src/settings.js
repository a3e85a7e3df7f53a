// Settings `debug` (S) and `allow_audio_output` (A), read at the point of use. The real service
// keeps them in a shared SQLite file; this bot reads BOT_DEBUG / BOT_ALLOW_AUDIO_OUTPUT (see README).
'use strict';

const NAMES = { debug: 'BOT_DEBUG', allow_audio_output: 'BOT_ALLOW_AUDIO_OUTPUT' };

function setting(name) {
  return process.env[NAMES[name]] === '1';
}

module.exports = { setting };
