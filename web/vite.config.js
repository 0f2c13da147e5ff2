// Builds the dashboard into web/dist with relative asset paths, so `meg` can serve it at / (or
// under any prefix) with nothing loaded from elsewhere at run time.
// `npm run dev` forwards /api to a running meg: MEG_URL (default http://127.0.0.1:8080).
import { defineConfig } from 'vite';

const api = process.env.MEG_URL || 'http://127.0.0.1:8080';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
  },
  server: { proxy: { '/api': { target: api, changeOrigin: true } } },
  preview: { proxy: { '/api': { target: api, changeOrigin: true } } },
});
