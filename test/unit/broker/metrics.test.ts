import { describe, expect, it } from 'vitest';
import { BrokerMetrics } from '../../../src/broker/metrics.js';

describe('broker metrics', () => {
  it('keeps one series per label value, escapes names in the text format, and forgets a deleted topic', () => {
    const m = new BrokerMetrics();
    for (let i = 0; i < 3; i++) m.messagesOut.add({ topic: 'orders' }, 10);
    m.messagesOut.add({ topic: 'say "hi"\\now' }, 2);
    m.messagesOut.add({ topic: 'line\nbreak' }, 1);
    // the same value under another label name is its own series of its own family
    m.rejected.add({ reason: 'orders' }, 1);
    m.slowSubscriber.add({ topic: 'orders', action: 'catch-up' }, 1);
    const text = m.render();
    expect(text).toContain('evq_messages_out_total{topic="orders"} 30');
    expect(text).toContain('evq_messages_out_total{topic="say \\"hi\\"\\\\now"} 2');
    expect(text).toContain('evq_messages_out_total{topic="line\\nbreak"} 1');
    expect(text).toContain('evq_rejected_requests_total{reason="orders"} 1');
    expect(text).toContain('evq_slow_subscriber_events_total{topic="orders",action="catch-up"} 1');
    expect(m.messagesOut.get({ topic: 'orders' })).toBe(30);
    expect(m.messagesOut.total).toBe(33);
    m.forgetTopic('orders');
    expect(m.render()).not.toContain('topic="orders"');
    m.messagesOut.add({ topic: 'orders' }, 5);
    expect(m.messagesOut.get({ topic: 'orders' })).toBe(5);
  });
});
