import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeProcess, lockDataDir } from '../../../src/broker/data-dir-lock.js';
import { killSpawned, spawnBroker } from '../../helpers/spawn-broker.js';

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await killSpawned();
});

/** A live process that is not a broker: `sleep 60`, its pid once it runs. */
async function sleeper(): Promise<number> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child.pid as number;
}

const hasProc = existsSync('/proc/self/stat');

/** The built module (`npm run build`): the racers are separate processes, as brokers started at once are. */
const LOCK_MODULE = pathToFileURL(join(import.meta.dirname, '../../../dist/broker/data-dir-lock.js')).href;

/**
 * A racer: loads the lock module, says "ready", and on "go" (stdin) takes the lock of the directory in
 * argv[1]; prints "won" and holds the lock until stdin closes, or prints the error's code and message.
 */
const RACER = `
const { lockDataDir } = await import(${JSON.stringify(LOCK_MODULE)});
const lines = (await import('node:readline')).createInterface({ input: process.stdin });
process.stdout.write('ready\\n');
await new Promise((resolve) => lines.once('line', resolve));
let lock;
try {
  lock = await lockDataDir(process.argv[1]);
  process.stdout.write('won\\n');
} catch (error) {
  process.stdout.write(\`\${error.code} \${error.message}\\n\`);
}
await new Promise((resolve) => lines.once('close', resolve));
await lock?.release();
`;

