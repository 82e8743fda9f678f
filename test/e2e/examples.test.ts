/**
 * The programs of examples/ run as their README says, against `evq serve --port 0` in a temporary
 * directory: the event-sourced bank account (commands, then a projection rebuilt with a consumer group)
 * and the router (sinks added and removed while it runs). They import `dist/`: `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postMessage, readAll } from '../helpers/broker.js';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli } from '../helpers/spawn-cli.js';
import { waitFor } from '../helpers/wait.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

let broker: SpawnedBroker;
const running = new Set<ReturnType<typeof spawn>>();

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'never'] });
});

afterEach(async () => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  await killCli();
});

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Starts `node examples/<script> ARGS` in `cwd`; `done` resolves when it exits. */
function start(script: string, args: string[], cwd: string): { done: Promise<Run>; err: () => string; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [join(EXAMPLES, script), ...args], {
    cwd,
    env: { ...process.env, EVQ_URL: broker.url, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const done = new Promise<Run>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, out, err });
    }),
  );
  return { done, err: () => err, kill: (s) => void child.kill(s) };
}

const run = (script: string, args: string[], cwd: string): Promise<Run> => start(script, args, cwd).done;

describe('examples/bank-account', () => {
  it('commands produce events after checking the rules; the projection replays them with a consumer group', async () => {
    const dir = await makeTempDir();
    const bank = (...args: string[]) => run('bank-account/bank.js', args, dir);
    expect((await bank('open', 'alice', 'Alice Liddell')).out).toBe('AccountCreated at offset 0\n');
    expect((await bank('open', 'bob')).code).toBe(0);
    expect((await bank('deposit', 'alice', '100')).out).toBe('MoneyDeposited at offset 2\n');
    expect((await bank('transfer', 'alice', 'bob', '30')).out).toBe('TransferCompleted at offset 3\n');
    const overdraft = await bank('withdraw', 'bob', '50');
    expect(overdraft.code).toBe(1);
    expect(overdraft.err).toBe('bank: insufficient funds: bob has 30\n');
    expect((await bank('open', 'alice')).err).toBe('bank: account alice exists already\n');
    expect((await bank('withdraw', 'bob', '10')).code).toBe(0);

    const types = await runCli(['consume', 'bank-events', '--format', '{headers.type}'], { url: broker.url });
    expect(lines(types.out)).toEqual(['AccountCreated', 'AccountCreated', 'MoneyDeposited', 'TransferCompleted', 'MoneyWithdrawn']);

    // first run: the group has no offset, so it replays from earliest
    const first = await run('bank-account/projection.js', [], dir);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toEqual({ alice: 70, bob: 20 });
    expect(first.err).toMatch(/5 new events applied, up to offset 4/);

    // new events: the next run reads only those, from the group's committed offset
    expect((await bank('deposit', 'bob', '5')).code).toBe(0);
    const second = await run('bank-account/projection.js', [], dir);
    expect(JSON.parse(second.out)).toEqual({ alice: 70, bob: 25 });
    expect(second.err).toMatch(/1 new events applied, up to offset 5/);

    // a new version of the projection: a new group and state, rebuilt from the whole topic
    const rebuilt = await run('bank-account/projection.js', ['--group', 'balances-v2', '--state', 'v2.json'], dir);
    expect(JSON.parse(rebuilt.out)).toEqual({ alice: 70, bob: 25 });
    expect(rebuilt.err).toMatch(/6 new events applied/);
    expect(JSON.parse(await readFile(join(dir, 'v2.json'), 'utf8'))).toMatchObject({
      offset: 5,
      accounts: { alice: { owner: 'Alice Liddell', balance: 70 } },
    });
  });
});

describe('examples/router', () => {
  it('routes one topic into sinks by predicate; sinks added and removed while it runs', async () => {
    const dir = await makeTempDir();
    const routesFile = join(dir, 'routes.json');
    const writeRoutes = (routes: object[]) => writeFile(routesFile, JSON.stringify(routes));
    await writeRoutes([
      { name: 'big', filter: 'value.amount > 100', topic: 'orders.big' },
      { name: 'refunds', filter: 'headers.type == "refund"', file: 'refunds.jsonl' },
    ]);
    await postMessage(broker.url, 'orders', '{"amount": 0}'); // the topic exists; the router starts at latest
    const router = start('router/router.js', ['--topic', 'orders', '--routes', routesFile, '--poll-ms', '50'], dir);
    await waitFor(() => /routing orders into 2 sinks/.test(router.err()), { timeoutMs: 15_000, what: 'the router to be ready' });

    const sale = (amount: number) => ['produce', 'orders', '-H', 'type=sale', `{"amount": ${amount}}`];
    const refund = (amount: number) => ['produce', 'orders', '-H', 'type=refund', `{"amount": ${amount}}`];
    for (const args of [sale(250), sale(5), refund(40), refund(300)]) expect((await runCli(args, { url: broker.url })).code).toBe(0);
    const refundLines = async () => (await readFile(join(dir, 'refunds.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    await waitFor(async () => (await refundLines()).length === 2 && (await readAll(broker.url, 'orders.big')).records.length === 2, {
      timeoutMs: 15_000,
      what: 'the first records routed',
    });

    // while it runs: drop "refunds", add "small"
    await writeRoutes([
      { name: 'big', filter: 'value.amount > 100', topic: 'orders.big' },
      { name: 'small', filter: 'value.amount <= 100', file: 'small.jsonl' },
    ]);
    await waitFor(() => /- refunds removed after 2 records/.test(router.err()) && /\+ small/.test(router.err()), {
      timeoutMs: 15_000,
      what: 'the routes to change',
    });
    for (const args of [sale(7), refund(500), sale(150)]) expect((await runCli(args, { url: broker.url })).code).toBe(0);
    await waitFor(async () => (await readAll(broker.url, 'orders.big')).records.length === 4, {
      timeoutMs: 15_000,
      what: 'the second records routed',
    });

    router.kill('SIGINT');
    const done = await router.done;
    expect(done.code).toBe(0);
    const big = (await readAll(broker.url, 'orders.big')).records;
    expect(big.map((r) => [JSON.parse(r.value).amount, r.headers.type])).toEqual([
      [250, 'sale'],
      [300, 'refund'],
      [500, 'refund'],
      [150, 'sale'],
    ]);
    expect((await refundLines()).map((l) => JSON.parse(JSON.parse(l).value).amount)).toEqual([40, 300]); // nothing after removal
    const small = (await readFile(join(dir, 'small.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(JSON.parse(l).value).amount);
    expect(small).toEqual([7]); // only what came after it was added
    expect(done.err).toMatch(/big: 4 records/);
  });
});
