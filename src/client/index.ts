// The client library: `connect(url)` and the types of what it returns.
export { connect, DEFAULT_TIMEOUT_MS, SUPPORTED_SCHEMES } from './connect.js';
export { EvqProduceError } from './errors.js';
export type {
  ConnectOptions,
  ConsumeOptions,
  EvqClient,
  EvqRecord,
  From,
  GroupDescription,
  GroupInfo,
  GroupMemberInfo,
  GroupMissed,
  GroupPartitionOffsets,
  GroupReset,
  GroupResetTo,
  MessageAck,
  MessageRejection,
  ProduceMessage,
  ProduceOptions,
  ProduceResult,
  SubscribeOptions,
  Subscription,
  SubscriptionStatus,
  TopicInfo,
} from './types.js';