/** Starts `n` racers on `dataDir` at once (each is ready before any is told to go); their answers, in order. */
async function race(dataDir: string, n: number): Promise<string[]> {
  const racers = Array.from({ length: n }, () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', RACER, dataDir], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    const answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async (): Promise<string> => {
      const line = await answers.next();
      if (line.done === true) throw new Error(`racer ${child.pid} exited without answering`);
      return line.value;
    };
    return { child, next };
  });
  for (const racer of racers) expect(await racer.next()).toBe('ready');
  for (const racer of racers) racer.child.stdin!.write('go\n');
  const answers = await Promise.all(racers.map((racer) => racer.next()));
  // the winner holds the lock until every racer has answered: a later one may not take it either
  await Promise.all(
    racers.map(async ({ child }) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    }),
  );
  return answers;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evq-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('data directory lock', () => {
  it('refuses a directory held by a live process, naming it', async () => {
    // pid 1 is always alive: it stands for another broker
    await lockDataDir(dir, 1);
    await expect(lockDataDir(dir)).rejects.toMatchObject({
      code: 'EVQ_ERR_CONFLICT',
      message: expect.stringMatching(/pid 1\).*--data-dir/),
    });
  });

  it('names the file to delete when the owner is alive', async () => {
    await lockDataDir(dir, 1);
    await expect(lockDataDir(dir)).rejects.toMatchObject({ message: expect.stringContaining(`delete ${join(dir, 'evq.lock')}`) });
  });

  it.runIf(hasProc)(
    'a lock naming a live process that is not its writer (another start time: the pid was reused) does not block',
    async () => {
      const pid = await sleeper();
      // what a broker that had this pid before a reboot, or before the pids wrapped, left behind
      await writeFile(join(dir, 'evq.lock'), `${JSON.stringify({ ...describeProcess(pid), start: '1' })}\n`);
      const lock = await lockDataDir(dir);
      expect(JSON.parse(await readFile(join(dir, 'evq.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
      await lock.release();
      // the same for the test's own parent, and for a lock written before this boot
      await writeFile(join(dir, 'evq.lock'), `${JSON.stringify({ ...describeProcess(process.ppid), boot: 'another-boot' })}\n`);
      await (await lockDataDir(dir)).release();
    },
  );

  it.runIf(hasProc)("an older evq's pid-only lock counts only if its process started before the file was written", async () => {
    const pid = await sleeper();
    const path = join(dir, 'evq.lock');
    await writeFile(path, `${process.ppid}\n`);
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'EVQ_ERR_CONFLICT' }); // it may be that broker
    await writeFile(path, `${pid}\n`);
    await utimes(path, new Date(1_000_000), new Date(1_000_000)); // written long before the process started
    await (await lockDataDir(dir)).release();
  });

  it.runIf(hasProc)('a lock of a zombie (killed, not yet reaped: a restart right after kill -9) does not block', async () => {
    // perl (perl-base is part of every Debian) forks a child that exits at once and never reaps it: a zombie
    // while the test runs. (A shell that forks and then execs may reap the child first, now and then.)
    const child = spawn('perl', ['-e', '$| = 1; my $p = fork; if ($p == 0) { exit 0 } print "$p\\n"; sleep 60'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    const zombie = Number(await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
    const state = async (): Promise<string> => {
      const stat = await readFile(`/proc/${zombie}/stat`, 'utf8');
      return stat.charAt(stat.lastIndexOf(')') + 2);
    };
    await expect.poll(state, { timeout: 5000 }).toBe('Z');
    // as an older evq wrote it (a pid only, no start time to tell it by), and as this one does
    await writeFile(join(dir, 'evq.lock'), `${zombie}\n`);
    await (await lockDataDir(dir)).release();
    await writeFile(join(dir, 'evq.lock'), `${JSON.stringify(describeProcess(zombie))}\n`);
    await (await lockDataDir(dir)).release();
  });

  it('a running broker blocks a second one, naming it and the lock file', async () => {
    const broker = await spawnBroker(dir);
    await expect(lockDataDir(dir)).rejects.toMatchObject({
      code: 'EVQ_ERR_CONFLICT',
      message: `another evq broker (pid ${broker.pid}) is using ${dir}: stop it, or pick another --data-dir (if no broker runs there, delete ${join(dir, 'evq.lock')})`,
    });
  });

  it('of several brokers started at once on one directory, exactly one gets it (15 rounds of 4)', { timeout: 120_000 }, async () => {
    for (let round = 0; round < 15; round++) {
      const answers = await race(dir, 4);
      expect(
        answers.filter((a) => a === 'won'),
        `round ${round}: ${answers.join(' | ')}`,
      ).toHaveLength(1);
      expect(answers.filter((a) => a !== 'won')).toEqual(
        Array(3).fill(expect.stringMatching(/^EVQ_ERR_CONFLICT another evq broker \(pid \d+\)/)),
      );
      await expect(readFile(join(dir, 'evq.lock'))).rejects.toMatchObject({ code: 'ENOENT' }); // released
    }
  });

  it(
    'a stale lock (its process is gone) is taken over by exactly one of several racers (15 rounds of 4)',
    { timeout: 120_000 },
    async () => {
      for (let round = 0; round < 15; round++) {
        // as a broker killed with kill -9 leaves it; and (every other round) the empty file an older evq left
        // when it was killed between creating and writing it
        await writeFile(
          join(dir, 'evq.lock'),
          round % 2 === 0 ? `${JSON.stringify({ ...describeProcess(process.pid), pid: 2147483646 })}\n` : '',
        );
        const answers = await race(dir, 4);
        expect(
          answers.filter((a) => a === 'won'),
          `round ${round}: ${answers.join(' | ')}`,
        ).toHaveLength(1);
        expect(answers.filter((a) => a !== 'won')).toEqual(
          Array(3).fill(expect.stringMatching(/^EVQ_ERR_CONFLICT another evq broker \(pid \d+\)/)),
        );
      }
      // nothing is left behind: no temporary file, no taken-over lock
      expect(await readdir(dir)).toEqual([]);
    },
  );

  it('a takeover left half done by a killed start (its token remains) does not block the next start', async () => {
    const path = join(dir, 'evq.lock');
    await writeFile(path, '2147483646\n');
    // the token the killed start had taken for this stale lock's inode
    await writeFile(join(dir, `evq.lock.${(await stat(path, { bigint: true })).ino}.takeover`), '2147483645\n');
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over the lock of a process that is gone (kill -9) and releases it on close', async () => {
    await writeFile(join(dir, 'evq.lock'), '2147483646\n');
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(join(dir, 'evq.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
    await expect(readFile(join(dir, 'evq.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
