// ESLint 9 flat config: what the type checker does not say. `npm run lint` runs it after tsc, beside
// scripts/check-imports.js (layers and cycles) and prettier --check (formatting is prettier's alone: no
// stylistic rule here).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** @typedef {import('eslint').Linter.RuleEntry} RuleEntry */

/** only src/cli/force-exit.ts ends the process */
const processExit = {
  object: 'process',
  property: 'exit',
  message: 'Only src/cli/force-exit.ts ends the process: return or throw, main() sets the exit code.',
};

/** @type {RuleEntry} */
const noProcessExit = ['error', processExit];

/** @type {RuleEntry} only src/cli/main.ts sets the exit code */
const noExitCode = [
  'error',
  {
    selector: "AssignmentExpression > MemberExpression.left[object.name='process'][property.name='exitCode']",
    message: 'Only src/cli/main.ts sets the exit code: return or throw instead.',
  },
];

/** @type {RuleEntry} only src/cli/ writes to the terminal */
const noTerminal = [
  'error',
  processExit,
  { object: 'process', property: 'stdout', message: 'Only src/cli/ writes to the terminal: return results or emit events.' },
  { object: 'process', property: 'stderr', message: 'Only src/cli/ writes to the terminal: return results or emit events.' },
];

/** @type {RuleEntry} unused symbols; an `_` prefix marks one kept on purpose (a parameter a signature needs) */
const noUnusedVars = [
  'error',
  { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'evq-data/', 'bench/results/'] },

  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // type-aware: every file linted belongs to tsconfig.json (src, test) or tsconfig.js.json (the JavaScript)
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json', './tsconfig.js.json', './tsconfig.ui.json'], tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // undefined names are the type checker's (it knows node's globals; ESLint would need a list of them)
      'no-undef': 'off',
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': noUnusedVars,
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      // a variable a closure reads before its one assignment (`let hub; const ctx = { hub: () => hub }; hub = …`)
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.ts'],
    // tsc's noFallthroughCasesInSwitch says it, knowing that a call returning `never` ends a case
    rules: { 'no-fallthrough': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    // a test reads JSON replies loosely and asserts on them
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { 'no-console': 'error', 'no-restricted-properties': noTerminal, 'no-restricted-syntax': noExitCode },
  },
  {
    files: ['src/cli/**/*.ts'],
    ignores: ['src/cli/force-exit.ts'],
    rules: { 'no-restricted-properties': noProcessExit },
  },
  {
    files: ['src/cli/**/*.ts'],
    ignores: ['src/cli/main.ts'],
    rules: { 'no-restricted-syntax': noExitCode },
  },
  {
    // the web console: a message, key, header or topic name is data, never markup, and nothing is evaluated
    files: ['ui/**/*.js'],
    rules: {
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'srcdoc', 'write', 'writeln', 'createContextualFragment'].map((property) => ({
          property,
          message: 'The console never inserts HTML: build nodes with ui/dom.js (text goes in as textContent).',
        })),
      ],
    },
  },
);
