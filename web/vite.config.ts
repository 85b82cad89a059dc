/// <reference types="vitest/config" />
// Vite builds the dashboard into dist/ (embedded by certctl-server's build.rs); vitest runs the
// unit and component tests in jsdom. JSX uses React's automatic runtime through esbuild, so no
// React plugin is needed.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022', chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': 'http://127.0.0.1:8443' } },
  test: { environment: 'jsdom', include: ['src/**/*.test.{ts,tsx}'] },
});
