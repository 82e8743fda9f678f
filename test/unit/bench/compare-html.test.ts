import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCompareHtml } from '../../../bench/lib/compare-html.js';

describe('bench:compare latest.html', () => {
  it('draws each target as bars against its goal, says PASS or FAIL, and escapes every text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evq-compare-html-'));
    try {
      const path = join(dir, 'latest.html');
      writeCompareHtml(path, {
        date: '2026-12-03T15:00:00Z',
        git: { commit: 'abc123', dirty: false },
        machine: { cpus: 2, cpuModel: 'EPYC', node: 'v20.20.2', loadAverageBefore: [1.5], loadAverageAfter: [2] },
        ok: true,
        passed: 1,
        wallSeconds: 12,
        problems: [],
        targets: [
          {
            id: 1,
            title: 'delivered vs JetStream',
            pass: true,
            detail: '927 k vs 189 k',
            checks: [
              { name: 'vs JetStream', ratio: 4.84, target: 4, pass: true },
              { name: 'nothing lost', target: 1, pass: true },
            ],
          },
          {
            id: 8,
            title: '<script>alert(1)</script> start-up',
            pass: false,
            detail: 'slow',
            checks: [{ name: 'produce', ratio: 2.01, target: 1.5, pass: false, atMost: true }],
          },
        ],
      });
      const html = await readFile(path, 'utf8');
      expect(html).toContain('1 of 2 targets met');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; start-up');
      expect(html).not.toMatch(/<script/i);
      // 4.84 against 4: the bar is 4.84 / 4 / 2 of the track; at-most goals read "≤"
      expect(html).toContain('style="width:60.5%"');
      expect(html).toContain('2.01 ≤ 1.5 FAIL');
      expect(html).toContain('4.84 vs 4 PASS');
      // a yes/no check: a full bar, no goal line
      expect(html).toContain('yes PASS');
      expect(html).toContain('style="width:100.0%"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('plots the scale curves of target 11 as inline charts with their tables, no script', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evq-compare-html-'));
    try {
      const path = join(dir, 'latest.html');
      const point = (count: number, deliveredPerSec: number, p99Ms: number) => ({
        count,
        deliveredPerSec,
        publishedPerSec: deliveredPerSec,
        p50Ms: p99Ms / 2,
        p99Ms,
      });
      writeCompareHtml(path, {
        passed: 0,
        targets: [],
        figures: {
          scale: {
            sizes: [1, 10, 100, 1000],
            curves: {
              subscribers: [point(1, 400_000, 3), point(10, 1_400_000, 8), point(100, 1_800_000, 30), point(1000, 2_000_000, 130)],
              '<b>topics</b>': [point(1, 400_000, 3), point(10, 300_000, 9), point(100, 250_000, 40), point(1000, 120_000, 900)],
            },
          },
        },
      });
      const html = await readFile(path, 'utf8');
      expect(html).toContain('Scale curves (target 11)');
      // two charts per curve (deliveries/s and p99), each a line through its four points
      expect(html.match(/<svg /g)).toHaveLength(4);
      expect(html.match(/<circle /g)).toHaveLength(16);
      expect(html).toContain('<td>1,000</td><td>2,000,000</td>');
      expect(html).toContain('&lt;b&gt;topics&lt;/b&gt;');
      expect(html).not.toContain('<b>topics</b>');
      expect(html).not.toMatch(/<script/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
