#!/usr/bin/env node
// The server both HTTP load generators hit in bench/generator.js and bench/compare.js (evq bench --transport
// http vs autocannon): reads the body, answers a POST 201 with a small JSON body and a GET (evq bench asks for the
// topic's partitions first) with an empty topic of one partition, as evq serve would; keep-alive. Run as its own process:
//   node bench/_minimal-http-server.js        prints `listening on PORT` (127.0.0.1, a free port) when ready
import { createServer } from 'node:http';

const EMPTY = { startOffset: 0, endOffset: 0, messageCount: 0, sizeBytes: 0 };

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET') {
      const topic = decodeURIComponent((req.url ?? '/').split('?')[0].split('/')[2] ?? 'topic');
      res.statusCode = 200;
      res.end(JSON.stringify({ topic, ...EMPTY, subscribers: 0, partitions: [{ partition: 0, ...EMPTY }], groups: [] }));
      return;
    }
    res.statusCode = 201;
    res.end('{"offset":0}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening on ${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
