// Anju's service worker. Keeps the app shell (every file of this build) so the app opens
// without a network, and keeps the last answer to each API read so screens already seen
// still show something offline. Writes are never cached: they go through the app's
// IndexedDB outbox, which the page sends when the network returns.
const VERSION = __VERSION__
const PRECACHE = __PRECACHE__
const SHELL = 'anju-shell-' + VERSION
const API = 'anju-api'

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('anju-shell-') && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('message', (event) => {
  // Sign-out: what this user read must not stay on the device.
  if (event.data === 'clear-api-cache') event.waitUntil(caches.delete(API))
})

self.addEventListener('fetch', (event) => {
  const req = event.request
  if (req.method !== 'GET') return
  const url = new URL(req.url)
  if (url.origin !== self.location.origin) return
  if (url.pathname.startsWith('/api/')) {
    if (url.pathname.startsWith('/api/v1/auth/') || url.pathname.startsWith('/api/v1/attachments/')) return
    event.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok) {
            const copy = res.clone()
            caches.open(API).then((c) => c.put(req, copy))
          }
          return res
        })
        .catch(() => caches.open(API).then((c) => c.match(req)).then((hit) => hit || Promise.reject(new TypeError('offline')))),
    )
    return
  }
  if (req.mode === 'navigate') {
    // The app's own routes are all index.html; the network first, so a new build shows.
    event.respondWith(fetch(req).catch(() => caches.open(SHELL).then((c) => c.match('/'))))
    return
  }
  event.respondWith(caches.open(SHELL).then((c) => c.match(req)).then((hit) => hit || fetch(req)))
})
