import type { Command } from './commander.js';

/**
 * Options a kcat, Kafka console tool or `nats` CLI user types, and what evq says instead of only "unknown
 * option": the evq flag that means that, or why there is none. Looked up only for an option the command does
 * not have (so `bench --topic`, a real flag, never meets it). `{command}` is the command's name.
 */
const HINTS: ReadonlyArray<readonly [readonly string[], string | ((command: string) => string)]> = [
  [['--offset', '--offsets', '--start-offset', '--seek'], 'did you mean --from (earliest, latest, an offset or -N)?'],
  [['--from-beginning', '--all', '--deliver-all'], 'did you mean --from earliest?'],
  [['--new', '--deliver-new'], 'did you mean --from latest?'],
  [['--last', '--deliver-last'], 'did you mean --from -1?'],
  [
    ['--brokers', '--broker', '-b', '--bootstrap-server', '--bootstrap-servers', '--server', '-s', '--host'],
    'did you mean --url (http://HOST:PORT, or nats://HOST:4222; env EVQ_URL)?',
  ],
  [['-G', '--group-id', '--consumer-group', '--queue', '--durable'], 'did you mean --group?'],
  [['--max-messages', '--num-messages', '--messages'], (c) => `did you mean ${c === 'subscribe' ? '--count' : '--limit'}?`],
  [['--topic', '-t'], (c) => `the topic is an argument: evq ${c} TOPIC`],
  [
    ['-X', '--property', '--consumer-property', '--producer-property', '--config'],
    (c) => `evq has no librdkafka properties: see evq ${c} --help`,
  ],
  [['--creds', '--user', '--password', '--sasl-username', '--sasl-password'], 'did you mean --token (env EVQ_TOKEN)?'],
  [['-C'], 'evq consume is the consumer (kcat -C)'],
  [['-P'], 'evq produce is the producer (kcat -P)'],
  [['--tail', '--wait'], 'did you mean --follow?'],
  [
    ['--headers'],
    (c) =>
      c === 'produce'
        ? 'did you mean --header name=value (repeatable)?'
        : "did you mean --format json, or '{headers}' in a --format template?",
  ],
  [['--print-key', '--key-separator'], "did you mean --format '{key} {value}'?"],
];

const BY_FLAG = new Map<string, string | ((command: string) => string)>();
for (const [flags, hint] of HINTS) for (const flag of flags) BY_FLAG.set(flag, hint);

/** The hint for an unknown option of `command`, or undefined when evq has nothing to say about it. */
function flagHint(flag: string, command: string): string | undefined {
  const hint = BY_FLAG.get(flag.split('=')[0] as string);
  return typeof hint === 'function' ? hint(command) : hint;
}

interface UnknownOptionHook {
  unknownOption(flag: string): void;
}

/** Makes `command` answer an unknown option from the table with the evq flag; others as commander does. */
export function withFlagHints(command: Command): Command {
  const hooked = command as unknown as UnknownOptionHook;
  const original = hooked.unknownOption.bind(command);
  hooked.unknownOption = (flag: string): void => {
    const hint = flagHint(flag, command.name());
    if (hint === undefined) {
      original(flag);
      return;
    }
    command.error(`error: unknown option '${flag.split('=')[0]}': ${hint}`, { code: 'commander.unknownOption' });
  };
  return command;
}
