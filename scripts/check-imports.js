#!/usr/bin/env node
/**
 * The import graph of src/, checked: layers, no cycle. Run by `npm run lint` (and alone: `node scripts/check-imports.js`).
 *
 * Builds the graph of every `import`, `export … from`, `import type` and `import()` between the files of src/
 * (parsed with the TypeScript compiler, so comments and strings never count) and fails, one line per
 * violation, on:
 * - an edge against the layers `core → protocol → broker | client → bench → cli` (an arrow reads "is
 *   imported by"): LAYERS below lists what each layer may import; src/errors.ts is importable from anywhere;
 * - a package or node: module that does I/O imported by core or protocol (they are pure: PURE_BUILTINS);
 * - a command file (src/cli/commands/x.ts) importing another command file: what two commands share lives
 *   beside them in src/cli/;
 * - an import cycle among the edges that load a module at run time (static and dynamic imports); type-only
 *   imports are erased by the compiler, so `run-serve.ts` may import the `ServeFlags` type from the command
 *   that lazily imports it. Type-only imports do count for the layers.
 *
 * Exit code 0 when the graph is clean, 1 otherwise. A small script of its own rather than an ESLint plugin:
 * the whole graph in one pass takes well under a second, and the rules read as the table below.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/** What each layer may import (besides itself and src/errors.ts). */
export const LAYERS = {
  errors: [],
  core: [],
  protocol: ['core'],
  broker: ['core', 'protocol'],
  client: ['core', 'protocol'],
  bench: ['core', 'protocol', 'client', 'broker'],
  cli: ['core', 'protocol', 'client', 'broker', 'bench'],
  index: ['core', 'protocol', 'client', 'broker', 'bench'],
};

/** The only modules from outside src/ that the pure layers (core, protocol) may import: none of them does I/O. */
const PURE_LAYERS = new Set(['errors', 'core', 'protocol']);
const PURE_BUILTINS = new Set(['node:buffer', 'node:util', 'node:string_decoder', 'node:crypto', 'node:zlib']);
/**
 * The npm packages protocol may import besides: the Kafka codec's snappy, LZ4 and zstd (pure JavaScript, no
 * dependencies, no I/O; see src/protocol/kafka/compression.ts). Core imports none.
 */
const PROTOCOL_PACKAGES = new Set(['snappyjs', 'lz4js', 'fzstd']);

/** @param {string} src the src/ folder @param {string} file absolute path of a file in it */
export function layerOf(src, file) {
  const rel = relative(src, file).split(sep);
  if (rel.length === 1) return rel[0] === 'errors.ts' ? 'errors' : rel[0] === 'index.ts' ? 'index' : 'root';
  return /** @type {string} */ (rel[0]);
}

/** @param {string} dir @returns {string[]} */
function sourceFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/**
 * @typedef {{ specifier: string, typeOnly: boolean, line: number }} ImportRef
 * @param {string} file
 * @returns {ImportRef[]}
 */
