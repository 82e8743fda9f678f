/**
 * InitProducerId (v0–1): an idempotent producer (a null transactional id) gets a producer id no producer
 * had before on this broker's data, epoch 0 (see producer-state.ts); each call is a new producer. evq has no
 * transactions: a transactional id is answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED (what a Kafka broker
 * answers a producer it does not let use transactions, and that clients do not retry), with producer id
 * and epoch -1.
 */
import { KAFKA_ERROR } from '../../protocol/kafka/error-codes.js';
import {
  readInitProducerIdRequest,
  writeInitProducerIdResponse,
  type InitProducerIdResponse,
} from '../../protocol/kafka/init-producer-id.js';
import type { KafkaContext } from './context.js';
import type { KafkaAnswer, KafkaRequest } from './request.js';

export function handleInitProducerId(ctx: KafkaContext, { header, body }: KafkaRequest): KafkaAnswer {
  const version = header.apiVersion;
  const request = readInitProducerIdRequest(body, version);
  const response: InitProducerIdResponse =
    request.transactionalId !== null
      ? { throttleTimeMs: 0, errorCode: KAFKA_ERROR.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 }
      : {
          throttleTimeMs: 0,
          errorCode: KAFKA_ERROR.NONE,
          producerId: ctx.producers.nextProducerId(ctx.broker.clock.now()),
          producerEpoch: 0,
        };
  return (w) => writeInitProducerIdResponse(w, version, response);
}
