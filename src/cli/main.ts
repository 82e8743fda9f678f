import { Command, CommanderError } from './commander.js';
import { EXIT, EvqError, type ExitCode } from '../errors.js';
import { makeBenchCommand } from './commands/bench.js';
import { makeConsumeCommand } from './commands/consume.js';
import { makeGroupsCommand } from './commands/groups.js';
import { makeProduceCommand } from './commands/produce.js';
import { makeServeCommand } from './commands/serve.js';
import { makeSubscribeCommand } from './commands/subscribe.js';
import { makeTopicsCommand } from './commands/topics.js';
import { withExamples } from './help.js';
import { createOutput, type Output } from './output.js';
import { evqVersion } from './version.js';

/** The whole command line, built without side effects so tests can parse argv without spawning. */
export function buildProgram(output: Output = createOutput()): Command {
  const program = new Command('evq')
    .description('an embedded, durable event broker, its client and a load generator in one command')
    .version(evqVersion(), '-V, --version')
    .showSuggestionAfterError(true)
    .addCommand(makeServeCommand(output))
    .addCommand(makeProduceCommand(output))
    .addCommand(makeSubscribeCommand(output))
    .addCommand(makeConsumeCommand(output))
    .addCommand(makeTopicsCommand(output))
    .addCommand(makeGroupsCommand(output))
    .addCommand(makeBenchCommand());
  withExamples(program, [
    'evq serve',
    'evq produce orders \'{"amount": 120}\'',
    "evq subscribe orders --filter 'value.amount > 100'",
    'evq consume orders --group billing',
    'evq bench --embedded',
  ]);
  forEachCommand(program, (cmd) =>
    cmd
      .exitOverride()
      .configureOutput({ writeOut: (text) => quietWrite(process.stdout, text), writeErr: (text) => quietWrite(process.stderr, text) }),
  );
  return program;
}

/** Writes help and usage text: a reader that went away (`evq consume --help | head -1`) is not a crash. */
function quietWrite(stream: NodeJS.WriteStream, text: string): void {
  if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  stream.write(text);
}

function forEachCommand(command: Command, fn: (cmd: Command) => void): void {
  fn(command);
  for (const sub of command.commands) forEachCommand(sub, fn);
}

/** Maps anything thrown by a command to its exit code, printing the one line that explains it. */
export function exitCodeFor(err: unknown, output: Output): ExitCode {
  if (err instanceof CommanderError) {
    // commander has already printed its message (help, version, or the usage error)
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof EvqError) {
    output.error(err.message);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  output.error(`unexpected failure: ${message} (set EVQ_DEBUG=1 for details)`);
  if (process.env.EVQ_DEBUG) console.error(err);
  return EXIT.failure;
}

/** Runs the CLI; the only place that sets the process exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const output = createOutput();
  const program = buildProgram(output);
  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    process.exitCode = exitCodeFor(err, output);
  }
}

/**
 * Ends the process at once: only for a second SIGINT/SIGTERM during a shutdown, when the user asked twice
 * not to wait. Every other exit code is set by main() when the command returns or throws.
 */
export function forceExit(code: ExitCode): never {
  process.exit(code);
}
