/**
 * The spellings a kcat, Kafka or nats user types: accepted when evq has the same thing, else answered with
 * the evq flag that means it. Parsed without spawning.
 */
import { describe, expect, it } from 'vitest';
import { toConsumePlan, type ConsumeFlags } from '../../../src/cli/commands/consume.js';
import { toSubscribePlan, type SubscribeFlags } from '../../../src/cli/commands/subscribe.js';
import { brokerUrl } from '../../../src/cli/connection.js';
import { buildProgram, exitCodeFor } from '../../../src/cli/main.js';
import { captureOutput, parsePlan } from '../../helpers/cli.js';

const consume = (args: string[]) => parsePlan('consume', args, (topic: string, flags: ConsumeFlags) => toConsumePlan(topic, flags));
const subscribe = (args: string[]) => parsePlan('subscribe', args, (topic: string, flags: SubscribeFlags) => toSubscribePlan(topic, flags));

describe('positions: --from beginning|end and kcat -o', () => {
  it.each([
    [['t', '--from', 'beginning'], 'earliest'],
    [['t', '--from', 'end'], 'latest'],
    [['t', '-o', 'beginning'], 'earliest'],
    [['t', '-o', 'end'], 'latest'],
    [['t', '-o', '-10'], { last: 10 }],
    [['t', '-o', '42'], 42],
  ])('consume %j starts at %j', async (args, from) => {
    expect((await consume(args)).plan?.from).toEqual(from);
  });

  it('subscribe reads them too', async () => {
    expect((await subscribe(['t', '-o', 'beginning'])).plan?.from).toBe('earliest');
    expect((await subscribe(['t', '--from', 'end'])).plan?.from).toBe('latest');
  });
});

describe('--count and --limit on both commands, -c N', () => {
  it.each([[['t', '--limit', '5']], [['t', '-l', '5']], [['t', '--count', '5']], [['t', '-c', '5']]])(
    'consume %j reads at most 5',
    async (args) => {
      expect((await consume(args)).plan?.limit).toBe(5);
    },
  );

  it.each([[['t', '--count', '5']], [['t', '-n', '5']], [['t', '--limit', '5']], [['t', '-c', '5']]])(
    'subscribe %j exits after 5',
    async (args) => {
      expect((await subscribe(args)).plan?.count).toBe(5);
    },
  );

  it('both names with different numbers is a usage error', async () => {
    const { err } = await consume(['t', '--limit', '5', '--count', '6']);
    const out = captureOutput();
    expect(exitCodeFor(err, out)).toBe(2);
    expect(out.errors[0]).toMatch(/--limit 5 and --count 6/);
  });
});

describe('-e (exit at the end) and -J (JSON)', () => {
  it('consume -e is what consume does anyway; with --follow it is a usage error', async () => {
    expect((await consume(['t', '-e'])).plan?.follow).toBe(false);
    const { err, errOut } = await consume(['t', '-e', '--follow']);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut).toMatch(/cannot be used with option '--follow'/);
  });

  it('subscribe -e answers with the evq command that exits at the end', async () => {
    const { err } = await subscribe(['t', '-e']);
    const out = captureOutput();
    expect(exitCodeFor(err, out)).toBe(2);
    expect(out.errors).toEqual([expect.stringMatching(/evq subscribe is live.*evq consume t.*exits at the end of the log/)]);
  });

  it('-J and --json are --format json', async () => {
    expect((await consume(['t', '-J'])).plan?.format.name).toBe('json');
    expect((await subscribe(['t', '--json'])).plan?.format.name).toBe('json');
    const { err } = await consume(['t', '-J', '--format', '{offset}']);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
  });
});

describe('--url host:port', () => {
  it('assumes http://', () => {
    expect(brokerUrl('localhost:7070')).toBe('http://localhost:7070');
    expect(brokerUrl('127.0.0.1:7171')).toBe('http://127.0.0.1:7171');
    expect(brokerUrl('[::1]:7070')).toBe('http://[::1]:7070');
    expect(brokerUrl('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
  });

  it('consume takes it', async () => {
    expect((await consume(['t', '--url', 'localhost:7070'])).plan?.url).toBe('http://localhost:7070');
  });
});

describe('aliases', () => {
  it('evq pub and evq sub are produce and subscribe; evq topics ls and evq groups ls list', () => {
    const program = buildProgram(captureOutput());
    const byName = (name: string) => program.commands.find((c) => c.name() === name);
    expect(byName('produce')?.aliases()).toContain('pub');
    expect(byName('subscribe')?.aliases()).toContain('sub');
    expect(
      byName('topics')
        ?.commands.find((c) => c.name() === 'ls')
        ?.aliases(),
    ).toContain('list');
    expect(byName('groups')?.commands.map((c) => c.name())).toContain('ls');
  });
});

describe('an unknown option says which evq flag means that', () => {
  it.each([
    ['consume', ['t', '--offset', '5'], /unknown option '--offset': did you mean --from\b/],
    ['consume', ['t', '--brokers', 'k:9092'], /unknown option '--brokers': did you mean --url\b/],
    ['consume', ['t', '-b', 'k:9092'], /unknown option '-b': did you mean --url\b/],
    ['consume', ['t', '--bootstrap-server', 'k:9092'], /did you mean --url\b/],
    ['subscribe', ['t', '-s', 'nats://n:4222'], /unknown option '-s': did you mean --url\b/],
    ['consume', ['t', '-G', 'billing'], /did you mean --group\b/],
    ['consume', ['t', '--group-id', 'billing'], /did you mean --group\b/],
    ['consume', ['t', '--from-beginning'], /did you mean --from earliest\b/],
    ['consume', ['t', '--max-messages', '5'], /did you mean --limit\b/],
    ['subscribe', ['t', '--max-messages', '5'], /did you mean --count\b/],
    ['subscribe', ['t', '--all'], /did you mean --from earliest\b/],
    ['consume', ['t', '--topic', 't'], /the topic is an argument: evq consume TOPIC/],
    ['consume', ['t', '-X', 'a=b'], /evq has no librdkafka properties/],
  ])('evq %s %j', async (command, args, message) => {
    const { err, errOut } = command === 'consume' ? await consume(args) : await subscribe(args);
    expect(exitCodeFor(err, captureOutput())).toBe(2);
    expect(errOut.trim().split('\n')).toHaveLength(1);
    expect(errOut).toMatch(message);
  });

  it("an option with no evq meaning keeps commander's own suggestion", async () => {
    const { errOut } = await consume(['t', '--follw']);
    expect(errOut).toMatch(/unknown option '--follw'[\s\S]*--follow/);
  });
});
