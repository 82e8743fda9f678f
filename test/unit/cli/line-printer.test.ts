import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LinePrinter } from '../../../src/cli/line-printer.js';

function sink(): { stream: PassThrough; text: () => string; chunks: Buffer[] } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, chunks, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('LinePrinter', () => {
  it('writes lines in chunks, with a newline each', async () => {
    const out = sink();
    const printer = new LinePrinter(out.stream);
    for (let i = 0; i < 10_000; i++) await printer.line(i % 2 === 0 ? `line ${i}` : Buffer.from(`line ${i}`));
    await printer.end();
    const lines = out.text().split('\n');
    expect(lines).toHaveLength(10_001);
    expect(lines[9_999]).toBe('line 9999');
    expect(out.chunks.length).toBeLessThan(10); // coalesced, not one write per line
  });

  it('copies each line: a buffer reused after line() does not change what is printed', async () => {
    const out = sink();
    const printer = new LinePrinter(out.stream);
    const reused = Buffer.from('aaaa');
    void printer.line(reused);
    reused.fill('b');
    void printer.line(reused);
    await printer.end();
    expect(out.text()).toBe('aaaa\nbbbb\n');
  });

  it('writes a line larger than a chunk whole', async () => {
    const out = sink();
    const printer = new LinePrinter(out.stream);
    void printer.line('x');
    const big = 'y'.repeat(LinePrinter.CHUNK_BYTES * 2);
    void printer.line(big);
    void printer.line('z');
    await printer.end();
    expect(out.text()).toBe(`x\n${big}\nz\n`);
  });

  it('passes backpressure on: line() returns a promise while the stream is full', async () => {
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, cb) {
        release = cb;
      },
    });
    const printer = new LinePrinter(slow);
    let wait: Promise<void> | undefined;
    for (let i = 0; i < 1000 && wait === undefined; i++) wait = printer.line('x'.repeat(200));
    expect(wait).toBeInstanceOf(Promise);
    let drained = false;
    void wait!.then(() => (drained = true));
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    release?.();
    await wait;
    expect(drained).toBe(true);
  });

  it('a reader that went away (EPIPE) marks it broken and calls back once, never throws', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    let calls = 0;
    const printer = new LinePrinter(stream, () => calls++);
    void printer.line('a'.repeat(70_000));
    await new Promise((r) => setImmediate(r));
    expect(printer.broken).toBe(true);
    void printer.line('more');
    await printer.end();
    expect(calls).toBe(1);
  });
});
