/**
 * How an evq topic maps onto JetStream: one stream per topic, with one subject.
 *
 * Topic names use `a-z A-Z 0-9 . _ -`; JetStream stream names cannot contain `.` (nor `*`, `>`, whitespace,
 * path separators). The stream name escapes, injectively: `_` → `_5F` and `.` → `_2E` (so `orders.eu_west` is
 * the stream `orders_2Eeu_5Fwest`), and {@link topicOfStream} reverses it. The subject is `evq.<topic>`
 * (a literal subject: the topic's dots only add tokens, and topics never contain wildcards).
 */

import { validateTopicName } from '../../protocol/validate.js';

export const SUBJECT_PREFIX = 'evq.';

/** The stream that holds `topic` (the topic name is validated first). */
export function streamOfTopic(topic: string): string {
  validateTopicName(topic);
  return topic.replace(/[_.]/g, (c) => (c === '_' ? '_5F' : '_2E'));
}

/** The subject messages of `topic` are published on. */
export function subjectOfTopic(topic: string): string {
  validateTopicName(topic);
  return SUBJECT_PREFIX + topic;
}

/** The topic a stream name stands for (the inverse of {@link streamOfTopic}). */
export function topicOfStream(stream: string): string {
  return stream.replace(/_(5F|2E)/g, (_m, code: string) => (code === '5F' ? '_' : '.'));
}
