/**
 * Consumer groups: the list (`#/groups`: every group on every topic it has offsets on, with its lag and
 * members, from `GET /groups`) and a group's page (`#/groups/NAME`, from `GET /groups/{group}`): state,
 * generation, members and their assignments, per partition the committed offset, the lag in messages and
 * in time (how old the oldest unread record is: the broker reads its timestamp), the owner; a chart of the
 * group's lag over the minutes the page has been open (the page samples it at each refresh: the broker
 * keeps no lag history); and the reset of its offsets (ui/group-reset.js, not in a read-only console).
 */
import { getJson } from './api.js';
import { lineChart } from './chart.js';
import { formatCount, h, replace } from './dom.js';
import { formatDuration } from './durations.js';
import { resetForm } from './group-reset.js';

const REFRESH_MS = 2000;
/** Lag samples kept by a group's page: five minutes of them. */
const MAX_LAG_SAMPLES = 150;
/** Rows of a group's partitions drawn at most (the rest counted). */
const MAX_PARTITION_ROWS = 1000;

/**
 * @typedef {{ partition: number, committed: number | null, endOffset: number, lag: number, missed: number }} GroupInfoPartition
 * @typedef {{ group: string, topic: string, committed: number, endOffset: number, lag: number, missed: number,
 *   members: number, updatedAt: number, partitions?: GroupInfoPartition[] }} GroupInfo
 * @typedef {{ topic: string, partition: number }} Assigned
 * @typedef {{ memberId: string, clientId: string, protocol: string, joinedAt: number, lastSeenAt: number,
 *   sessionTimeoutMs: number, assignment: Assigned[] }} Member
 * @typedef {{ topic: string, partition: number, committed: number | null, endOffset: number, lag: number, missed: number,
 *   owner: string | null, oldestUnreadAt?: number | null }} PartitionOffsets
 * @typedef {{ group: string, generation: number, state: string, members: Member[], partitions: PartitionOffsets[] }} GroupDescription
 */

/** `#/groups/NAME` */
export function groupHref(/** @type {string} */ group) {
  return `#/groups/${encodeURIComponent(group)}`;
}

/** The list of groups. @param {HTMLElement} root @param {import('./app.js').Route} _route @param {import('./app.js').App} app */
export function groupsView(root, _route, app) {
  let stopped = false;
  const body = h('tbody');
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const problem = h('div');
  replace(
    root,
    h('div', { class: 'toolbar' }, h('h1', null, 'Consumer groups')),
    problem,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'groups' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Group'),
            h('th', { scope: 'col' }, 'Topic'),
            h('th', { scope: 'col', class: 'num' }, 'Lag'),
            h('th', { scope: 'col', class: 'num' }, 'Committed / end'),
            h('th', { scope: 'col', class: 'num' }, 'Members'),
            h('th', { scope: 'col' }, 'Last commit'),
          ),
        ),
        body,
      ),
    ),
    status,
  );

  async function load() {
    try {
      /** @type {{ groups: GroupInfo[] }} */
      const reply = await getJson('/groups');
      if (stopped) return;
      replace(problem);
      const groups = [...reply.groups].sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic));
      replace(
        body,
        groups.map((g) =>
          h(
            'tr',
            { 'data-group': g.group, 'data-topic': g.topic },
            h('th', { scope: 'row' }, h('a', { href: groupHref(g.group) }, g.group)),
            h('td', null, h('a', { href: `#/topics/${encodeURIComponent(g.topic)}/messages` }, g.topic)),
            h('td', { class: 'num lag' }, formatCount(g.lag)),
            h('td', { class: 'num' }, `${formatCount(g.committed)} / ${formatCount(g.endOffset)}`),
            h('td', { class: 'num' }, formatCount(g.members)),
            h('td', null, ago(g.updatedAt)),
          ),
        ),
      );
      replace(
        status,
        groups.length === 0
          ? 'No group has committed an offset yet: evq consume orders --group billing reads and commits as one.'
          : `${new Set(groups.map((g) => g.group)).size} groups on ${new Set(groups.map((g) => g.topic)).size} topics`,
      );
    } catch (err) {
      if (!stopped) app.showError(err, problem);
    }
  }

  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** A group's page. @param {HTMLElement} root @param {import('./app.js').Route} route @param {import('./app.js').App} app */
