import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { toProducePlan, type ProduceFlags } from '../../../src/cli/commands/produce.js';
import { toSubscribePlan, type SubscribeFlags } from '../../../src/cli/commands/subscribe.js';
import { exitCodeFor } from '../../../src/cli/main.js';
import { durationOption, filterOption } from '../../../src/cli/options.js';
import { parseDuration } from '../../../src/core/durations.js';
import { EvqUsageError } from '../../../src/errors.js';
import { captureOutput, parsePlan } from '../../helpers/cli.js';

const produce = (args: string[]) =>
  parsePlan('produce', args, (topic: string, messages: string[], flags: ProduceFlags) => toProducePlan(topic, messages, flags));
const subscribe = (args: string[]) => parsePlan('subscribe', args, (topic: string, flags: SubscribeFlags) => toSubscribePlan(topic, flags));

describe('durations on the command line need a unit', () => {
  it('a bare number is a usage error that asks for a unit, naming the ones it could mean', () => {
    expect(() => durationOption('5')).toThrow(InvalidArgumentError);
    expect(() => durationOption('5')).toThrow(/"5" needs a unit: 5ms, 5s, 5m or 5h/);
    expect(() => durationOption('1.5')).toThrow(/needs a unit/);
  });

  it('0 needs none (it is the same in every unit), and numbers with units read as before', () => {
    expect(durationOption('0')).toBe(0);
    expect(durationOption('250ms')).toBe(250);
    expect(durationOption('5s')).toBe(5000);
  });

  it.each([
    ['produce', ['t', 'x', '--timeout', '5'], /--timeout.*"5" needs a unit/],
    ['produce', ['t', 'x', '--delay', '5'], /--delay.*"5" needs a unit/],
    ['produce', ['t', 'x', '--linger', '5'], /--linger.*"5" needs a unit/],
    ['subscribe', ['t', '--timeout', '5'], /--timeout.*"5" needs a unit/],
  ])('evq %s %j is exit 2', async (command, args, message) => {
    const { err, errOut } = command === 'produce' ? await produce(args) : await subscribe(args);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut.replace(/\n/g, ' ')).toMatch(message);
  });

  it('the HTTP API keeps its documented contract: a bare number there is milliseconds', () => {
    // docs/PROTOCOL.md: evq-delay "250ms, 5s, 2m, 1h, or ms"
    expect(parseDuration('750')).toBe(750);
    expect(() => parseDuration('750', { requireUnit: true })).toThrow(EvqUsageError);
  });
});

describe('--at', () => {
  it('a time in the past is a usage error that says so', async () => {
    const { err, errOut } = await produce(['t', 'x', '--at', '2020-01-01T00:00:00Z']);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toMatch(/--at.*2020-01-01T00:00:00Z is in the past/);
    const epoch = await produce(['t', 'x', '--at', String(Date.now() - 60_000)]);
    expect(epoch.errOut).toMatch(/is in the past/);
  });

  it('a date without a time of day is a usage error that shows how to write one', async () => {
    const { err, errOut } = await produce(['t', 'x', '--at', '2099-12-24']);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toMatch(/"2099-12-24" has no time of day: write it like 2099-12-24T09:00:00Z/);
  });

  it('a future time with a time of day is taken', async () => {
    const { plan } = await produce(['t', 'x', '--at', '2099-12-24T09:00:00Z']);
    expect(plan?.at).toBe(Date.UTC(2099, 11, 24, 9));
  });
});

describe('--filter errors', () => {
  it('are one line with the column, and a long filter is shown only around the column', () => {
    const long = `value.a == "${'x'.repeat(900)}`; // unterminated string: the error is at column 12
    let message = '';
    try {
      filterOption(long);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid filter at column 12: /);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(240);
    const deep = `${'value.a == 1 && '.repeat(50)}value.b >`;
    try {
      filterOption(deep);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(new RegExp(`column ${deep.length + 1}`));
    expect(message).toMatch(/in --filter "….{40,}value\.b >"$/); // the excerpt ends where the mistake is
    expect(message.length).toBeLessThan(240);
    const huge = `value.a == "${'y'.repeat(2000)}"`; // past the 1,024-character limit
    try {
      filterOption(huge);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/column 1025: the filter is 2013 characters long/);
    expect(message.length).toBeLessThan(240);
  });

  it.each([
    ['subscribe', ['t', '--filter', 'value.amount >> 3'], 'invalid filter at column 15: ', ', in --filter "value.amount >> 3"'],
    ['consume', ['t', '--filter', '(('], 'invalid filter at column 3: ', ', in --filter "(("'],
  ])("evq %s %j: exit 2, one line (evq's, not commander's) with the column and the filter", async (command, args, start, end) => {
    const output = captureOutput();
    const { err, errOut } = await parsePlan(command, args, () => undefined);
    expect(errOut).toBe('');
    expect(exitCodeFor(err, output)).toBe(2);
    expect(output.errors).toHaveLength(1);
    expect(output.errors[0]?.startsWith(start)).toBe(true);
    expect(output.errors[0]?.endsWith(end)).toBe(true);
  });
});
