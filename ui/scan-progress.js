/**
 * The progress of a filtered scan in the messages view: records looked at, matched, their bytes and the time
 * it has taken, updated after each read, with a Stop button that ends the scan at the next read (each read is
 * bounded on the broker: records, bytes and time).
 */
import { formatBytes, formatCount, h, replace } from './dom.js';

export function scanProgress() {
  /** @type {{ scanned: number, matched: number, bytes: number, started: number, stopped: boolean } | null} */
  let scan = null;
  const text = h('span', { id: 'scan-text' });
  const stopButton = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', id: 'scan-stop', class: 'small', onclick: () => stop() }, 'Stop')
  );
  const box = h('div', { id: 'scan', class: 'scan muted', hidden: true, 'aria-live': 'polite' }, text, ' ', stopButton);

  function stop() {
    if (scan !== null) scan.stopped = true;
    stopButton.disabled = true;
  }

  /** @param {boolean} done */
  function show(done) {
    if (scan === null) return;
    const elapsed = ((Date.now() - scan.started) / 1000).toFixed(1);
    const state = done ? (scan.stopped ? ' · stopped' : ' · done') : ' · scanning…';
    replace(
      text,
      `scanned ${formatCount(scan.scanned)} · matched ${formatCount(scan.matched)} · ${formatBytes(scan.bytes)} · ${elapsed} s${state}`,
    );
  }

  return {
    box,
    /** A new read of pages begins; `active`: it is filtered (a scan), else the box hides. @param {boolean} active */
    start(active) {
      scan = active ? { scanned: 0, matched: 0, bytes: 0, started: Date.now(), stopped: false } : null;
      box.hidden = !active;
      stopButton.disabled = !active;
      show(false);
    },
    /** Counts one read. @param {{ records: unknown[], scanned: number, scannedBytes: number }} read */
    account(read) {
      if (scan === null) return;
      scan.scanned += read.scanned;
      scan.bytes += read.scannedBytes;
      scan.matched += read.records.length;
      show(false);
    },
    finish() {
      stopButton.disabled = true;
      show(true);
    },
    stop,
    /** True when Stop was pressed during this scan. */
    stopped() {
      return scan !== null && scan.stopped;
    },
  };
}
