import type { Ora } from 'ora';
import type { Output } from './output.js';

/**
 * A live count and rate on stderr while a long command runs (ora), only on a terminal: never in a pipe and
 * never under NO_COLOR (`output.interactive`). It appears only after `delayMs`, so short commands never
 * flash a spinner, and it is cleared before the summary line is printed.
 */
export interface Progress {
  /** The count so far (cheap: the spinner reads it when it redraws). */
  set(count: number): void;
  /** Clears the spinner (the summary follows on a clean line). */
  stop(): void;
}

const NO_PROGRESS: Progress = { set: () => undefined, stop: () => undefined };

export interface ProgressOptions {
  /** Text before the count: `producing to orders`. */
  label: string;
  /** Unit after the count. */
  unit?: string;
  /** Show it only after this long (ms). Default 750. */
  delayMs?: number;
  /** Redraw interval (ms). Default 100. */
  intervalMs?: number;
  stream?: NodeJS.WriteStream;
  /** Another reason to stay quiet (e.g. data lines are going to the same terminal). */
  enabled?: boolean;
}

/** The text of the spinner: `producing to orders: 12,345 messages, 81,200 msg/s`. */
export function progressText(label: string, count: number, elapsedMs: number, unit = 'messages'): string {
  const rate = elapsedMs > 0 ? Math.round((count * 1000) / elapsedMs) : 0;
  return `${label}: ${count.toLocaleString('en-US')} ${unit}, ${rate.toLocaleString('en-US')} msg/s`;
}

export function startProgress(output: Output, options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  // a terminal of no width (a pty without a size) would make ora clear an endless number of lines
  if (!output.interactive || options.enabled === false || stream.isTTY !== true || !(stream.columns > 0)) return NO_PROGRESS;
  const started = performance.now();
  let count = 0;
  let spinner: Ora | undefined;
  const render = (): string => progressText(options.label, count, performance.now() - started, options.unit);
  let stopped = false;
  const show = setTimeout(() => {
    // loaded only when a spinner is shown: a short command never pays for ora
    void import('ora').then(({ default: ora }) => {
      if (stopped) return;
      // discardStdin would put a terminal's stdin in raw mode: messages may be typed there
      spinner = ora({ text: render(), stream, discardStdin: false, hideCursor: false }).start();
      redraw = setInterval(() => {
        if (spinner !== undefined) spinner.text = render();
      }, options.intervalMs ?? 100);
      redraw.unref();
    });
  }, options.delayMs ?? 750);
  show.unref();
  let redraw: NodeJS.Timeout | undefined;
  return {
    set: (n) => void (count = n),
    stop: () => {
      stopped = true;
      clearTimeout(show);
      if (redraw !== undefined) clearInterval(redraw);
      spinner?.stop();
      spinner = undefined;
    },
  };
}
