// evq's public library API (`import { connect } from 'evq'`): an explicit list of names, pinned by
// test/unit/index.test.ts. Everything else under src/ is internal and may change in any release; add a
// name here on purpose (and to CHANGELOG.md), never by re-exporting a whole module.

// errors: the classes to catch, the stable EVQ_ERR_* codes and the CLI exit codes
export {
  ERROR_CODES,
  EXIT,
  EvqConnectionError,
  EvqError,
  EvqFilterError,
  EvqStorageError,
  EvqUsageError,
  isEvqErrorCode,
  type EvqErrorCode,
  type ExitCode,
} from './errors.js';

// the client: connect(url) and what it returns
export {
  connect,
  EvqProduceError,
  type ConnectOptions,
  type ConsumeOptions,
  type EvqClient,
  type EvqRecord,
  type From,
  type MessageAck,
  type MessageRejection,
  type PartitionAcks,
  type PartitionPosition,
  type ProduceMessage,
  type ProduceOptions,
  type ProduceResult,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStatus,
  type TopicChange,
  type TopicDescription,
  type TopicInfo,
  type TopicSettings,
} from './client/index.js';
export type { MessageInput } from './protocol/record.js';

// the embedded broker
export { startBroker, type Broker, type BrokerOptions } from './broker/server.js';

// the load generator: a scenario in, a result out (it never prints)
export {
  evaluateThresholds,
  parseScenario,
  parseThreshold,
  runBench,
  SCENARIO_DEFAULTS,
  type BenchConfig,
  type BenchProgress,
  type BenchResult,
  type LatencySummary,
  type RunOptions,
  type Scenario,
  type ScenarioInput,
  type Threshold,
  type ThresholdOutcome,
} from './bench/index.js';

// the filter language (docs/FILTERS.md)
export {
  compileFilter,
  parseFilter,
  printFilter,
  type Filter,
  type FilterNode,
  type FilterOptions,
  type FilterRecord,
} from './core/filter/index.js';

// durations, sizes and limits as the command line reads them
export { formatDuration, parseDuration } from './core/durations.js';
export { formatSize, parseSize } from './core/sizes.js';
export { LIMITS, type Limits } from './core/limits.js';

// batching and delayed delivery, on an injectable clock
export { Batcher, type BatcherOptions, type BatchInfo } from './core/batcher.js';
export { Scheduler, type SchedulerOptions } from './core/scheduler.js';
export { ManualClock, systemClock, type Clock } from './core/clock.js';
