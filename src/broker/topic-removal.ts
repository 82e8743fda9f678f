/**
 * Deleting a topic as the broker does it, whichever door asks (HTTP DELETE /topics/{topic}, Kafka
 * DeleteTopics): the log goes, then every group's committed offsets on it, its metrics, and what the live
 * side and the caches (idempotency keys, subscribers) hold for it.
 */
import type { BrokerContext } from './context.js';

/** Deletes `topic` and everything kept for it; false when there was no such topic (nothing is changed). */
export async function removeTopic(ctx: BrokerContext, topic: string): Promise<boolean> {
  const deleted = await ctx.store.delete(topic);
  if (!deleted) return false;
  await ctx.groups.forgetTopic(topic);
  ctx.metrics.forgetTopic(topic);
  ctx.topicDeleted(topic);
  return true;
}
