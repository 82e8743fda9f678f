/**
 * What README.md and docs/FILTERS.md show, run for real: the documented filter error is the real line, the
 * bench example with a payload file and a filter works, a bench usage error comes before any broker is
 * started, and `produce --json` keeps timestamps as the README says.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killSpawned, makeTempDir, removeTempDirs, spawnBroker, type SpawnedBroker } from '../helpers/spawn-broker.js';
import { killCli, lines, runCli } from '../helpers/spawn-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Splits a documented command line the way sh does for the quoting the docs use ('…' and "…"). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) words.push(m[1] ?? m[2] ?? (m[3] as string));
  return words;
}

let broker: SpawnedBroker;

beforeAll(async () => {
  broker = await spawnBroker(await makeTempDir(), { args: ['--fsync', 'never'] });
});

afterEach(killCli);

afterAll(async () => {
  await killSpawned();
  await removeTempDirs();
});

describe('docs/FILTERS.md', () => {
  it('the documented bad filter prints exactly the documented line (exit 2)', async () => {
    const doc = await readFile(join(ROOT, 'docs/FILTERS.md'), 'utf8');
    const block = /```console\n\$ (evq [^\n]+)\n([^\n]+)\n```/.exec(doc);
    expect(block).not.toBeNull();
    const [, command, expected] = block as unknown as [string, string, string];
    const r = await runCli(shellWords(command).slice(1), { url: broker.url });
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${expected}\n`);
  });
});

describe('README: evq bench with a payload file', () => {
  it('the --payload-file … --filter example runs (a short run of it) and sends deposits at the match ratio', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('evq bench --embedded --payload-file orders.ndjson --filter'));
    expect(line).toBeDefined();
    const args = shellWords((line as string).replace(/\s+#.*$/, '')).slice(1);
    const dir = await makeTempDir();
    const file = join(dir, 'orders.ndjson');
    await writeFile(file, '{"type": "deposit", "amount": 5}\n{"type": "withdrawal", "amount": 7}\n{"type": "deposit", "amount": 9}\n');
    const run = args.map((a) => (a === 'orders.ndjson' ? file : a));
    const r = await runCli([...run, '--memory', '--messages', '2000', '--json', '-'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out) as { config: { filter: string; matchRatio: number; payloads: number } };
    expect(result.config).toMatchObject({ filter: 'value.type == "deposit"', matchRatio: 0.5, payloads: 3 });
  });

  it('a filter no payload line can match is a usage error before any broker starts, saying why', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'orders.ndjson');
    await writeFile(file, '{"type": "deposit"}\n');
    const r = await runCli(['bench', '--embedded', '--memory', '--payload-file', file, '--filter', 'headers.type == "deposit"']);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/embedded broker/);
    expect(lines(r.err)).toEqual([expect.stringMatching(/a payload line is the message value \(it has no key and no headers\)/)]);
  });
});

describe('README: evq produce --json', () => {
  it("keeps each record's timestamp (a copy is exact); a line without one gets the broker's time", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/`--json`: each line is a record[^]*?each record\s+keeps its timestamp/);
    const input = '{"value": "old", "timestamp": 1000}\n{"value": "new"}\n';
    const before = Date.now();
    const produced = await runCli(['produce', 'copied', '--json'], { url: broker.url, stdin: input });
    expect(produced.code).toBe(0);
    const read = await runCli(['consume', 'copied', '--format', 'json'], { url: broker.url });
    const records = lines(read.out).map((l) => JSON.parse(l) as { value: string; timestamp: number });
    expect(records[0]).toMatchObject({ value: 'old', timestamp: 1000 });
    expect(records[1]?.timestamp).toBeGreaterThanOrEqual(before - 1000);
  });
});
