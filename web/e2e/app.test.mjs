// The app in Debian's Chromium against a real `anju demo` (2,000 households, SQLite).
// Each test fails on a console error or a missing translation (harness.openPage).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { apiGet, launch, openPage, PHONE, shot, signIn, startServer, token } from './harness.mjs'

let server
let browser

before(async () => {
  ;[server, browser] = await Promise.all([startServer({ db: process.env.ANJU_E2E_DB }), launch()])
})
after(async () => {
  await browser?.close()
  await server?.stop()
})

describe('sign-in and the area navigator', () => {
  it('a village user sees only their village and cannot go above it', async () => {
    const p = await openPage(browser)
    try {
      await signIn(p.page, server.base, 'dongfang')
      await p.page.waitForURL(/\/overview\/500101001001$/)
      await p.page.getByTestId('overview-title').waitFor()
      assert.match(await p.page.getByTestId('overview-title').innerText(), /东方广场社区/)
      // The breadcrumbs start at the village: nothing above it is offered.
      assert.equal(await p.page.locator('.crumbs li').count(), 1)
      await p.page.locator('[data-testid=area-map][data-drawn="500101001001"]').waitFor()
      await shot(p.page, 'overview-village-houses')
      // A link above the user's area is moved down to it.
      await p.page.goto(`${server.base}/overview/50`)
      await p.page.waitForURL(/\/overview\/500101001001$/)
      // Household lookup in the village.
      await p.page.goto(`${server.base}/registry/households?area=500101001001`)
      await p.page.getByTestId('record-table').waitFor()
      assert.ok((await p.page.locator('[data-testid=record-table] tbody tr').count()) > 0)
      p.check()
    } finally {
      await p.close()
    }
  })

  it('a city user drills down on the map: city › district › town', async () => {
    const p = await openPage(browser)
    try {
      await signIn(p.page, server.base, 'city')
      await p.page.waitForURL(/\/overview\/50$/)
      const map = p.page.locator('[data-testid=area-map][data-drawn="50"]')
      await map.waitFor()
      await p.page.waitForTimeout(600) // the map's entry animation
      await shot(p.page, 'overview-city')
      // 万州区's seat, clicked on the canvas.
      const [x, y] = await map.evaluate((el) => el.anjuPixel(108.408661, 30.807667))
      const box = await map.boundingBox()
      await p.page.mouse.click(box.x + x, box.y + y)
      await p.page.waitForURL(/\/overview\/500101$/)
      const district = p.page.locator('[data-testid=area-map][data-drawn="500101"]')
      await district.waitFor()
      assert.match(await p.page.getByTestId('overview-title').innerText(), /万州区/)
      await p.page.waitForTimeout(600)
      await shot(p.page, 'overview-district')
      // The child table sorts by each column.
      await p.page.getByTestId('sort-households').click()
      const first = await p.page.locator('table tbody tr:first-child td:nth-child(2)').innerText()
      await p.page.getByTestId('sort-households').click()
      const firstAsc = await p.page.locator('table tbody tr:first-child td:nth-child(2)').innerText()
      assert.ok(Number(first.replace(/,/g, '')) >= Number(firstAsc.replace(/,/g, '')))
      // A town from the table (keyboard-reachable link), then its breadcrumbs.
      await p.page.getByTestId('child-500101001').click()
      await p.page.waitForURL(/\/overview\/500101001$/)
      await p.page.locator('[data-testid=area-map][data-drawn="500101001"]').waitFor()
      assert.equal(await p.page.locator('.crumbs li').count(), 4) // 3 areas + the child picker
      await p.page.locator('.crumbs a', { hasText: '重庆市' }).click()
      await p.page.waitForURL(/\/overview\/50$/)
      p.check()
    } finally {
      await p.close()
    }
  })

  it('an expired session goes to sign-in and comes back to where it was', async () => {
    const p = await openPage(browser, { allow: [/status of 401/] })
    try {
      await signIn(p.page, server.base, 'wanzhou')
      await p.page.getByTestId('overview-title').waitFor()
      // End the session behind the app's back, as a revoke or expiry would.
      await p.page.evaluate(() => fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'x-csrf-token': localStorage.getItem('anju.csrf') } }))
      await p.page.goto(`${server.base}/registry/houses?area=500101`)
      await p.page.waitForURL(/\/signin\?/)
      await p.page.getByTestId('expired').waitFor()
      await p.page.getByTestId('username').fill('wanzhou')
      await p.page.getByTestId('password').fill('district-demo-2023')
      await p.page.getByTestId('signin').click()
      await p.page.waitForURL(/\/registry\/houses\?area=500101$/)
      await p.page.getByTestId('record-table').waitFor()
      // Sign out ends it for real.
      await p.page.getByTestId('sign-out').click()
      await p.page.waitForURL(/\/signin/)
      p.check()
    } finally {
      await p.close()
    }
  })
})

