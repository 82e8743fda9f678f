/**
 * The routes of the delay queue: list what is waiting (by topic, by a filter run here), a histogram of due
 * times, cancel one message, deliver one now. See docs/PROTOCOL.md, "Delayed messages".
 */
import type { ServerResponse } from 'node:http';
import { LIMITS } from '../../core/limits.js';
import { EvqError, EvqUsageError } from '../../errors.js';
import { HEADERS } from '../../protocol/http.js';
import type { DelayedHistogramReply, DelayedList, DelayedWireMessage } from '../../protocol/http-broker-state.js';
import { readUtf8 } from '../../protocol/utf8.js';
import { validateTopicName } from '../../protocol/validate.js';
import type { BrokerContext } from '../context.js';
import { histogramDelayed, listDelayed, parseCursor, type DelayedQuery } from '../delay-listing.js';
import type { DelayedMessage } from '../delay-queue.js';
import { replyJson } from './replies.js';
import { queryFilter } from './request.js';

/** GET /delayed?topic=T&filter=EXPR&limit=N&after=CURSOR: one page of waiting messages in due order. */
export function listDelayedRoute(ctx: BrokerContext, res: ServerResponse, url: URL): void {
  const query = delayedQuery(ctx, url);
  const limit = boundedInt(url, 'limit', LIMITS.defaultDelayedListLimit, LIMITS.maxDelayedListLimit);
  const afterText = url.searchParams.get('after');
  const after = afterText === null || afterText === '' ? null : parseCursor(afterText.slice(0, 200));
  if (afterText !== null && afterText !== '' && after === null) {
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', 'invalid after: pass the "next" of the previous page as it is');
  }
  const page = listDelayed(ctx.delays.entries(), query, after, limit);
  let waiting = 0;
  for (const entry of ctx.delays.entries()) waiting += entry.messages.length - entry.removed.size;
  const reply: DelayedList = { delayed: page.messages.map(wireDelayed), next: page.next, scanned: page.scanned, waiting };
  replyJson(res, 200, reply);
}

/** GET /delayed/histogram?topic=T&filter=EXPR&buckets=N: the due times of the matching waiting messages. */
export function delayedHistogramRoute(ctx: BrokerContext, res: ServerResponse, url: URL): void {
  const query = delayedQuery(ctx, url);
  const buckets = boundedInt(url, 'buckets', 24, LIMITS.maxDelayedHistogramBuckets);
  const reply: DelayedHistogramReply = histogramDelayed(ctx.delays.entries(), query, buckets);
  replyJson(res, 200, reply);
}

/** DELETE /delayed/{id}: the message is never delivered (also after a restart). */
export async function cancelDelayedRoute(ctx: BrokerContext, id: string, res: ServerResponse): Promise<void> {
  if (!(await ctx.delays.cancel(id))) throw notWaiting(id);
  replyJson(res, 200, { id, cancelled: true });
}

/** POST /delayed/{id}/deliver: appends the message to its topic now; the reply is the produce's. */
export async function deliverDelayedRoute(ctx: BrokerContext, id: string, res: ServerResponse): Promise<void> {
  const result = await ctx.delays.deliverNow(id);
  if (result === null) throw notWaiting(id);
  if (result.delayed) throw new EvqError('EVQ_ERR_INTERNAL', 'a message delivered now was delayed again');
  replyJson(res, 200, { id, delivered: true, topic: result.topic, partition: result.partition, offset: result.baseOffset });
}

function notWaiting(id: string): EvqError {
  return new EvqError(
    'EVQ_ERR_NOT_FOUND',
    `no delayed message ${JSON.stringify(id.slice(0, 100))} is waiting: it was delivered or cancelled (GET /delayed lists what waits)`,
  );
}

function delayedQuery(ctx: BrokerContext, url: URL): DelayedQuery {
  const topic = url.searchParams.get('topic');
  if (topic !== null && topic !== '') validateTopicName(topic);
  return {
    topic: topic === null || topic === '' ? null : topic,
    filter: queryFilter(url, ctx.limits),
    maxScan: LIMITS.maxScanRecords,
    maxScanBytes: LIMITS.maxScanBytes,
    maxScanMs: LIMITS.maxScanMs,
  };
}

function boundedInt(url: URL, name: string, fallback: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const n = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= max))
    throw new EvqUsageError('EVQ_ERR_INVALID_ARGUMENT', `invalid ${name} ${text.slice(0, 20)}: expected 1 to ${max}`);
  return n;
}

function wireDelayed(d: DelayedMessage): DelayedWireMessage {
  const m = d.message;
  const headers = m.headers ?? null;
  const produced = headers === null ? undefined : headers[HEADERS.producedAt];
  const wire: DelayedWireMessage = {
    id: d.id,
    topic: d.topic,
    dueAt: d.dueAt,
    producedAt: produced === undefined || !/^\d{1,16}$/.test(produced) ? null : Number(produced),
    key: m.key ?? null,
    headers,
  };
  if (typeof m.value === 'string') wire.value = m.value;
  else {
    const text = readUtf8(m.value, 0, m.value.length);
    if (text !== null) wire.value = text;
    else wire.valueBase64 = m.value.toString('base64');
  }
  return wire;
}
