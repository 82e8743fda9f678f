import type { BrokerContext } from '../context.js';
import type { ProducerState } from './producer-state.js';

/** How the Kafka listener describes itself and what it bounds. */
export interface KafkaListenerConfig {
  /** The one broker's node id: controller, coordinator and leader of every partition. */
  nodeId: number;
  /** The host and port Metadata and FindCoordinator name (what clients connect to). */
  advertisedHost: string;
  advertisedPort: number;
  clusterId: string;
  /** A request frame larger than this closes the connection before it is read. */
  maxFrameBytes: number;
  /** Requests of one connection read but not yet answered: past it, the socket is not read until replies go out. */
  maxInFlight: number;
  /** The longest a Fetch may wait for records (its max_wait_ms is cut to this). */
  maxFetchWaitMs: number;
  /** Bytes one Fetch response may carry at most, whatever it asks for. */
  maxFetchBytes: number;
  /** A SASL/PLAIN password every connection must give first (the broker's token); null: no authentication. */
  token: string | null;
}

/** What the Kafka handlers share: the broker's state, as the HTTP routes see it, and the listener's configuration. */
export interface KafkaContext {
  broker: BrokerContext;
  config: KafkaListenerConfig;
  /** Idempotent producers: the ids handed out and their sequences per partition. */
  producers: ProducerState;
}
