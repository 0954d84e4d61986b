import { defineConfig } from 'vite';

// A static build the gateway serves at /app (gateway/src/routes/dashboard.ts): every asset
// under /app/assets with a content hash in its name (cached for a year), index.html not cached.
export default defineConfig({
  base: '/app/',
  // Preact's automatic JSX runtime, without a plugin (Vite's own transform does JSX).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline module-preload polyfill script: the CSP allows no inline script.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
