/**
 * The one error the Kafka codec throws. It is an EvqError (`EVQ_ERR_MALFORMED`: the bytes are not what the
 * protocol allows) that also carries the name of the Kafka error code to answer with: `CORRUPT_MESSAGE` for a
 * record batch that does not hold together, `INVALID_REQUEST` for a request that does not parse,
 * `UNSUPPORTED_COMPRESSION_TYPE` for a codec evq does not decode, `UNSUPPORTED_VERSION` for a version it
 * does not speak. Pure.
 */
import { EvqError } from '../../errors.js';
import { KAFKA_ERROR, type KafkaErrorName } from './error-codes.js';

export class KafkaCodecError extends EvqError {
  override name = 'KafkaCodecError';
  /** The Kafka error code's name, e.g. `CORRUPT_MESSAGE`. */
  readonly kafkaError: KafkaErrorName;

  constructor(kafkaError: KafkaErrorName, message: string, options?: ErrorOptions) {
    super('EVQ_ERR_MALFORMED', message, options);
    this.kafkaError = kafkaError;
  }

  /** The INT16 error code a response carries for this error. */
  get kafkaCode(): number {
    return KAFKA_ERROR[this.kafkaError];
  }
}
