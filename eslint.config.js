// typescript-eslint's type-checked recommendations, and no import cycles:
// the data path (browser -> gateway -> Redis -> worker -> sshd) reads one
// way, and `shared/` imports nothing from the services.
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-artifacts/', '.bench-results/', 'scripts/', 'eslint.config.js', 'vitest.config.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    // Sources import `./module.js`; the file on disk is `module.ts`.
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // In-memory stand-ins of async interfaces (the all-in-one bus, store,
      // placement) are `async` without awaiting so that what they throw
      // arrives as a rejection, as it does from their Redis counterparts.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // vitest types its asymmetric matchers (expect.stringMatching, expect.any) as `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
