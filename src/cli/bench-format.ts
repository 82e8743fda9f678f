/** Number and table formatting shared by the `evq bench` report, live line and comparison. */

/** Microseconds as a person reads them: 850µs, 1.25ms, 12.5ms, 125ms, 1.25s. */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return 'n/a';
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 10_000) return `${(us / 1000).toFixed(2)}ms`;
  if (us < 100_000) return `${(us / 1000).toFixed(1)}ms`;
  if (us < 1_000_000) return `${Math.round(us / 1000)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

/** 1234567 → 1,234,567. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

/** Bytes per second as MiB/s with two decimals. */
export function formatMiB(bytesPerSec: number): string {
  return (bytesPerSec / (1024 * 1024)).toFixed(2);
}

/** Milliseconds as seconds: 1.12s. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** Bytes, short: 100 B, 1.5 KiB, 2 MiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Number((n / 1024).toFixed(1))} KiB`;
  return `${Number((n / (1024 * 1024)).toFixed(1))} MiB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export type Align = 'l' | 'r';

/**
 * Lays out rows in aligned columns (widths from the plain text), then lets `style` colour a cell — so colours
 * never disturb the alignment.
 */
export function table(
  rows: readonly (readonly string[])[],
  align: readonly Align[],
  options: { indent?: string; gap?: string; style?: (text: string, row: number, column: number) => string } = {},
): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  const gap = options.gap ?? '  ';
  return rows.map(
    (row, r) =>
      (options.indent ?? '') +
      row
        .map((cell, c) => {
          const width = widths[c] ?? 0;
          const padding = ' '.repeat(Math.max(0, width - [...cell].length));
          const padded = (align[c] ?? 'l') === 'r' ? padding + cell : c === row.length - 1 ? cell : cell + padding;
          return options.style === undefined ? padded : options.style(padded, r, c);
        })
        .join(gap)
        .trimEnd(),
  );
}
