#!/usr/bin/env node
// The ceiling of bench/broker.js: a bare `ws` server that forwards batched frames and does nothing else (no
// storage, no decoding of records). Run as its own process:
//   node bench/_ws-baseline-server.js [--port 0]
// prints `ws baseline listening on ws://127.0.0.1:PORT` when ready; SIGTERM/SIGINT stop it.
//
// Clients connect to /pub (producers) or /sub (subscribers). A binary message from a producer must start
// with the produce frame header of evq's binary protocol (u8 0x01 | u32 req | ...); the server reads only
// those 5 bytes, sends the message as it is (the same Buffer, not copied) to every subscriber connected at
// that moment, then acknowledges the producer with a JSON text frame {"op":"ack","req":N} (the shape of
// evq's acks, so the load generator is the same for both).
import { WebSocketServer } from 'ws';

const portFlag = process.argv.indexOf('--port');
const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 0;

const subscribers = new Set();
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, clientTracking: false, maxPayload: 64 * 1024 * 1024 });

wss.on('connection', (socket, req) => {
  socket.on('error', () => socket.terminate());
  if (req.url === '/sub') {
    subscribers.add(socket);
    socket.on('close', () => subscribers.delete(socket));
    return;
  }
  socket.on('message', (message, isBinary) => {
    const data = /** @type {Buffer} */ (message);
    if (!isBinary || data.length < 5 || data[0] !== 0x01) {
      socket.send('{"op":"error","code":"EVQ_ERR_MALFORMED","message":"a produce frame starts with 0x01 | u32 req"}');
      return;
    }
    for (const subscriber of subscribers) subscriber.send(data, { binary: true });
    socket.send(`{"op":"ack","req":${data.readUInt32BE(1)}}`);
  });
});

wss.on('listening', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (wss.address());
  process.stdout.write(`ws baseline listening on ws://127.0.0.1:${address.port}\n`);
});

const stop = () => {
  for (const subscriber of subscribers) subscriber.terminate();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
