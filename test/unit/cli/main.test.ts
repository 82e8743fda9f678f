import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, exitCodeFor } from '../../../src/cli/main.js';
import { EvqError, EvqUsageError } from '../../../src/errors.js';
import { captureOutput } from '../../helpers/cli.js';

/** Parses argv without spawning; commander's own output is captured instead of printed. */
async function parse(args: string[], only?: string): Promise<{ err: unknown; out: string; errOut: string }> {
  const program = buildProgram(undefined, only);
  let out = '';
  let errOut = '';
  const capture = (cmd: typeof program): void => {
    cmd.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (errOut += s) });
    cmd.commands.forEach(capture);
  };
  capture(program);
  try {
    await program.parseAsync(['node', 'evq', ...args]);
    return { err: undefined, out, errOut };
  } catch (err) {
    return { err, out, errOut };
  }
}

describe('evq command line', () => {
  it('lists every subcommand in --help, with examples', async () => {
    const { err, out } = await parse(['--help']);
    expect(err).toBeInstanceOf(CommanderError);
    expect(exitCodeFor(err, captureOutput())).toBe(0);
    for (const name of ['serve', 'produce', 'subscribe', 'consume', 'topics', 'bench']) {
      expect(out).toContain(name);
    }
    expect(out).toContain('Examples:');
  });

  it.each(['serve', 'produce', 'subscribe', 'consume', 'topics', 'groups', 'bench'])(
    'evq %s --help reads the same when only that subcommand is built (as main builds it)',
    async (name) => {
      const all = await parse([name, '--help']);
      const alone = await parse([name, '--help'], name);
      expect(alone.out).toBe(all.out);
      expect(alone.out).toContain(`Usage: evq ${name}`);
    },
  );

  it('builds every subcommand for a first word that names none (a typo still gets its suggestion)', async () => {
    const { err, errOut } = await parse(['prodce'], 'prodce');
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toContain('Did you mean produce?');
  });

  it.each(['serve', 'produce', 'subscribe', 'consume', 'topics', 'bench'])('evq %s --help shows examples', async (name) => {
    const { out } = await parse([name, '--help']);
    expect(out).toContain(`Usage: evq ${name}`);
    expect(out).toMatch(/Examples:\n {2}\$ evq /);
  });

  it('prints its version', async () => {
    const { err, out } = await parse(['--version']);
    expect(exitCodeFor(err, captureOutput())).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown subcommand or flag is a usage error (exit 2) with one line', async () => {
    const unknown = await parse(['produse']);
    expect(exitCodeFor(unknown.err, captureOutput())).toBe(2);
    expect(unknown.errOut).toMatch(/unknown command 'produse'/);
    expect(unknown.errOut).toMatch(/produce/); // the suggestion
    const flag = await parse(['topics', '--nope']);
    expect(exitCodeFor(flag.err, captureOutput())).toBe(2);
    expect(flag.errOut).toMatch(/unknown option '--nope'/);
  });

  it('a bad duration or size flag is a usage error that says what was expected', async () => {
    const { err, errOut } = await parse(['produce', 't', 'x', '--linger', 'soon']);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toMatch(/invalid duration "soon".*250ms/);
    const size = await parse(['serve', '--max-message-bytes', 'big']);
    expect(exitCodeFor(size.err, captureOutput())).toBe(2);
    expect(size.errOut).toMatch(/invalid size "big"/);
    const mode = await parse(['serve', '--fsync', 'sometimes']);
    expect(exitCodeFor(mode.err, captureOutput())).toBe(2);
    expect(mode.errOut).toMatch(/always, interval, never/);
  });

  it('maps evq errors to their exit code with one line on stderr', () => {
    const out = captureOutput();
    expect(exitCodeFor(new EvqUsageError('EVQ_ERR_INVALID_TOPIC', 'bad topic'), out)).toBe(2);
    expect(exitCodeFor(new EvqError('EVQ_ERR_UNREACHABLE', 'no broker at http://127.0.0.1:1'), out)).toBe(1);
    expect(exitCodeFor(new Error('boom'), out)).toBe(1);
    expect(out.errors).toEqual(['bad topic', 'no broker at http://127.0.0.1:1', expect.stringMatching(/unexpected failure: boom/)]);
  });
});
