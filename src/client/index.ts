// The client library: `connect(url)` and the types of what it returns.
export { connect, DEFAULT_TIMEOUT_MS, SUPPORTED_SCHEMES } from './connect.js';
export { EvqProduceError } from './errors.js';
export type {
  ConnectOptions,
  ConsumeOptions,
  EvqClient,
  EvqRecord,
  From,
  GroupInfo,
  GroupMissed,
  GroupReset,
  GroupResetTo,
  MessageAck,
  MessageRejection,
  PartitionAcks,
  PartitionPosition,
  ProduceMessage,
  ProduceOptions,
  ProduceResult,
  SubscribeOptions,
  Subscription,
  SubscriptionStatus,
  TopicChange,
  TopicDescription,
  TopicInfo,
  TopicSettings,
} from './types.js';
