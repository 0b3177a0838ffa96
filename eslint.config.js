// Lint for docsync: typescript-eslint (type-aware where it catches real bugs) and the layer rules of
// DESIGN.md §1 as import restrictions, so a wrong-way import fails `npm run lint` instead of a review.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

// Imports every file under src/ refuses: src/ is the product, scripts/ bench/ test/ are its users.
const SRC_PATTERNS = [
  {
    regex: '(^|/)(scripts|test|bench)/',
    message: 'src/ must not import scripts/, bench/ or test/ (they depend on src/, not the other way).',
  },
  { regex: '^(vitest|@vitest/)', message: 'src/ must not import a test runner.' },
];

// core, connectors, pipeline, store and extract are plain Node code, testable and reusable without Temporal.
const NO_TEMPORAL = {
  regex: '^@temporalio/',
  message: 'No @temporalio/* in core, connectors, pipeline, store, extract: Temporal lives in activities/workflows/workers.',
};

// Only workflows run in the deterministic sandbox, so only they may import its API.
const NO_WORKFLOW_API = { regex: '^@temporalio/workflow(/|$)', message: 'Only src/workflows imports @temporalio/workflow.' };

// Workflow code is bundled into the sandbox: no Node, no IO, and other layers as types only.
const WORKFLOW_PATTERNS = [
  {
    regex:
      '^(node:|(assert|buffer|child_process|crypto|dns|events|fs|http|https|net|os|path|process|stream|timers|tls|url|util|worker_threads|zlib)(/|$))',
    message: 'Workflow code runs in the deterministic sandbox: no Node built-ins.',
  },
  { regex: '^@temporalio/(?!(workflow|common)$)', message: 'Workflows import only @temporalio/workflow and @temporalio/common.' },
  { regex: '^(?![.]|@temporalio/|node:)', allowTypeImports: true, message: 'Workflows import npm packages as types only.' },
  {
    // Pure modules (no Node, no IO, no state) may be imported as values; add them here deliberately.
    regex: '^[.][.]/(?!core/errors[.]js$)',
    allowTypeImports: true,
    message: 'Workflows import non-workflow code as types only (pure modules allowed: core/errors.ts).',
  },
];

const restrictImports = (patterns) => ({
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

// `npm run check` lints with DOCSYNC_LINT_FAST=1: every rule but the type-aware one (no-floating-promises
// needs a TypeScript program, most of lint's time, and tsc already runs beside it). `npm run lint` and
// .ci/run keep it.
const typeAware = process.env.DOCSYNC_LINT_FAST !== '1';

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'test/histories/', 'test/fixtures/content/', '**/*.tmpl'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    ...(typeAware ? { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } } : {}),
    plugins: { 'import-x': importX },
    settings: {
      // no-cycle follows imports into .ts files only when import-x knows how to parse them.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Sources import './x.js' that resolves to './x.ts' (NodeNext), so the resolver maps the extension.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      ...(typeAware ? { '@typescript-eslint/no-floating-promises': 'error' } : {}),
      // A `let` read by a cleanup closure before its one assignment cannot be a `const`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Type-only imports are erased at run time, so they cannot form a loading cycle.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  { files: ['src/**/*.ts'], rules: restrictImports([...SRC_PATTERNS, NO_WORKFLOW_API]) },
  { files: ['src/{core,connectors,pipeline,store,extract}/**/*.ts'], rules: restrictImports([...SRC_PATTERNS, NO_TEMPORAL]) },
  { files: ['src/workflows/**/*.ts'], rules: restrictImports([...SRC_PATTERNS, ...WORKFLOW_PATTERNS]) },
  // workflows/client.ts starts and signals workflows from the outside (CLI, tests): never bundled.
  { files: ['src/workflows/client.ts'], rules: restrictImports([...SRC_PATTERNS, NO_WORKFLOW_API]) },
  { files: ['**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } } },
);
