#!/usr/bin/env node
// The read side (CQRS): a projection of every account's balance, kept in a JSON file and brought up to
// date by reading the events as a consumer group. The group's committed offset says how far the
// projection has read, so a second run reads only the new events. To rebuild the projection from scratch
// (a new version of it, a bug fixed in `apply`), give it a new group and state file: the new group has no
// offset yet, so it replays the topic from `earliest`.
//
//   node examples/bank-account/projection.js                               # group balances-v1, ./balances-v1.json
//   node examples/bank-account/projection.js --group balances-v2 --state balances-v2.json   # rebuild
//
// It prints the balances as JSON on stdout and ends at the end of the log.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { connect } from '../../dist/index.js';
import { TOPIC, apply } from './events.js';

const { values } = parseArgs({
  options: {
    group: { type: 'string', default: 'balances-v1' },
    state: { type: 'string' },
  },
});
const statePath = values.state ?? `${values.group}.json`;

let state = { offset: -1, accounts: {} };
try {
  state = JSON.parse(await readFile(statePath, 'utf8'));
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}

const client = await connect(process.env.EVQ_URL ?? 'http://127.0.0.1:7070', { token: process.env.EVQ_TOKEN });
let applied = 0;
try {
  // the event log exists before its first event (reading a topic that does not exist is an error); creating
  // one that exists already leaves it as it is
  await client.createTopic(TOPIC);
  // from: 'earliest' only places a group that has no offset yet; after that the group's offset wins
  for await (const record of client.consume(TOPIC, { group: values.group, from: 'earliest' })) {
    if (record.offset <= state.offset) continue; // already in the saved projection
    apply(state.accounts, JSON.parse(record.value.toString('utf8')));
    state.offset = record.offset;
    applied++;
  }
} finally {
  await client.close();
}
// write-temp + rename: a crash never leaves half a projection behind
await writeFile(`${statePath}.tmp`, JSON.stringify(state, null, 2));
await rename(`${statePath}.tmp`, statePath);
console.error(`projection ${values.group}: ${applied} new events applied, up to offset ${state.offset}`);
console.log(JSON.stringify(Object.fromEntries(Object.entries(state.accounts).map(([id, a]) => [id, a.balance]))));
