import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/admin/index.ts', 'src/cli/main.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/admin/index.ts'] },
  target: 'node20',
  clean: true,
  sourcemap: true,
});