export function groupView(root, route, app) {
  const name = route.path[1];
  let stopped = false;
  /** @type {number[]} */
  const times = [];
  /** @type {number[]} */
  const lags = [];
  const summary = h('dl', { class: 'facts', id: 'group-summary' });
  const members = h('div', { id: 'members' });
  const partitions = h('tbody');
  const more = h('p', { class: 'muted' });
  const chartBox = h('div', { class: 'live-chart', id: 'lag-chart', role: 'img', 'aria-label': `Lag of group ${name} over time` });
  const problem = h('div');
  /** @type {ReturnType<typeof resetForm> | null} */
  const reset = app.readOnly ? null : resetForm(name, app, () => void load());
  replace(
    root,
    h('div', { class: 'toolbar' }, h('h1', null, h('a', { href: '#/groups' }, 'Groups'), ' / ', name)),
    problem,
    summary,
    h('h2', null, 'Members'),
    members,
    h('h2', null, 'Partitions'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'group-partitions' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Topic'),
            h('th', { scope: 'col', class: 'num' }, 'Partition'),
            h('th', { scope: 'col', class: 'num' }, 'Committed'),
            h('th', { scope: 'col', class: 'num' }, 'End'),
            h('th', { scope: 'col', class: 'num' }, 'Lag'),
            h('th', { scope: 'col', class: 'num' }, 'Lag (time)'),
            h('th', { scope: 'col' }, 'Owner'),
          ),
        ),
        partitions,
      ),
    ),
    more,
    h('h2', null, 'Lag'),
    h(
      'p',
      { class: 'muted' },
      'Messages the group has yet to read, over every partition: sampled by this page every 2 s while it is open.',
    ),
    chartBox,
    reset?.element ?? null,
  );
  const chart = lineChart(chartBox, {
    series: [{ label: 'lag', color: '--accent' }],
    label: 'messages',
    windowMs: 5 * 60 * 1000,
  });

  /** @param {GroupDescription} d */
  function draw(d) {
    const total = d.partitions.reduce((n, p) => n + p.lag, 0);
    const now = Date.now();
    const oldest = d.partitions.reduce(
      (min, p) => (typeof p.oldestUnreadAt === 'number' ? Math.min(min, p.oldestUnreadAt) : min),
      Infinity,
    );
    replace(
      summary,
      h('dt', null, 'State'),
      h('dd', { 'data-fact': 'state' }, d.state),
      h('dt', null, 'Generation'),
      h('dd', { 'data-fact': 'generation' }, String(d.generation)),
      h('dt', null, 'Lag'),
      h('dd', { 'data-fact': 'lag' }, `${formatCount(total)} messages`),
      h('dt', null, 'Oldest unread'),
      h('dd', { 'data-fact': 'age' }, oldest === Infinity ? 'none' : `${formatDuration(now - oldest)} old`),
    );
    replace(
      members,
      d.members.length === 0
        ? h('p', { class: 'muted' }, 'No members now.')
        : h(
            'ul',
            { class: 'plain members' },
            d.members.map((m) =>
              h(
                'li',
                { 'data-member': m.memberId },
                h('code', null, m.memberId),
                ` ${m.clientId} (${m.protocol}), joined ${ago(m.joinedAt)}, seen ${ago(m.lastSeenAt)}: `,
                m.assignment.length === 0 ? 'no partitions' : m.assignment.map((a) => `${a.topic}/${a.partition}`).join(', '),
              ),
            ),
          ),
    );
    const shown = d.partitions.slice(0, MAX_PARTITION_ROWS);
    replace(
      partitions,
      shown.map((p) =>
        h(
          'tr',
          { 'data-topic': p.topic, 'data-partition': String(p.partition) },
          h('th', { scope: 'row' }, p.topic),
          h('td', { class: 'num' }, String(p.partition)),
          h('td', { class: 'num committed' }, p.committed === null ? 'none' : formatCount(p.committed)),
          h('td', { class: 'num' }, formatCount(p.endOffset)),
          h('td', { class: 'num lag' }, formatCount(p.lag)),
          h(
            'td',
            { class: 'num age' },
            typeof p.oldestUnreadAt === 'number' ? formatDuration(now - p.oldestUnreadAt) : p.lag === 0 ? '0s' : '–',
          ),
          h('td', null, p.owner === null ? h('span', { class: 'muted' }, 'none') : h('code', null, p.owner)),
        ),
      ),
    );
    replace(more, d.partitions.length > shown.length ? `${d.partitions.length - shown.length} more partitions not shown` : '');
    reset?.setTopics([...new Set(d.partitions.map((p) => p.topic))], d.partitions);
    times.push(now);
    lags.push(total);
    if (times.length > MAX_LAG_SAMPLES) {
      times.shift();
      lags.shift();
    }
    chart.update(times, [lags]);
  }

  async function load() {
    try {
      const d = await getJson(`/groups/${encodeURIComponent(name)}`);
      if (stopped) return;
      replace(problem);
      draw(d);
    } catch (err) {
      if (!stopped) app.showError(err, problem);
    }
  }

  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
    chart.destroy();
  };
}

/** `12s ago`, or `never` for 0. @param {number} at ms since the epoch */
function ago(at) {
  return at > 0 ? `${formatDuration(Date.now() - at)} ago` : 'never';
}
