import { Command } from '../commander.js';
import { validateTopicName } from '../../protocol/validate.js';
import type { TopicSettings } from '../../client/types.js';
import { connectionOf, jsonOf, withClientOptions, type Connection } from '../connection-options.js';
import { withExamples } from '../help.js';
import { durationOption, integerOption, sizeOption } from '../options.js';
import type { Output } from '../output.js';

interface ConnectionFlags {
  url: string;
  token?: string;
  timeout?: number;
}

export interface TopicsPlan extends Connection {
  /** Print JSON even on a terminal. */
  json: boolean;
}

export interface CreateTopicPlan extends Connection {
  topic: string;
  settings: TopicSettings;
}

export interface DeleteTopicPlan extends Connection {
  topic: string;
}

export interface AlterTopicPlan extends Connection {
  topic: string;
  partitions: number;
}

export interface DescribeTopicPlan extends Connection {
  topic: string;
  /** Print JSON even on a terminal. */
  json: boolean;
}

/** Most partitions `--partitions` asks for (a topic is a directory per partition). */
const MAX_PARTITIONS = 4096;

export function makeTopicsCommand(output: Output): Command {
  const command = new Command('topics')
    .description(
      'list topics with partitions, message counts, sizes and offsets (a table on a terminal, JSON otherwise); `evq topics TOPIC` describes one',
    )
    .argument('[topic]', 'describe this topic: its partitions (offsets, sizes) and groups')
    .option('--json', 'print JSON even on a terminal');
  withClientOptions(command);
  withExamples(command, [
    'evq topics',
    'evq topics ls --json',
    "evq topics --json | jq -r '.[].topic'",
    'evq topics orders',
    'evq topics create orders --partitions 6',
    'evq topics alter orders --partitions 12',
    'evq topics delete orders-old',
    'evq topics --url kafka://127.0.0.1:9092',
  ]);

  const create = new Command('create')
    .description('create a topic (it is also created by its first produce); an existing topic is left as it is')
    .argument('<topic>', 'topic to create')
    .option(
      '--partitions <n>',
      "partitions of the topic (default 1, or evq serve's --default-partitions; grow it later with evq topics alter)",
      integerOption(1, MAX_PARTITIONS),
    )
    .option('--replication-factor <n>', "kafka://: copies of each partition (default: the cluster's)", integerOption(1, 32))
    .option(
      '--retention-bytes <size>',
      "over nats:// or kafka://: keep at most this much (the stream's max_bytes, the topic's retention.bytes)",
      sizeOption,
    )
    .option(
      '--retention-age <duration>',
      "over nats:// or kafka://: drop messages older than this (the stream's max_age, the topic's retention.ms)",
      durationOption,
    );
  withClientOptions(create);
  withExamples(create, [
    'evq topics create orders',
    'evq topics create orders --partitions 6',
    'evq topics create --url nats://127.0.0.1:4222 orders --retention-bytes 1gb --retention-age 7d',
    'evq topics create --url kafka://127.0.0.1:9092 orders --partitions 6 --replication-factor 3 --retention-age 7d',
  ]);
  create.action(
    async (
      topic: string,
      flags: ConnectionFlags & { partitions?: number; replicationFactor?: number; retentionBytes?: number; retentionAge?: number },
      cmd: Command,
    ) => {
      validateTopicName(topic);
      const settings: TopicSettings = {};
      if (flags.partitions !== undefined) settings.partitions = flags.partitions;
      if (flags.replicationFactor !== undefined) settings.replicationFactor = flags.replicationFactor;
      if (flags.retentionBytes !== undefined) settings.retentionBytes = flags.retentionBytes;
      if (flags.retentionAge !== undefined) settings.retentionAgeMs = flags.retentionAge;
      const plan: CreateTopicPlan = { ...connectionOf(cmd), topic, settings };
      const { runCreateTopic } = await import('../run-topics.js');
      await runCreateTopic(plan, output);
    },
  );
  command.addCommand(create);

  const alter = new Command('alter')
    .description('grow a topic to more partitions (never fewer, as in Kafka); its records keep their partitions and offsets')
    .argument('<topic>', 'topic to grow')
    .requiredOption('--partitions <n>', 'the partition count it gets', integerOption(1, MAX_PARTITIONS));
  withClientOptions(alter);
  withExamples(alter, ['evq topics alter orders --partitions 12']);
  alter.action(async (topic: string, flags: ConnectionFlags & { partitions: number }, cmd: Command) => {
    validateTopicName(topic);
    const plan: AlterTopicPlan = { ...connectionOf(cmd), topic, partitions: flags.partitions };
    const { runAlterTopic } = await import('../run-topics.js');
    await runAlterTopic(plan, output);
  });
  command.addCommand(alter);

  const describe = new Command('describe')
    .description('one topic: its partitions (offsets, message counts, sizes) and its groups (the same as `evq topics TOPIC`)')
    .argument('<topic>', 'topic to describe')
    .option('--json', 'print JSON even on a terminal');
  withClientOptions(describe);
  withExamples(describe, ['evq topics describe orders', 'evq topics orders --json']);
  describe.action(async (topic: string, flags: { json?: boolean }, cmd: Command) => {
    validateTopicName(topic);
    const plan: DescribeTopicPlan = { ...connectionOf(cmd), topic, json: jsonOf(flags, cmd) };
    const { runDescribeTopic } = await import('../run-topics.js');
    await runDescribeTopic(plan, output);
  });
  command.addCommand(describe);

  const remove = new Command('delete')
    .description('delete a topic: its log, its consumer groups; live subscribers are told')
    .argument('<topic>', 'topic to delete');
  withClientOptions(remove);
  withExamples(remove, ['evq topics delete orders-old', 'EVQ_URL=http://127.0.0.1:7171 evq topics delete scratch']);
  remove.action(async (topic: string, _flags: ConnectionFlags, cmd: Command) => {
    validateTopicName(topic);
    const plan: DeleteTopicPlan = { ...connectionOf(cmd), topic };
    const { runDeleteTopic } = await import('../run-topics.js');
    await runDeleteTopic(plan, output);
  });
  command.addCommand(remove);

  // `evq topics ls` (and `list`): what `evq topics` prints, as kafka-topics --list and nats stream ls users type it
  const list = new Command('ls')
    .alias('list')
    .description('list topics (the same as `evq topics`)')
    .option('--json', 'print JSON even on a terminal');
  withClientOptions(list);
  withExamples(list, ['evq topics ls', "evq topics ls --json | jq -r '.[].topic'"]);
  list.action(async (flags: { json?: boolean }, cmd: Command) => {
    const plan: TopicsPlan = { ...connectionOf(cmd), json: jsonOf(flags, cmd) };
    const { runTopics } = await import('../run-topics.js');
    await runTopics(plan, output);
  });
  command.addCommand(list);

  return command.action(async (topic: string | undefined, flags: { json?: boolean }, cmd: Command) => {
    if (topic !== undefined) {
      validateTopicName(topic);
      const plan: DescribeTopicPlan = { ...connectionOf(cmd), topic, json: flags.json === true };
      const { runDescribeTopic } = await import('../run-topics.js');
      await runDescribeTopic(plan, output);
      return;
    }
    const plan: TopicsPlan = { ...connectionOf(cmd), json: flags.json === true };
    const { runTopics } = await import('../run-topics.js');
    await runTopics(plan, output);
  });
}
