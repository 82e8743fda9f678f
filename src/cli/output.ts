import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Everything the CLI writes goes through here: data to stdout, everything else to stderr. Colours and
 * spinners only when stderr is a TTY and NO_COLOR is not set, so pipelines stay clean.
 */

export interface Output {
  /** Data: one record, one offset, one line of a table the user asked for. */
  data(line: string): void;
  /** Progress, summaries, notices. */
  info(line: string): void;
  /** The one line that says what went wrong. */
  error(line: string): void;
  readonly color: ChalkInstance;
  readonly interactive: boolean;
}

export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createOutput(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  const interactive = useColor(stderr);
  const color = new Chalk({ level: interactive ? 1 : 0 });
  return {
    data: (line) => void stdout.write(`${line}\n`),
    info: (line) => void stderr.write(`${line}\n`),
    error: (line) => void stderr.write(`${color.red('error:')} ${line}\n`),
    color,
    interactive,
  };
}
