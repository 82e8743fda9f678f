/**
 * What a Kafka client is answered when the broker refuses: the Kafka error code whose retry logic does the
 * right thing for each of evq's errors (a topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION, which
 * clients retry after a Metadata refresh; a storage failure: KAFKA_STORAGE_ERROR, retried; a message past
 * the limits: MESSAGE_TOO_LARGE, not retried).
 */
import { EvqError, type EvqErrorCode } from '../../errors.js';
import { KafkaCodecError } from '../../protocol/kafka/codec-error.js';
import { KAFKA_ERROR, type KafkaErrorName } from '../../protocol/kafka/error-codes.js';

const BY_EVQ_CODE: Partial<Record<EvqErrorCode, KafkaErrorName>> = {
  EVQ_ERR_NOT_FOUND: 'UNKNOWN_TOPIC_OR_PARTITION',
  EVQ_ERR_INVALID_TOPIC: 'INVALID_TOPIC_EXCEPTION',
  EVQ_ERR_INVALID_OFFSET: 'OFFSET_OUT_OF_RANGE',
  EVQ_ERR_MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  EVQ_ERR_BATCH_TOO_LARGE: 'RECORD_LIST_TOO_LARGE',
  EVQ_ERR_INVALID_ARGUMENT: 'INVALID_RECORD',
  EVQ_ERR_MALFORMED: 'CORRUPT_MESSAGE',
  EVQ_ERR_UNKNOWN_MEMBER: 'UNKNOWN_MEMBER_ID',
  EVQ_ERR_REBALANCE: 'REBALANCE_IN_PROGRESS',
  EVQ_ERR_STORAGE: 'KAFKA_STORAGE_ERROR',
  EVQ_ERR_CORRUPT_LOG: 'KAFKA_STORAGE_ERROR',
  EVQ_ERR_UNAVAILABLE: 'LEADER_NOT_AVAILABLE',
  EVQ_ERR_LIMIT_EXCEEDED: 'POLICY_VIOLATION',
};

/** The Kafka error name for an error a handler met (UNKNOWN_SERVER_ERROR for anything unforeseen). */
export function kafkaErrorName(error: unknown): KafkaErrorName {
  if (error instanceof KafkaCodecError) return error.kafkaError;
  if (error instanceof EvqError) return BY_EVQ_CODE[error.code] ?? 'UNKNOWN_SERVER_ERROR';
  return 'UNKNOWN_SERVER_ERROR';
}

/** The INT16 a response carries for `error`. */
export function kafkaErrorCode(error: unknown): number {
  return KAFKA_ERROR[kafkaErrorName(error)];
}
