#!/usr/bin/env node
// A router: one subscription to a topic, multiplexed into several sinks, each chosen by a predicate in
// evq's filter language. The sinks are listed in a routes file that the router re-reads while it runs:
// add a route and it gets every record from the next one on; remove it and its sink is closed. Each
// record is looked at once, in offset order, by every route.
//
//   node examples/router/router.js --topic orders --routes examples/router/routes.example.json
//
// A route is { "name", "filter", and "topic" (produce the record to another topic, key and headers kept)
// or "file" (append the record as one JSON line) }. The broker is EVQ_URL (default http://127.0.0.1:7070).
// It says on stderr what it does; Ctrl-C stops it after the sinks have flushed.
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { compileFilter, connect } from '../../dist/index.js';

const { values } = parseArgs({
  options: {
    topic: { type: 'string', default: 'orders' },
    routes: { type: 'string', default: new URL('./routes.example.json', import.meta.url).pathname },
    from: { type: 'string', default: 'latest' },
    'poll-ms': { type: 'string', default: '200' },
  },
});
const log = (line) => process.stderr.write(`router: ${line}\n`);

const client = await connect(process.env.EVQ_URL ?? 'http://127.0.0.1:7070', { token: process.env.EVQ_TOKEN });

/** A queue the producer of a topic sink pulls from: the sink's records, streamed into one produce call. */
function queue() {
  const items = [];
  let wake;
  let ended = false;
  return {
    push(item) {
      items.push(item);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (items.length > 0) yield items.shift();
        else if (ended) return;
        else await new Promise((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
  };
}

/** Opens the sink of a route: a topic (streamed produce) or a file (JSON lines). */
function openSink(route) {
  if (route.topic !== undefined) {
    const q = queue();
    const done = client.produce(route.topic, q, { lingerMs: 20 }).catch((err) => log(`sink ${route.name}: ${err.message}`));
    return {
      write: (record) => q.push({ key: record.key, headers: record.headers, value: Buffer.from(record.value) }),
      close: async () => {
        q.end();
        await done;
      },
    };
  }
  const out = createWriteStream(route.file, { flags: 'a' });
  return {
    write: (record) =>
      out.write(
        `${JSON.stringify({ offset: record.offset, key: record.key, headers: record.headers, value: record.value.toString('utf8') })}\n`,
      ),
    close: () => new Promise((resolve) => out.end(resolve)),
  };
}

const routes = new Map(); // name -> { spec, match, sink, count }
let nextOffset = null; // the offset of the next record the router will look at (known after the first)
let routesMtime = 0;

async function loadRoutes() {
  let specs;
  try {
    const info = await stat(values.routes);
    if (info.mtimeMs === routesMtime) return;
    routesMtime = info.mtimeMs;
    specs = JSON.parse(await readFile(values.routes, 'utf8'));
  } catch (err) {
    log(`cannot read ${values.routes}: ${err.message} (keeping the routes as they are)`);
    return;
  }
  const wanted = new Map(specs.map((s) => [s.name, s]));
  for (const [name, route] of routes) {
    if (JSON.stringify(wanted.get(name)) === JSON.stringify(route.spec)) continue;
    routes.delete(name);
    await route.sink.close();
    log(`- ${name} removed after ${route.count} records`);
  }
  for (const [name, spec] of wanted) {
    if (routes.has(name)) continue;
    let match;
    try {
      match = compileFilter(spec.filter);
    } catch (err) {
      log(`route ${name} ignored: ${err.message}`);
      continue;
    }
    routes.set(name, { spec, match, sink: openSink(spec), count: 0 });
    log(
      `+ ${name} (${spec.filter}) -> ${spec.topic ?? spec.file}, from ${nextOffset === null ? 'the next record' : `offset ${nextOffset}`}`,
    );
  }
}

await loadRoutes();
const subscription = client.subscribe(values.topic, {
  from: values.from === 'latest' || values.from === 'earliest' ? values.from : Number(values.from),
});
let reloading = Promise.resolve();
const poll = setInterval(() => {
  // routes change between records, never in the middle of one
  reloading = reloading.then(loadRoutes);
}, Number(values['poll-ms']));

const stop = () => void subscription.close();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
await subscription.ready;
log(`routing ${values.topic} into ${routes.size} sinks (edit ${values.routes} to add or remove some)`);

for await (const record of subscription) {
  await reloading;
  for (const route of routes.values()) {
    // the compiled filter reads a record whose value is text or bytes
    if (route.match(record)) {
      route.sink.write(record);
      route.count++;
    }
  }
  nextOffset = record.offset + 1;
}
clearInterval(poll);
await reloading;
for (const [name, route] of routes) {
  await route.sink.close();
  log(`${name}: ${route.count} records`);
}
await client.close();
