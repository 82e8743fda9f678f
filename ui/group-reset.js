/**
 * Resetting a group's offsets on one topic from its page (`POST /topics/{topic}/groups/{group}/reset`): to the
 * earliest retained record, the end, an offset or a time (the broker's time index), on every partition or
 * one. A dry run first tells what the lag would become; the dialog that asks names the group and the topic.
 * The broker refuses a reset while the group has members or readers (their commits would undo it): its words
 * are shown. Not made in a read-only console (and refused there by the broker).
 */
import { sendJson, topicPath } from './api.js';
import { confirmDialog, formatCount, h, replace } from './dom.js';

/**
 * @typedef {{ topic: string, partition: number, lag: number }} PartitionLag
 * @typedef {{ element: HTMLElement, setTopics: (topics: string[], partitions: PartitionLag[]) => void }} ResetForm
 */

/** @param {string} group @param {import('./app.js').App} app @param {() => void} done @returns {ResetForm} */
export function resetForm(group, app, done) {
  /** @type {PartitionLag[]} */
  let known = [];
  const topic = /** @type {HTMLSelectElement} */ (h('select', { id: 'reset-topic', onchange: () => drawPartitions() }));
  const partition = /** @type {HTMLSelectElement} */ (h('select', { id: 'reset-partition' }));
  const to = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'reset-to', onchange: () => showTargetInputs() },
      h('option', { value: 'earliest' }, 'earliest (the oldest retained)'),
      h('option', { value: 'latest' }, 'latest (the end: skip everything)'),
      h('option', { value: 'offset' }, 'an offset'),
      h('option', { value: 'time' }, 'a time'),
    )
  );
  const offset = /** @type {HTMLInputElement} */ (h('input', { id: 'reset-offset', type: 'number', min: 0, hidden: true }));
  const time = /** @type {HTMLInputElement} */ (h('input', { id: 'reset-time', type: 'datetime-local', step: 1, hidden: true }));
  const result = h('div', { id: 'reset-result', 'aria-live': 'polite' });

  function showTargetInputs() {
    offset.hidden = to.value !== 'offset';
    offset.required = to.value === 'offset';
    time.hidden = to.value !== 'time';
    time.required = to.value === 'time';
  }

  function drawPartitions() {
    const chosen = partition.value;
    const numbers = known.filter((p) => p.topic === topic.value).map((p) => p.partition);
    replace(
      partition,
      h('option', { value: 'all' }, 'every partition'),
      numbers.length > 1 ? numbers.map((n) => h('option', { value: String(n) }, `partition ${n}`)) : null,
    );
    partition.value = chosen !== '' && [...partition.options].some((o) => o.value === chosen) ? chosen : 'all';
  }

  /** @returns {{ to: unknown, partition?: number, label: string }} */
  function target() {
    const one = partition.value === 'all' ? undefined : Number(partition.value);
    if (to.value === 'offset') return { to: Number(offset.value), partition: one, label: `offset ${formatCount(Number(offset.value))}` };
    if (to.value === 'time') {
      const ms = new Date(time.value).getTime();
      if (!Number.isFinite(ms)) throw new Error('Give a time to reset to.');
      return { to: { time: ms }, partition: one, label: `the first record at or after ${new Date(ms).toLocaleString()}` };
    }
    return { to: to.value, partition: one, label: to.value === 'earliest' ? 'the oldest retained record' : 'the end' };
  }

  const element = h(
    'form',
    {
      class: 'reset',
      'aria-label': 'Reset offsets',
      onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        replace(result);
        const t = topic.value;
        try {
          const { to: goal, partition: one, label } = target();
          const body = { to: goal, ...(one === undefined ? {} : { partition: one }) };
          const dry = await sendJson('POST', topicPath(t, `/groups/${encodeURIComponent(group)}/reset`), { ...body, dryRun: true });
          const lagNow = known.filter((p) => p.topic === t && (one === undefined || p.partition === one)).reduce((n, p) => n + p.lag, 0);
          const where = one === undefined ? 'every partition' : `partition ${one}`;
          const yes = await confirmDialog(
            `Reset group “${group}” on topic “${t}”?`,
            `The committed offsets of ${where} move to ${label}: the lag goes from ${formatCount(lagNow)} to ${formatCount(dry.lag)} messages. Stop the group's consumers first.`,
            `Reset ${group}`,
          );
          if (!yes) return;
          const reply = await sendJson('POST', topicPath(t, `/groups/${encodeURIComponent(group)}/reset`), body);
          replace(result, h('p', { class: 'ok' }, `Reset ${group} on ${t}: lag ${formatCount(reply.lag)}.`));
          done();
        } catch (err) {
          app.showError(err, result);
        }
      },
    },
    h('h2', null, 'Reset offsets'),
    h(
      'div',
      { class: 'controls' },
      h('label', { for: 'reset-topic' }, 'Topic'),
      topic,
      h('label', { for: 'reset-partition' }, 'Partitions'),
      partition,
      h('label', { for: 'reset-to' }, 'To'),
      to,
      offset,
      time,
      h('button', { type: 'submit', class: 'danger' }, 'Reset…'),
    ),
    result,
  );

  return {
    element,
    setTopics(topics, partitions) {
      known = partitions;
      const chosen = topic.value;
      const current = [...topic.options].map((o) => o.value);
      if (current.join('\n') !== topics.join('\n')) {
        replace(
          topic,
          topics.map((name) => h('option', { value: name }, name)),
        );
        if (topics.includes(chosen)) topic.value = chosen;
      }
      if (partition.options.length === 0 || current.join('\n') !== topics.join('\n')) drawPartitions();
    },
  };
}
