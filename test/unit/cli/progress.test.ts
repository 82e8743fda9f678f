import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { Output } from '../../../src/cli/output.js';
import { progressText, startProgress } from '../../../src/cli/progress.js';
import { expectQuietFor } from '../../helpers/wait.js';

const output = (interactive: boolean): Output => ({
  data: () => undefined,
  info: () => undefined,
  error: () => undefined,
  color: new Chalk({ level: 0 }),
  interactive,
});

describe('progress', () => {
  it('reads as a live count and rate', () => {
    expect(progressText('producing to orders', 12_345, 500)).toBe('producing to orders: 12,345 messages, 24,690 msg/s');
    expect(progressText('x', 0, 0)).toBe('x: 0 messages, 0 msg/s');
  });

  it('writes nothing in a pipe, under NO_COLOR (not interactive), or when disabled', async () => {
    let written = '';
    const stream = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    for (const [interactive, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const p = startProgress(output(interactive), { label: 'x', stream, enabled, delayMs: 0 });
      p.set(5);
      await expectQuietFor(50, 'nothing written', () => written !== '');
      p.stop();
    }
    // a terminal without a width (a pty with no size): ora would clear lines forever, so no spinner
    const tty = { ...stream, isTTY: true, columns: 0 } as unknown as NodeJS.WriteStream;
    const p = startProgress(output(true), { label: 'x', stream: tty, delayMs: 0 });
    await expectQuietFor(50, 'nothing written to a terminal without a width', () => written !== '');
    p.stop();
    expect(written).toBe('');
  });
});