export function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  /** @type {ImportRef[]} */
  const refs = [];
  /** @param {ts.Node} node @param {boolean} typeOnly */
  const add = (node, typeOnly) => {
    if (!ts.isStringLiteralLike(node)) return;
    refs.push({ specifier: node.text, typeOnly, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const namedTypeOnly =
        clause?.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.name === undefined &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, Boolean(clause?.isTypeOnly) || namedTypeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return refs;
}

/** @param {string} from @param {string} specifier @returns {string | undefined} the .ts file a relative specifier names */
function resolveLocal(from, specifier) {
  const target = resolve(dirname(from), specifier);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, join(target, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * @typedef {{ from: string, to: string, line: number, typeOnly: boolean }} Edge
 * @param {string} src
 * @param {string[]} files
 */
export function buildGraph(src, files) {
  /** @type {Map<string, Edge[]>} */
  const graph = new Map(files.map((f) => [f, []]));
  /** @type {string[]} */
  const problems = [];
  for (const file of files) {
    for (const ref of importsOf(file)) {
      const where = `${relative(dirname(src), file)}:${ref.line}`;
      if (!ref.specifier.startsWith('.')) {
        const layer = layerOf(src, file);
        const allowed = PURE_BUILTINS.has(ref.specifier) || (layer === 'protocol' && PROTOCOL_PACKAGES.has(ref.specifier));
        if (PURE_LAYERS.has(layer) && !allowed) {
          problems.push(`${where}: ${layerOf(src, file)} is pure (no I/O) and imports '${ref.specifier}'`);
        }
        continue;
      }
      const to = resolveLocal(file, ref.specifier);
      if (to === undefined) {
        problems.push(`${where}: '${ref.specifier}' names no file in src/`);
        continue;
      }
      /** @type {Edge[]} */ (graph.get(file)).push({ from: file, to, line: ref.line, typeOnly: ref.typeOnly });
    }
  }
  return { graph, problems };
}

/** @param {string} src @param {Edge} edge @returns {string | undefined} why the edge is forbidden */
export function layerViolation(src, edge) {
  const from = layerOf(src, edge.from);
  const to = layerOf(src, edge.to);
  if (from === to || to === 'errors') {
    const fromRel = relative(src, edge.from).split(sep);
    const toRel = relative(src, edge.to).split(sep);
    if (fromRel.slice(0, 2).join('/') === 'cli/commands' && toRel.slice(0, 2).join('/') === 'cli/commands') {
      return `a command imports another command (${relative(dirname(src), edge.to)}): move what they share beside them into src/cli/`;
    }
    return undefined;
  }
  const allowed = /** @type {Record<string, string[]>} */ (LAYERS)[from];
  if (allowed === undefined) return `${relative(dirname(src), edge.from)} is in no layer (add it to LAYERS in scripts/check-imports.js)`;
  if (to === 'index') return `imports the public API barrel src/index.ts: import the module itself`;
  if (!allowed.includes(to)) return `${from} may not import ${to} (layers: core → protocol → broker | client → bench → cli)`;
  return undefined;
}

/**
 * The cycles of the graph: Tarjan's strongly connected components, each of more than one file (or a file
 * importing itself) reported with one concrete loop through it.
 * @param {Map<string, Edge[]>} graph
 * @returns {{ loop: string[], members: string[] }[]} each cycle's files, and one loop through them (its first file repeated at the end)
 */
export function findCycles(graph) {
  let index = 0;
  /** @type {Map<string, number>} */ const order = new Map();
  /** @type {Map<string, number>} */ const low = new Map();
  /** @type {string[]} */ const stack = [];
  const onStack = new Set();
  /** @type {string[][]} */ const components = [];
  /** @param {string} v */
  const strongConnect = (v) => {
    order.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const { to, typeOnly } of graph.get(v) ?? []) {
      if (typeOnly) continue;
      if (!order.has(to)) {
        strongConnect(to);
        low.set(v, Math.min(/** @type {number} */ (low.get(v)), /** @type {number} */ (low.get(to))));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(/** @type {number} */ (low.get(v)), /** @type {number} */ (order.get(to))));
      }
    }
    if (low.get(v) === order.get(v)) {
      /** @type {string[]} */ const component = [];
      let w;
      do {
        w = /** @type {string} */ (stack.pop());
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v && !e.typeOnly);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const v of graph.keys()) if (!order.has(v)) strongConnect(v);
  return components.map((component) => {
    const members = new Set(component);
    return { loop: loopThrough(graph, members, component.sort()[0] ?? ''), members: component };
  });
}

/** A shortest loop from `start` back to itself inside one component (breadth-first). */
function loopThrough(/** @type {Map<string, Edge[]>} */ graph, /** @type {Set<string>} */ members, /** @type {string} */ start) {
  /** @type {Map<string, string>} */ const parent = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const v = /** @type {string} */ (queue.shift());
    for (const { to, typeOnly } of graph.get(v) ?? []) {
      if (typeOnly || !members.has(to)) continue;
      if (to === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(/** @type {string} */ (parent.get(/** @type {string} */ (path[0]))));
        return [...path, start];
      }
      if (!parent.has(to)) {
        parent.set(to, v);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

/** Every violation in `src` (default: this project's src/), one line each, paths relative to its parent folder. */
export function checkImports(src = SRC) {
  const root = dirname(src);
  const files = sourceFiles(src);
  const { graph, problems } = buildGraph(src, files);
  for (const edges of graph.values()) {
    for (const edge of edges) {
      const why = layerViolation(src, edge);
      if (why) problems.push(`${relative(root, edge.from)}:${edge.line}: ${why}`);
    }
  }
  for (const { loop, members } of findCycles(graph)) {
    const more =
      members.length > loop.length - 1 ? ` (${members.length} files in the cycle: ${members.map((f) => relative(src, f)).join(', ')})` : '';
    problems.push(`import cycle: ${loop.map((f) => relative(root, f)).join(' → ')}${more}`);
  }
  return { files: files.length, edges: [...graph.values()].reduce((n, e) => n + e.length, 0), problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files, edges, problems } = checkImports();
  for (const line of problems) console.error(line);
  console.error(
    problems.length === 0
      ? `check-imports: ${files} files, ${edges} imports, layers kept, no cycle`
      : `check-imports: ${problems.length} problem(s) in ${files} files`,
  );
  process.exitCode = problems.length === 0 ? 0 : 1;
}
