// ESLint (flat config): typescript-eslint's strict rules over every TypeScript source, test and
// script (scripts/*.ts), the recommended rules over the JavaScript left (the panel's browser
// scripts, scripts/*.mjs). `npm run lint` (part of `npm test`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'var/**', 'test/artifacts/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused bindings are errors, except those named `_x` on purpose (an ignored tuple slot).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // The panel's own scripts run in the browser.
    files: ['apps/supervisor/static/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Non-null assertions: each `!` is a claim the type checker cannot verify. The ones that exist
    // are warnings under a ratchet (`--max-warnings` in package.json can only go down); new code
    // narrows instead.
    files: ['packages/**/src/**/*.ts', 'apps/**/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'warn' },
  },
  {
    // Tests assert a value's presence with expect() and then read it: `!` there is the assertion's
    // consequence, not a claim.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // The workspaces are transpiled file by file into dist/, where an import keeps its specifier:
    // it must name the .js file that will be there (tsconfig.json allows .ts names for the tests
    // and scripts, which tsx and vitest run from source).
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportDeclaration[source.value=/\\.ts$/]', message: 'import the .js name: the build does not rewrite specifiers' },
        { selector: 'ExportNamedDeclaration[source.value=/\\.ts$/]', message: 'export from the .js name: the build does not rewrite specifiers' },
        { selector: 'ExportAllDeclaration[source.value=/\\.ts$/]', message: 'export from the .js name: the build does not rewrite specifiers' },
        { selector: 'ImportExpression[source.value=/\\.ts$/]', message: 'import the .js name: the build does not rewrite specifiers' },
      ],
    },
  },
  {
    // The scripts keep to syntax a type stripper can erase (no enums, namespaces, parameter
    // properties or `import x =`), so Node's own type stripping can run them once tsx is dropped:
    // what erasableSyntaxOnly checked while they had a tsconfig of their own.
    files: ['scripts/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'erasable syntax only in scripts: use a union of literals' },
        { selector: 'TSModuleDeclaration[kind!="global"][declare!=true]', message: 'erasable syntax only in scripts: no namespaces' },
        { selector: 'TSParameterProperty', message: 'erasable syntax only in scripts: declare the field and assign it' },
        { selector: 'TSImportEqualsDeclaration', message: 'erasable syntax only in scripts: use import' },
      ],
    },
  },
);
