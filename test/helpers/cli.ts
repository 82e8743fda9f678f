import { Chalk } from 'chalk';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';

/** An Output that keeps every line, for assertions. */
export function captureOutput(): Output & { infos: string[]; errors: string[]; datas: string[] } {
  const infos: string[] = [];
  const errors: string[] = [];
  const datas: string[] = [];
  return {
    infos,
    errors,
    datas,
    data: (l) => void datas.push(l),
    info: (l) => void infos.push(l),
    error: (l) => void errors.push(l),
    color: new Chalk({ level: 0 }),
    interactive: false,
  };
}

/**
 * Parses `evq <name> …args` without running the command: `toPlan` receives what commander hands the
 * command's action (its arguments, then the flags) and returns the plan; a usage error comes back as `err`,
 * with what commander printed in `errOut`.
 */
export async function parsePlan<P>(
  name: string,
  args: string[],
  toPlan: (...actionArgs: any[]) => P,
): Promise<{ plan?: P; err?: unknown; errOut: string; out: string }> {
  const program = buildProgram(captureOutput());
  let errOut = '';
  let out = '';
  const quiet = (cmd: Command): void => {
    cmd.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (errOut += s) });
    cmd.commands.forEach(quiet);
  };
  quiet(program);
  let plan: P | undefined;
  program.commands
    .find((c) => c.name() === name)!
    .action((...actionArgs: unknown[]) => {
      plan = toPlan(...actionArgs);
    });
  try {
    await program.parseAsync(['node', 'evq', name, ...args]);
    return { plan, errOut, out };
  } catch (err) {
    return { err, errOut, out };
  }
}
