import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The runtime layer is the only importer of onnxruntime-node (DESIGN.md).
      'no-restricted-imports': ['error', { paths: [{ name: 'onnxruntime-node', message: 'Import onnxruntime-node only in src/runtime/.' }] }],
    },
  },
  { files: ['src/runtime/**'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['scripts/**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
