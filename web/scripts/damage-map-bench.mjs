// How the damage map holds up with many houses: the real app in Chromium on a phone
// viewport (4× CPU throttling), signed in as the city, with the `/damage` answers for
// 万州区 replaced by N synthetic houses (default 10,000) spread over the district, so the
// figure does not depend on how many houses the demo assessed. Measures the time from
// navigation to every page drawn, and the frames while the map is panned and zoomed.
//
//   ANJU_BASE=http://127.0.0.1:8080 node web/scripts/damage-map-bench.mjs [houses]
import { chromium } from 'playwright-core'

const base = process.env.ANJU_BASE ?? 'http://127.0.0.1:8080'
const n = Number(process.argv[2] ?? 10_000)
const browser = await chromium.launch({ executablePath: process.env.ANJU_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] })
// The service worker's fetches would bypass the route below.
const context = await browser.newContext({ serviceWorkers: 'block', locale: 'zh-CN', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })
const page = await context.newPage()
const errors = []
page.on('pageerror', (e) => errors.push(e.message))

const login = await context.request.post(`${base}/api/v1/auth/login`, { data: { username: 'city', password: 'city-demo-2023' } })
const me = await login.json()
await context.addInitScript((b) => {
  localStorage.setItem('anju.csrf', b.csrf_token)
  localStorage.setItem('anju.me', JSON.stringify({ user: b.user, permissions: b.permissions }))
}, me)
const disasters = await (await context.request.get(`${base}/api/v1/disasters`)).json()
const disaster = (Array.isArray(disasters) ? disasters : disasters.items)[0]

// N houses in 万州区's box, grades in a flood's proportions, served in pages of 2,000.
let seed = 42
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
const grades = [['A', 0.45], ['B', 0.3], ['C', 0.15], ['D', 0.08], ['inaccessible', 0.02]]
const houses = Array.from({ length: n }, (_, i) => {
  let r = rnd()
  const g = grades.find(([, p]) => (r -= p) < 0)?.[0] ?? 'A'
  return [`00000000-0000-7000-8000-${String(i).padStart(12, '0')}`, 108.1 + rnd() * 0.7, 30.45 + rnd() * 0.6, g, g === 'D' && rnd() < 0.5 ? 1 : 0]
})
await page.route(/\/api\/v1\/disasters\/[^/]+\/damage/, (route) => {
  const u = new URL(route.request().url())
  const from = Number(u.searchParams.get('cursor') ?? 0)
  const limit = Number(u.searchParams.get('limit') ?? 1000)
  const items = houses.slice(from, from + limit)
  route.fulfill({ contentType: 'application/json', body: JSON.stringify({ items, next_cursor: from + limit < n ? String(from + limit) : null }) })
})

const cdp = await context.newCDPSession(page)
const rate = Number(process.env.CPU ?? 4)
await cdp.send('Emulation.setCPUThrottlingRate', { rate })
const t0 = Date.now()
await page.goto(`${base}/recovery/${disaster.id}/500101/damage`)
await page.waitForFunction((k) => Number(document.querySelector('[data-testid=damage-map]')?.dataset.points) === k, n, { timeout: 120_000 })
const loaded = Date.now() - t0

// Frames while the user pans and zooms for about two seconds.
const box = await page.getByTestId('damage-map').boundingBox()
await page.evaluate(() => {
  window.__frames = []
  let last = performance.now()
  const tick = (t) => {
    window.__frames.push(t - last)
    last = t
    if (window.__frames.length < 100000) window.__raf = requestAnimationFrame(tick)
  }
  window.__raf = requestAnimationFrame(tick)
})
const cx = box.x + box.width / 2
const cy = box.y + box.height / 2
for (let i = 0; i < 6; i++) {
  await page.mouse.move(cx, cy)
  await page.mouse.down()
  for (let s = 0; s < 10; s++) await page.mouse.move(cx + (i % 2 ? -1 : 1) * s * 8, cy + s * 4)
  await page.mouse.up()
  await page.mouse.wheel(0, i < 3 ? -200 : 200)
}
const frames = await page.evaluate(() => {
  cancelAnimationFrame(window.__raf)
  return window.__frames.slice(1)
})
frames.sort((a, b) => a - b)
const q = (p) => Math.round(frames[Math.min(frames.length - 1, Math.floor(p * frames.length))])
console.log(JSON.stringify({ houses: n, cpu: `${rate}x`, loaded_and_drawn_ms: loaded, frames: frames.length, frame_p50_ms: q(0.5), frame_p95_ms: q(0.95), frame_max_ms: Math.round(frames[frames.length - 1]), page_errors: errors }))
await browser.close()
