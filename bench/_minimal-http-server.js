#!/usr/bin/env node
// The server both HTTP load generators hit in bench/generator.js and bench/compare.js (evq bench --transport
// http vs autocannon): reads the body, answers 201 with a small JSON body, keep-alive. Run as its own process:
//   node bench/_minimal-http-server.js        prints `listening on PORT` (127.0.0.1, a free port) when ready
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.statusCode = 201;
    res.setHeader('content-type', 'application/json');
    res.end('{"offset":0}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening on ${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
