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
});