describe('registry', () => {
  it('shows the server’s validation errors beside the fields', async () => {
    const p = await openPage(browser, { allow: [/status of 422/] })
    try {
      await signIn(p.page, server.base, 'gaosuntang')
      await p.page.goto(`${server.base}/registry/households?area=500101001`)
      await p.page.getByTestId('record-table').waitFor()
      await shot(p.page, 'registry-households')
      await p.page.getByTestId('new-households').click()
      await p.page.getByTestId('input-area').fill('500101001001')
      await p.page.getByTestId('input-address').fill('东方广场社区 3 组 12 号')
      await p.page.getByTestId('input-head_name').fill('张建国')
      await p.page.getByTestId('input-phone').fill('1381234')
      await p.page.getByTestId('add-member').click()
      await p.page.getByTestId('member-0-name').fill('张建国')
      await p.page.getByTestId('member-0-birth_date').fill('2090-03-04')
      await p.page.getByTestId('save').click()
      const phoneError = p.page.getByTestId('error-phone')
      await phoneError.waitFor()
      assert.match(await phoneError.innerText(), /手机号/)
      await p.page.getByTestId('error-members[0].birth_date').waitFor()
      await shot(p.page, 'registry-household-errors')
      // Corrected, it saves and opens the new record.
      await p.page.getByTestId('input-phone').fill('13812345678')
      await p.page.getByTestId('member-0-birth_date').fill('1960-03-04')
      await p.page.getByTestId('save').click()
      await p.page.waitForURL(/\/registry\/households\/[0-9a-f-]{36}$/)
      assert.match(await p.page.getByTestId('record-title').innerText(), /张建国/)
      p.check()
    } finally {
      await p.close()
    }
  })

  it('pages and searches', async () => {
    const p = await openPage(browser)
    try {
      await signIn(p.page, server.base, 'city')
      await p.page.goto(`${server.base}/registry/households?area=500101`)
      await p.page.getByTestId('record-table').waitFor()
      const firstPage = await p.page.locator('[data-testid=record-table] tbody tr:first-child').innerText()
      await p.page.getByTestId('next-page').click()
      await p.page.waitForURL(/cursor=/)
      await p.page.waitForFunction((t) => document.querySelector('[data-testid=record-table] tbody tr')?.textContent !== t, firstPage)
      await p.page.getByTestId('search').fill('王')
      await p.page.getByTestId('search').press('Enter')
      await p.page.waitForURL(/q=/)
      await p.page.getByTestId('record-table').waitFor()
      for (const row of await p.page.locator('[data-testid=record-table] tbody tr').allInnerTexts()) assert.match(row, /王/)
      p.check()
    } finally {
      await p.close()
    }
  })
})

describe('language', () => {
  it('switches, is remembered, and keeps area names in Chinese', async () => {
    const p = await openPage(browser)
    try {
      await signIn(p.page, server.base, 'wanzhou')
      await p.page.getByTestId('overview-title').waitFor()
      assert.equal(await p.page.getByTestId('nav-inbox').innerText(), '待办')
      await p.page.getByTestId('locale').selectOption('en')
      await p.page.waitForFunction(() => document.querySelector('[data-testid=nav-inbox]')?.textContent?.trim() === 'Inbox')
      assert.match(await p.page.getByTestId('overview-title').innerText(), /万州区 Wanzhou District · Overview/)
      await p.page.reload()
      await p.page.getByTestId('overview-title').waitFor()
      assert.equal((await p.page.getByTestId('nav-inbox').innerText()).trim(), 'Inbox')
      assert.equal(await p.page.evaluate(() => document.documentElement.lang), 'en')
      await shot(p.page, 'overview-district-en')
      p.check()
    } finally {
      await p.close()
    }
  })
})

export { server, browser, apiGet, token, PHONE }
