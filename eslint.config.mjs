// Lint: `npm run lint` (eslint with zero warnings allowed, then prettier --check). Formatting is prettier's job
// (.prettierrc.json); eslint looks for mistakes only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.node-red/',
      '.node-red-5/',
      'stack/.run/',
      'test/artifacts/',
      'bench/results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` says "deliberately unused" (Node-RED handler signatures, destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-unused-vars': 'off',
      // Code built from text at run time is a decision worth a comment: each use says why.
      'no-new-func': 'error',
      // Node-RED's own style: `const node = this` in a node's constructor, used by its handlers.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  {
    // `any` where the other side is untyped: the gremlin driver (it ships no types), and tests and benchmarks that look
    // into driver results, Node-RED messages and the browser's page. Nodes and plugins are typed through
    // @types/node-red (nodes/shared/red.ts): no `any` there.
    files: ['lib/gremlin/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain CommonJS scripts (stack, build and test runners) run by Node itself.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      // globals.node lists `crypto` (WebCrypto); `const crypto = require('crypto')` is the module, not a redeclaration.
      'no-redeclare': ['error', { builtinGlobals: false }],
    },
  },
);
