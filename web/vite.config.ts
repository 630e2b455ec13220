import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

// The service worker needs the exact list of built files to keep the app shell offline;
// only the bundle knows their hashed names, so it is written here from a template.
function serviceWorker(): Plugin {
  return {
    name: 'anju-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((f) => !f.endsWith('.map'))
      const template = readFileSync(new URL('./sw/service-worker.js', import.meta.url), 'utf8')
      const version = Date.now().toString(36)
      const source = template
        .replace('__PRECACHE__', JSON.stringify(['/', ...files.map((f) => '/' + f), '/icon.svg', '/manifest.webmanifest']))
        .replace('__VERSION__', JSON.stringify(version))
      this.emitFile({ type: 'asset', fileName: 'sw.js', source })
    },
  }
}

// The server embeds dist/ and sends these twins to browsers that accept gzip, so a phone
// on a slow link downloads the compressed size; no compression at run time.
function gzipTwins(): Plugin {
  let outDir = 'dist'
  return {
    name: 'anju-gzip-twins',
    apply: 'build',
    configResolved(c) {
      outDir = c.build.outDir
    },
    closeBundle() {
      const walk = (dir: string) => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name)
          if (statSync(p).isDirectory()) walk(p)
          else if (/\.(js|css|html|json|svg|webmanifest)$/.test(name) && statSync(p).size > 1024) {
            writeFileSync(p + '.gz', gzipSync(readFileSync(p), { level: 9 }))
          }
        }
      }
      walk(outDir)
    },
  }
}

export default defineConfig({
  plugins: [vue(), serviceWorker(), gzipTwins()],
  define: {
    __VUE_OPTIONS_API__: false,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __INTLIFY_JIT_COMPILATION__: true,
    __INTLIFY_DROP_MESSAGE_COMPILER__: false,
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    manifest: true,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
} as any)
