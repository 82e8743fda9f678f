import { Command, CommanderError } from './commander.js';
import { EXIT, EvqError, type ExitCode } from '../errors.js';
import { makeBenchCommand } from './commands/bench.js';
import { makeBenchReportCommand } from './commands/bench-report.js';
import { makeConsumeCommand } from './commands/consume.js';
import { makeGroupsCommand } from './commands/groups.js';
import { makeProduceCommand } from './commands/produce.js';
import { makeServeCommand } from './commands/serve.js';
import { makeSubscribeCommand } from './commands/subscribe.js';
import { makeTopicsCommand } from './commands/topics.js';
import { withFlagHints } from './flag-hints.js';
import { withExamples } from './help.js';
import { createOutput, type Output } from './output.js';
import { evqVersion } from './version.js';

/** The subcommands, in the order `evq --help` lists them. */
const COMMANDS: ReadonlyArray<[name: string, make: (output: Output) => Command]> = [
  ['serve', makeServeCommand],
  ['produce', makeProduceCommand],
  ['subscribe', makeSubscribeCommand],
  ['consume', makeConsumeCommand],
  ['topics', makeTopicsCommand],
  ['groups', makeGroupsCommand],
  // `evq bench report`: a subcommand of bench (commands do not import each other)
  ['bench', (output) => makeBenchCommand(output).addCommand(makeBenchReportCommand(output))],
];

/**
 * The whole command line, built without side effects so tests can parse argv without spawning. With `only`
 * (the name of a subcommand), that subcommand alone: what a command line that starts with it needs.
 */
export function buildProgram(output: Output = createOutput(), only?: string): Command {
  // -q/--quiet (kcat's -q), anywhere on the line: data and errors only, no notices or summaries on stderr
  const quiet = quietable(output);
  const program = new Command('evq')
    .description('an embedded, durable event broker, its client and a load generator in one command')
    .version(evqVersion(), '-V, --version')
    .option('-q, --quiet', 'print no notices or summaries on stderr (data and errors only)')
    .showSuggestionAfterError(true);
  const wanted = COMMANDS.some(([name]) => name === only) ? only : undefined;
  for (const [name, make] of COMMANDS) if (wanted === undefined || name === wanted) program.addCommand(make(quiet.output));
  program.hook('preAction', () => {
    quiet.set(program.opts<{ quiet?: boolean }>().quiet === true);
  });
  withExamples(program, [
    'evq serve',
    'evq produce orders \'{"amount": 120}\'',
    "evq subscribe orders --filter 'value.amount > 100'",
    'evq consume orders --group billing',
    'evq groups describe billing',
    'evq bench --embedded',
  ]);
  forEachCommand(program, (cmd) =>
    withFlagHints(cmd)
      .exitOverride()
      .configureOutput({ writeOut: (text) => quietWrite(process.stdout, text), writeErr: (text) => quietWrite(process.stderr, text) }),
  );
  return program;
}

/** An Output whose notices can be turned off (errors and data never are). */
function quietable(output: Output): { output: Output; set(quiet: boolean): void } {
  let quiet = false;
  const wrapped: Output = {
    data: (line) => output.data(line),
    info: (line) => {
      if (!quiet) output.info(line);
    },
    error: (line) => output.error(line),
    color: output.color,
    get interactive() {
      return output.interactive && !quiet;
    },
  };
  return { output: wrapped, set: (value) => void (quiet = value) };
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
  // `evq produce …` builds only produce's command: building all of them is a few ms of every start-up
  const program = buildProgram(output, argv[2]);
  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    process.exitCode = exitCodeFor(err, output);
  }
}
