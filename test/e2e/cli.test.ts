import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/evq.js', import.meta.url));

function evq(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('bin/evq as a user runs it', () => {
  it('--help lists the subcommands and exits 0', () => {
    const { code, stdout } = evq('--help');
    expect(code).toBe(0);
    for (const name of ['serve', 'produce', 'subscribe', 'consume', 'topics', 'bench']) expect(stdout).toContain(name);
  });

  it('--help into a reader that went away (`evq consume --help | head -1`) exits 0 without a stack trace', async () => {
    const child = spawn(process.execPath, [bin, 'consume', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the help is written: the write gets EPIPE
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('--version prints the package version', () => {
    const { code, stdout } = evq('--version');
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('a usage error exits 2 with one line on stderr and nothing on stdout', () => {
    const { code, stdout, stderr } = evq('produce', 'orders', 'x', '--linger', 'forever');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/invalid duration "forever"/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
