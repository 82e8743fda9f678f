#!/usr/bin/env node
// The write side (commands): each command rebuilds the state of the accounts it touches by replaying their
// events (read with a filter that runs on the broker), checks the rule, and produces one event.
//
//   node examples/bank-account/bank.js open alice "Alice Liddell"
//   node examples/bank-account/bank.js deposit alice 100
//   node examples/bank-account/bank.js withdraw alice 30
//   node examples/bank-account/bank.js transfer alice bob 20
//
// The broker is EVQ_URL (default http://127.0.0.1:7070); start one with `evq serve`.
import { connect } from '../../dist/index.js';
import { TOPIC, accountFilter, apply, toMessage } from './events.js';

const [command, ...args] = process.argv.slice(2);
const client = await connect(process.env.EVQ_URL ?? 'http://127.0.0.1:7070', { token: process.env.EVQ_TOKEN });
try {
  // the event log exists before its first event (reading a topic that does not exist is an error); creating
  // one that exists already leaves it as it is
  await client.createTopic(TOPIC);
  const event = await decide(command, args);
  const result = await client.produce(TOPIC, [toMessage(event)]);
  console.log(`${event.type} at offset ${result.firstOffset}`);
} catch (err) {
  console.error(`bank: ${err.message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}

/** The state of the given accounts, replayed from their events only (one read, filtered on the broker). */
async function load(...ids) {
  const accounts = {};
  const filter = ids.map((id) => `(${accountFilter(id)})`).join(' || ');
  for await (const record of client.consume(TOPIC, { filter })) {
    const event = JSON.parse(record.value.toString('utf8'));
    // the other side of a transfer may be an account not loaded here: it only needs to exist in the map
    for (const id of [event.from, event.to]) if (id !== undefined) accounts[id] ??= { owner: undefined, balance: 0, events: 0 };
    apply(accounts, event);
  }
  return accounts;
}

function amountOf(text) {
  const amount = Number(text);
  if (!Number.isInteger(amount) || amount <= 0) throw new Error(`"${text}" is not an amount (a whole number > 0)`);
  return amount;
}

async function decide(command, args) {
  switch (command) {
    case 'open': {
      const [account, owner = account] = args;
      if ((await load(account))[account]?.owner !== undefined) throw new Error(`account ${account} exists already`);
      return { type: 'AccountCreated', account, owner };
    }
    case 'deposit': {
      const [account, amount] = args;
      if ((await load(account))[account]?.owner === undefined) throw new Error(`no account ${account}`);
      return { type: 'MoneyDeposited', account, amount: amountOf(amount) };
    }
    case 'withdraw': {
      const [account, text] = args;
      const amount = amountOf(text);
      const state = (await load(account))[account];
      if (state?.owner === undefined) throw new Error(`no account ${account}`);
      if (state.balance < amount) throw new Error(`insufficient funds: ${account} has ${state.balance}`);
      return { type: 'MoneyWithdrawn', account, amount };
    }
    case 'transfer': {
      const [from, to, text] = args;
      const amount = amountOf(text);
      const accounts = await load(from, to);
      if (accounts[from]?.owner === undefined) throw new Error(`no account ${from}`);
      if (accounts[to]?.owner === undefined) throw new Error(`no account ${to}`);
      if (accounts[from].balance < amount) throw new Error(`insufficient funds: ${from} has ${accounts[from].balance}`);
      return { type: 'TransferCompleted', from, to, amount };
    }
    default:
      throw new Error('usage: bank.js open ID [OWNER] | deposit ID AMOUNT | withdraw ID AMOUNT | transfer FROM TO AMOUNT');
  }
}
