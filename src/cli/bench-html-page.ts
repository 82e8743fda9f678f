/**
 * The page of the HTML report: its stylesheet (light and dark from `prefers-color-scheme`, a print
 * stylesheet) and its script, which decodes the embedded data model (gzip + base64, with
 * `DecompressionStream`) and builds the page from it: every text with `textContent` (a topic name, a filter, a
 * command line are never parsed as HTML), every chart with uPlot (inlined beside it). Plain browser JavaScript in
 * a string: it runs in the page, not in Node; the browser test (test/integration/browser/bench-report.test.ts)
 * is what checks it.
 */

export const PAGE_CSS = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa;
  --ok: #1a7f37; --bad: #cf222e; --ok-bg: #dafbe1; --bad-bg: #ffebe9; --shade: rgba(120, 120, 120, 0.14); }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --card: #151b23;
    --ok: #3fb950; --bad: #f85149; --ok-bg: #12261e; --bad-bg: #2d1214; --shade: rgba(160, 160, 160, 0.16); }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; }
p.note, .muted { color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; padding-left: 12px; }
table.header td { overflow-wrap: anywhere; }
table.header th { white-space: nowrap; color: var(--muted); font-weight: 500; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
.badge.ok { background: var(--ok-bg); } .badge.bad { background: var(--bad-bg); }
.checks td.state { font-weight: 600; }
.chart { margin: 8px 0 18px; break-inside: avoid; }
.chart .title { font-weight: 600; margin-bottom: 2px; }
.multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: 8px 18px; }
.u-legend { font-size: 12px; text-align: left; }
.u-legend .u-series { padding: 0 8px 0 0; }
.better { color: var(--ok); } .worse { color: var(--bad); }
#error { color: var(--bad); font-weight: 600; white-space: pre-wrap; }
@media print {
  :root { --bg: #ffffff; --fg: #000000; --muted: #444444; --line: #bbbbbb; --card: #ffffff; }
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .chart, table { break-inside: avoid; }
}
`;

export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var PALETTE = ['#2f6fde', '#d9480f', '#2b8a3e', '#9c36b5', '#e8590c', '#0b7285', '#c2255c', '#5c940d'];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
  var charts = [];

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) {
      if (k === 'class') e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }
  function fmtUs(us) {
    if (us === null || us === undefined) return '–';
    if (us < 1000) return Math.round(us) + ' µs';
    if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 2 : us < 1e5 ? 1 : 0) + ' ms';
    return (us / 1e6).toFixed(2) + ' s';
  }
  function fmtCount(n) { return n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'); }
  function fmtUnit(unit, v) {
    if (v === null || v === undefined) return '–';
    if (unit === 'us') return fmtUs(v);
    if (unit === 'bytesRate') return (v / 1048576).toFixed(2);
    return fmtCount(v);
  }
  function fmtPct(x) {
    var p = 100 * (1 - 1 / x);
    var text = p === 0 ? '0' : p.toFixed(Math.max(0, Math.round(Math.log10(x)) - 2));
    if (text.indexOf('.') >= 0) text = text.replace(/\.?0+$/, '');
    return text + '%';
  }
  function pow10(v) { var l = Math.log10(v); return Math.abs(l - Math.round(l)) < 1e-9; }
  function logUs(u, sp) { return sp.map(function (v) { return pow10(v) ? fmtUs(v) : ''; }); }
  function axisColor() { return getComputedStyle(document.body).getPropertyValue('--muted').trim() || '#888'; }
  function axis(extra) {
    var o = { stroke: axisColor(), grid: { stroke: 'rgba(128,128,128,0.18)', width: 1 }, ticks: { stroke: 'rgba(128,128,128,0.35)', width: 1 } };
    for (var k in extra) o[k] = extra[k];
    return o;
  }
  function width(box) { return Math.max(260, Math.floor(box.clientWidth || 900)); }

  function chartBox(parent, title, id) {
    var box = el('div', { class: 'chart', 'data-chart': id }, el('div', { class: 'title' }, title));
    parent.append(box);
    return box;
  }
  function draw(box, opts, data, height) {
    opts.width = width(box);
    opts.height = height || 300;
    var u = new uPlot(opts, data, box);
    charts.push({ u: u, box: box, height: opts.height });
    return u;
  }
  function warmupShade(minX) {
    return function (u) {
      var x0 = u.scales.x.min, x1 = Math.min(0, u.scales.x.max);
      if (!(x0 < 0) || !(minX < 0)) return;
      var ctx = u.ctx, l = u.valToPos(x0, 'x', true), r = u.valToPos(x1, 'x', true);
      ctx.save();
      ctx.fillStyle = getComputedStyle(document.body).getPropertyValue('--shade').trim() || 'rgba(128,128,128,0.15)';
      ctx.fillRect(l, u.bbox.top, r - l, u.bbox.height);
      ctx.restore();
    };
  }
  function seriesStyle(runIndex, kindIndex, runs) {
    var one = runs === 1;
    return { stroke: PALETTE[(one ? kindIndex : runIndex) % PALETTE.length], dash: one ? [] : DASHES[kindIndex % DASHES.length], width: 1.6 };
  }
  function label(model, run, what) { return model.runs.length === 1 ? what : run.label + ' · ' + what; }

  function header(model, root) {
    var runs = model.runs;
    var h = el('table', { class: 'header', id: 'header' });
    if (runs.length > 1) {
      var tr = el('tr', null, el('th'));
      runs.forEach(function (r, i) { tr.append(el('th', { 'data-run': String(i) }, r.label)); });
      h.append(tr);
    }
    runs[0].header.forEach(function (row, i) {
      var tr = el('tr', { 'data-key': row[0] }, el('th', null, row[0]));
      runs.forEach(function (r, j) { tr.append(el('td', { 'data-run': String(j) }, r.header[i] ? r.header[i][1] : '')); });
      h.append(tr);
    });
    root.append(h);
  }

  function checks(model, root) {
    root.append(el('h2', null, 'Verification and thresholds'));
    model.runs.forEach(function (r) {
      if (model.runs.length > 1) root.append(el('h3', null, r.label));
      var t = el('table', { class: 'checks' });
      r.checks.forEach(function (c) {
        t.append(el('tr', { class: c.ok ? 'ok' : 'bad', 'data-check': c.name }, el('td', { class: 'state' }, c.ok ? '✓' : '✗'), el('td', null, c.name), el('td', { class: 'num' }, c.value)));
      });
      root.append(t);
    });
  }

  function latencyTable(model, root) {
    var t = el('table', { class: 'latency' });
    var head = el('tr', null, el('th', null, 'latency'));
    ['count', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean'].forEach(function (k) { head.append(el('th', { class: 'num' }, k)); });
    t.append(head);
    model.runs.forEach(function (r) {
      r.latency.forEach(function (l) {
        var s = l.summary, tr = el('tr', null, el('td', null, label(model, r, l.name)), el('td', { class: 'num' }, fmtCount(s.count)));
        ['p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean'].forEach(function (k) { tr.append(el('td', { class: 'num' }, s.count ? fmtUs(s[k]) : '–')); });
        t.append(tr);
      });
    });
    root.append(t);
  }

  function spectrum(model, root) {
    root.append(el('h2', null, 'Latency by percentile'));
    var kinds = ['e2e', 'e2eUncorrected', 'ack', 'sendLag'];
    var names = { e2e: 'end to end (corrected)', e2eUncorrected: 'end to end (uncorrected)', ack: 'ack', sendLag: 'send lag' };
    var data = [model.spectrumX], series = [{ label: 'percentile', value: function (u, x) { return x === null ? '–' : fmtPct(x); } }];
    model.runs.forEach(function (r, i) {
      kinds.forEach(function (k, j) {
        var ys = r.spectrum[k];
        if (!ys.some(function (y) { return y !== null; })) return;
        data.push(ys.map(function (y) { return y === null ? null : Math.max(1, y); }));
        var s = seriesStyle(i, j, model.runs.length);
        s.label = label(model, r, names[k]);
        s.spanGaps = true;
        s.value = function (u, v) { return fmtUs(v); };
        s.points = { show: !r.exactSpectrum };
        series.push(s);
      });
    });
    var box = chartBox(root, 'Latency percentile spectrum (x: percentile on a log "nines" scale; y: latency, log)', 'spectrum');
    if (model.runs.some(function (r) { return !r.exactSpectrum; }))
      box.append(el('p', { class: 'note' }, 'A run without whole histograms (evq-bench/1) is drawn from its percentiles only; its max stands at 99.999%.'));
    draw(box, {
      scales: { x: { distr: 3, log: 10, time: false }, y: { distr: 3, log: 10 } },
      axes: [
        axis({ splits: function () { return [1, 10, 100, 1000, 10000, 100000]; }, values: function (u, sp) { return sp.map(fmtPct); } }),
        axis({ size: 70, values: logUs }),
      ],
      series: series,
    }, data, 340);
    latencyTable(model, root);
  }

  function overTime(model, root) {
    root.append(el('h2', null, 'Over time'));
    var warm = model.runs.some(function (r) { return r.warmupSeconds > 0; });
    if (warm) root.append(el('p', { class: 'note' }, 'Shaded: the warm-up (negative seconds), left out of every figure above.'));
    var tables = model.runs.map(function (r) { return [r.timeline.seconds, r.timeline.published, r.timeline.delivered]; });
    var joined = model.runs.length === 1 ? tables[0] : uPlot.join(tables);
    var series = [{ label: 'second' }];
    model.runs.forEach(function (r, i) {
      ['published', 'delivered'].forEach(function (what, j) {
        var s = seriesStyle(i, j, model.runs.length);
        s.label = label(model, r, what + ' msgs/s');
        s.value = function (u, v) { return fmtCount(v); };
        series.push(s);
      });
    });
    var minX = joined[0].length ? joined[0][0] : 0;
    var box = chartBox(root, 'Throughput per second', 'throughput');
    draw(box, { scales: { x: { time: false } }, axes: [axis({}), axis({ size: 70, values: function (u, sp) { return sp.map(fmtCount); } })], series: series, hooks: { drawClear: [warmupShade(minX)] } }, joined, 260);
    ['e2e', 'ack'].forEach(function (kind) {
      var title = kind === 'e2e' ? 'End-to-end latency per second (corrected): p50, p99, max' : 'Ack latency per second: p50, p99, max';
      var runs = model.runs.filter(function (r) { return r.timeline[kind] !== null; });
      var box = chartBox(root, title, 'latency-' + kind);
      if (runs.length === 0) {
        box.append(el('p', { class: 'note' }, model.runs.some(function (r) { return !r.timeline.e2e && !r.timeline.ack; }) ? 'Not in this report: the result has no per-second histograms (evq-bench/1).' : 'No such latency in this run.'));
        box.removeAttribute('data-chart');
        return;
      }
      var t = runs.map(function (r) { var l = r.timeline[kind]; return [r.timeline.seconds, l.p50, l.p99, l.max]; });
      var data = t.length === 1 ? t[0] : uPlot.join(t);
      var s2 = [{ label: 'second' }];
      runs.forEach(function (r, i) {
        ['p50', 'p99', 'max'].forEach(function (what, j) {
          var s = seriesStyle(model.runs.indexOf(r), j, model.runs.length);
          s.label = label(model, r, what);
          s.value = function (u, v) { return fmtUs(v); };
          s.spanGaps = false;
          s2.push(s);
        });
      });
      draw(box, { scales: { x: { time: false }, y: { distr: 3, log: 10 } }, axes: [axis({}), axis({ size: 70, values: logUs })], series: s2, hooks: { drawClear: [warmupShade(minX)] } }, data.map(function (col, i) { return i === 0 ? col : col.map(function (v) { return v === null || v === undefined ? null : Math.max(1, v); }); }), 260);
    });
  }

  function histogram(model, root) {
    root.append(el('h2', null, 'Latency histogram'));
    var box = chartBox(root, 'Messages per latency bucket (10 a decade; x: latency, log)', 'histogram');
    var runs = model.runs.filter(function (r) { return r.buckets !== null; });
    if (runs.length === 0) {
      box.append(el('p', { class: 'note' }, 'Not in this report: the result has no whole histograms (evq-bench/1).'));
      box.removeAttribute('data-chart');
      return;
    }
    var ks = {};
    runs.forEach(function (r) { ['e2e', 'ack'].forEach(function (k) { r.buckets[k].forEach(function (b) { ks[b[0]] = true; }); }); });
    var keys = Object.keys(ks).map(Number).sort(function (a, b) { return a - b; });
    if (keys.length > 0) keys.push(keys[keys.length - 1] + 1);
    var xs = keys.map(function (k) { return Math.pow(10, k / model.bucketsPerDecade); });
    var data = [xs], series = [{ label: 'from', value: function (u, v) { return fmtUs(v); } }];
    runs.forEach(function (r) {
      ['e2e', 'ack'].forEach(function (k, j) {
        if (r.buckets[k].length === 0) return;
        var m = {};
        r.buckets[k].forEach(function (b) { m[b[0]] = b[1]; });
        data.push(keys.map(function (key) { return m[key] || 0; }));
        var s = seriesStyle(model.runs.indexOf(r), j, model.runs.length);
        s.label = label(model, r, k === 'e2e' ? 'end to end' : 'ack');
        s.paths = uPlot.paths.stepped({ align: 1 });
        s.fill = model.runs.length === 1 ? s.stroke + '33' : undefined;
        s.value = function (u, v) { return fmtCount(v); };
        series.push(s);
      });
    });
    draw(box, { scales: { x: { distr: 3, log: 10, time: false } }, axes: [axis({ values: logUs }), axis({ size: 70, values: function (u, sp) { return sp.map(fmtCount); } })], series: series }, data, 260);
  }

  function clients(model, root) {
    root.append(el('h2', null, 'Producers and subscribers'));
    model.runs.forEach(function (r, ri) {
      if (model.runs.length > 1) root.append(el('h3', null, r.label));
      var rows = r.producers.concat(r.subscribers);
      if (rows.length === 0) return;
      var t = el('table', { class: 'clients' });
      var head = el('tr', null, el('th', null, 'client'));
      ['worker', 'messages', 'msgs/s', 'lost/dup/reord/errors', 'p50', 'p99', 'max'].forEach(function (k) { head.append(el('th', { class: 'num' }, k)); });
      t.append(head);
      rows.forEach(function (c) {
        t.append(el('tr', { class: c.problems ? 'bad' : '' }, el('td', null, c.name), el('td', { class: 'num' }, c.worker), el('td', { class: 'num' }, fmtCount(c.messages)), el('td', { class: 'num' }, fmtCount(c.msgsPerSec)), el('td', { class: 'num' }, fmtCount(c.problems)), el('td', { class: 'num' }, fmtUs(c.p50)), el('td', { class: 'num' }, fmtUs(c.p99)), el('td', { class: 'num' }, fmtUs(c.max))));
      });
      root.append(t);
      root.append(el('p', { class: 'note' }, 'Latency: ack for a producer, end to end for a subscriber.' + (r.moreClients ? ' ' + r.moreClients + ' more clients are in the JSON result.' : '')));
      var grid = el('div', { class: 'multiples' });
      root.append(grid);
      [['producers', 'msgsPerSec', 'msgs/s'], ['producers', 'p99', 'ack p99'], ['subscribers', 'msgsPerSec', 'msgs/s'], ['subscribers', 'p99', 'e2e p99']].forEach(function (m, j) {
        var list = r[m[0]];
        if (list.length === 0) return;
        var box = chartBox(grid, m[0] + ': ' + m[2], 'clients-' + ri + '-' + j);
        var xs = list.map(function (c, i) { return i; });
        var ys = list.map(function (c) { return c[m[1]]; });
        var fmt = m[1] === 'p99' ? fmtUs : fmtCount;
        draw(box, {
          legend: { show: false },
          scales: { x: { time: false, range: function (u, a, b) { return [a - 0.6, b + 0.6]; } }, y: { range: function (u, a, b) { return [0, b > 0 ? b * 1.1 : 1]; } } },
          axes: [axis({ splits: function () { return xs; }, values: function (u, sp) { return sp.map(function (i) { var c = list[i]; return c ? c.name.replace(/^(producer|subscriber|member) /, '') : ''; }); } }), axis({ size: 64, values: function (u, sp) { return sp.map(fmt); } })],
          series: [{}, { label: m[2], stroke: PALETTE[j % PALETTE.length], fill: PALETTE[j % PALETTE.length] + '99', paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
        }, [xs, ys], 170);
      });
    });
  }

  function differences(model, root) {
    if (model.differences.length === 0) return;
    root.append(el('h2', null, 'Differences'));
    root.append(el('p', { class: 'note' }, 'Each figure of every run; the change is against the first run (' + model.runs[0].label + '), green when better.'));
    var t = el('table', { class: 'differences', id: 'differences' });
    var head = el('tr', null, el('th', null, 'figure'));
    model.runs.forEach(function (r, i) { head.append(el('th', { class: 'num' }, r.label)); if (i > 0) head.append(el('th', { class: 'num' }, 'change')); });
    t.append(head);
    model.differences.forEach(function (d) {
      if (d.values.every(function (v) { return v === null; })) return;
      var tr = el('tr', null, el('td', null, d.name + (d.unit === 'bytesRate' ? '' : '')));
      var base = d.values[0];
      d.values.forEach(function (v, i) {
        tr.append(el('td', { class: 'num' }, fmtUnit(d.unit, v)));
        if (i === 0) return;
        var text = '–', cls = '';
        if (v !== null && base !== null) {
          if (v === base) text = '=';
          else if (base === 0) text = v > 0 ? '+∞' : '−∞';
          else text = (v > base ? '+' : '−') + Math.abs(((v - base) / base) * 100).toFixed(1) + '%';
          if (v !== base) cls = (v > base) === (d.better === 'higher') ? 'better' : 'worse';
        }
        tr.append(el('td', { class: 'num ' + cls }, text));
      });
      t.append(tr);
    });
    root.append(t);
  }

  function render(model) {
    var root = document.getElementById('report');
    document.title = model.title;
    var ok = model.runs.every(function (r) { return r.ok; });
    root.append(el('h1', null, model.title, ' ', el('span', { class: 'badge ' + (ok ? 'ok' : 'bad'), id: 'verdict' }, ok ? 'passed' : 'failed')));
    model.runs.forEach(function (r) { if (r.interrupted) root.append(el('p', { class: 'bad' }, r.label + ': interrupted — producing stopped early; the figures cover what ran.')); });
    header(model, root);
    differences(model, root);
    checks(model, root);
    spectrum(model, root);
    overTime(model, root);
    histogram(model, root);
    clients(model, root);
    root.append(el('p', { class: 'note' }, 'Written by evq bench. Latencies from HdrHistogram (3 significant digits). Schema: docs/BENCH-SCHEMA.md.'));
    var last = 0;
    window.addEventListener('resize', function () {
      var now = Date.now();
      if (now - last < 100) return;
      last = now;
      charts.forEach(function (c) { c.u.setSize({ width: width(c.box), height: c.height }); });
    });
    document.body.setAttribute('data-ready', 'true');
  }

  function fail(message) {
    var e = document.getElementById('error');
    e.textContent = 'This report could not be drawn: ' + message;
    document.body.setAttribute('data-ready', 'error');
  }

  async function main() {
    if (typeof DecompressionStream !== 'function') return fail('this browser has no DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 or later)');
    var text = document.getElementById('report-data').textContent.trim();
    var bin = atob(text), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var json = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
    render(JSON.parse(json));
  }
  main().catch(function (error) { fail(String(error && error.message || error)); });
})();
`;
