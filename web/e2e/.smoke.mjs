import { chromium } from 'playwright-core'
const base = process.argv[2]
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })
const page = await ctx.newPage()
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log('CONSOLE', m.type(), m.text()) })
page.on('pageerror', (e) => console.log('PAGEERROR', e.message))
await page.goto(base + '/')
await page.fill('[data-testid=username]', process.argv[3] ?? 'city')
await page.fill('[data-testid=password]', process.argv[4] ?? 'city-demo-2023')
await page.click('[data-testid=signin]')
await page.waitForSelector('[data-testid=overview-title]')
await page.waitForTimeout(2500)
await page.screenshot({ path: '/tmp/anju-web/s1.png' })
for (const p of (process.argv[5] ?? '').split(',').filter(Boolean)) {
  await page.goto(base + p)
  await page.waitForTimeout(2500)
  await page.screenshot({ path: `/tmp/anju-web/s-${p.replace(/\W/g, '_')}.png` })
}
await browser.close()
