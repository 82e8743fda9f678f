import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkImports } from '../../../scripts/check-imports.js';

let root: string | undefined;

/** A throw-away src/ tree: file path (relative to src/) → its text. */
function tree(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'evq-check-imports-'));
  const src = join(root, 'src');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), text);
  }
  return src;
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('scripts/check-imports.js', () => {
  it('passes a tree that keeps the layers, type-only back edges included', () => {
    const src = tree({
      'errors.ts': 'export class EvqError extends Error {}\n',
      'core/a.ts':
        "import { EvqError } from '../errors.js';\nimport { Buffer } from 'node:buffer';\nexport const a = [EvqError, Buffer];\n",
      'protocol/p.ts': "import { a } from '../core/a.js';\nexport const p = a;\n",
      'broker/b.ts': "import { p } from '../protocol/p.js';\nexport const b = p;\n",
      'client/c.ts': "import { p } from '../protocol/p.js';\nexport const c = p;\n",
      'cli/commands/serve.ts': "export type ServeFlags = { port: number };\nexport const load = () => import('../run-serve.js');\n",
      'cli/run-serve.ts':
        "import type { ServeFlags } from './commands/serve.js';\nimport { b } from '../broker/b.js';\nexport const f = (x: ServeFlags) => [x, b];\n",
    });
    expect(checkImports(src).problems).toEqual([]);
  });

  it('reports each forbidden edge: broker to client, core to protocol, I/O in the core, a command importing a command', () => {
    const src = tree({
      'core/a.ts': "import { p } from '../protocol/p.js';\nimport { readFileSync } from 'node:fs';\nexport const a = [p, readFileSync];\n",
      'protocol/p.ts': 'export const p = 1;\n',
      'client/c.ts': 'export const c = 1;\n',
      'broker/b.ts': "import type { c } from '../client/c.js';\nexport type B = typeof c;\n",
      'cli/commands/consume.ts': "import { s } from './subscribe.js';\nexport const c = s;\n",
      'cli/commands/subscribe.ts': 'export const s = 1;\n',
    });
    expect(checkImports(src).problems).toEqual([
      "src/core/a.ts:2: core is pure (no I/O) and imports 'node:fs'",
      'src/broker/b.ts:1: broker may not import client (layers: core → protocol → broker | client → bench → cli)',
      'src/cli/commands/consume.ts:1: a command imports another command (src/cli/commands/subscribe.ts): move what they share beside them into src/cli/',
      'src/core/a.ts:1: core may not import protocol (layers: core → protocol → broker | client → bench → cli)',
    ]);
  });

  it("lets protocol, and only protocol, import the Kafka codec's packages", () => {
    const src = tree({
      'core/a.ts': "import { Decompress } from 'fzstd';\nexport const a = Decompress;\n",
      'protocol/p.ts':
        "import snappyjs from 'snappyjs';\nimport lz4js from 'lz4js';\nimport { Decompress } from 'fzstd';\nexport const p = [snappyjs, lz4js, Decompress];\n",
      'protocol/q.ts': "import ws from 'ws';\nexport const q = ws;\n",
    });
    expect(checkImports(src).problems).toEqual([
      "src/core/a.ts:1: core is pure (no I/O) and imports 'fzstd'",
      "src/protocol/q.ts:1: protocol is pure (no I/O) and imports 'ws'",
    ]);
  });

  it('reports an import cycle, a dynamic import included (a leaf importing the entry module)', () => {
    const src = tree({
      'cli/main.ts': "import { onInterrupt } from './signals.js';\nexport function forceExit(): void {}\nexport const m = onInterrupt;\n",
      'cli/signals.ts': "export const onInterrupt = async () => (await import('./main.js')).forceExit();\n",
    });
    expect(checkImports(src).problems).toEqual(['import cycle: src/cli/main.ts → src/cli/signals.ts → src/cli/main.ts']);
  });
});
