/**
 * commander, loaded with `require`: it is a CommonJS package, and `import` of one makes Node scan its source
 * for named exports first — a cost every `evq` command paid at start-up. Import commander from here.
 */

import { createRequire } from 'node:module';
import type * as CommanderTypes from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof CommanderTypes;

export const Command = commander.Command;
export type Command = CommanderTypes.Command;
export const Option = commander.Option;
export type Option = CommanderTypes.Option;
export const CommanderError = commander.CommanderError;
export type CommanderError = CommanderTypes.CommanderError;
export const InvalidArgumentError = commander.InvalidArgumentError;
export type InvalidArgumentError = CommanderTypes.InvalidArgumentError;
