'use strict';
// A minimal service for the harness to start: at boot it calls a host no profile maps, then
// serves /health reporting how that call ended.
const http = require('http');
const https = require('https');

let outcome = 'pending';
https
  .get('https://example.com/boot-check', (response) => {
    outcome = `reached:${response.statusCode}`;
    response.resume();
  })
  .on('error', (error) => {
    outcome = error.code || error.message;
  });

http
  .createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ outcome, nodeOptions: process.env.NODE_OPTIONS }));
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
