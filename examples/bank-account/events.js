// The events of a bank account and how they change its state: the write side and the read side share
// this one pure function. Events are facts, in the past tense, produced as JSON to one topic.

export const TOPIC = process.env.BANK_TOPIC ?? 'bank-events';

export const EVENT_TYPES = ['AccountCreated', 'MoneyDeposited', 'MoneyWithdrawn', 'TransferCompleted'];

/** The message to produce for an event: JSON value, keyed by the account it starts from, typed in a header. */
export function toMessage(event) {
  const key = event.type === 'TransferCompleted' ? event.from : event.account;
  return { key, headers: { type: event.type }, value: JSON.stringify({ ...event, at: new Date().toISOString() }) };
}

/** The filter (run on the broker) that selects every event touching one account. */
export function accountFilter(account) {
  const id = JSON.stringify(account);
  return `value.account == ${id} || value.from == ${id} || value.to == ${id}`;
}

/** Applies one event to a map of accounts { id: { owner, balance, events } }; returns the same map. */
export function apply(accounts, event) {
  const touch = (id) => {
    const account = accounts[id];
    if (account === undefined) throw new Error(`event ${event.type} for unknown account ${id}`);
    account.events++;
    return account;
  };
  switch (event.type) {
    case 'AccountCreated':
      accounts[event.account] = { owner: event.owner, balance: 0, events: 1 };
      break;
    case 'MoneyDeposited':
      touch(event.account).balance += event.amount;
      break;
    case 'MoneyWithdrawn':
      touch(event.account).balance -= event.amount;
      break;
    case 'TransferCompleted':
      touch(event.from).balance -= event.amount;
      touch(event.to).balance += event.amount;
      break;
    default:
      throw new Error(`unknown event type ${event.type}`);
  }
  return accounts;
}
