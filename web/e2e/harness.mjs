// What every browser test needs: a real `anju demo` server on a free loopback port,
// Debian's Chromium driven by playwright-core (no browser download), and a page that
// fails its test on any console error or missing translation.

import { spawn } from 'node:child_process'
import { mkdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

const here = new URL('.', import.meta.url).pathname
export const SCREENSHOTS = resolve(here, process.env.ANJU_E2E_SCREENSHOTS ?? 'screenshots')
const repo = resolve(here, '../..')

export const CHROMIUM = process.env.ANJU_CHROMIUM ?? '/usr/bin/chromium'
// Without the background-networking flags Chromium keeps calling home, which the
// closed network refuses; the test must not depend on any outside address.
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]

export const ACCOUNTS = {
  admin: 'admin-demo-2023', city: 'city-demo-2023', wanzhou: 'district-demo-2023',
  gaosuntang: 'town-demo-2023', dongfang: 'village-demo-2023', viewer: 'viewer-demo-2023',
}

function anjuBinary() {
  if (process.env.ANJU_BIN) return process.env.ANJU_BIN
  const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target')
  for (const p of [join(target, 'debug/anju'), join(target, 'release/anju')]) if (existsSync(p)) return p
  throw new Error('no anju binary: run `cargo build -p anju-cli` (after `npm run build`) or set ANJU_BIN')
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
    s.on('error', rej)
  })
}

/** Starts `anju demo` with small data; `db` defaults to a fresh SQLite file. */
export async function startServer({ db, households = 2000 } = {}) {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'anju-e2e-'))
  const url = db ?? `sqlite:${join(dir, 'demo.sqlite')}`
  const child = spawn(anjuBinary(), ['demo', '--households', String(households), '--db', url, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ANJU_LOG: 'warn' },
  })
  let log = ''
  child.stderr.on('data', (d) => (log += d))
  await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`anju demo did not start in 180 s:\n${log}`)), 180_000)
    child.stdout.on('data', (d) => {
      log += d
      if (log.includes('Anju is serving')) {
        clearTimeout(timer)
        res()
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`anju demo exited with ${code}:\n${log}`))
    })
  })
  const base = `http://127.0.0.1:${port}`
  return {
    base,
    log: () => log,
    async stop() {
      child.kill('SIGTERM')
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function launch() {
  // launch() gives every run a fresh temporary profile (user-data-dir).
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
}

export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }

/**
 * A page whose console errors, uncaught exceptions and missing translations are
 * collected; `check()` fails the test if there were any (except those `allow` names).
 */
export async function openPage(browser, { locale = 'zh-CN', allow = [], ...options } = {}) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 }, ...options })
  const page = await context.newPage()
  const problems = []
  page.on('console', (m) => {
    if (m.type() === 'error' && !allow.some((re) => re.test(m.text()))) problems.push(`console: ${m.text()} @ ${m.location().url}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  return {
    page,
    context,
    problems,
    allow: (re) => allow.push(re),
    check() {
      if (problems.length) throw new Error(`the page reported problems:\n${problems.join('\n')}`)
    },
    close: () => context.close(),
  }
}

export async function signIn(page, base, user) {
  await page.goto(`${base}/signin`)
  await page.getByTestId('username').fill(user)
  await page.getByTestId('password').fill(ACCOUNTS[user] ?? FIELD_PASSWORD)
  await page.getByTestId('signin').click()
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'))
}

export async function shot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false })
}

/** A bearer token for checking what the server holds, outside the browser. */
export async function token(base, user) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password: ACCOUNTS[user] ?? FIELD_PASSWORD }),
  })
  if (!r.ok) throw new Error(`login ${user}: ${r.status}`)
  return (await r.json()).token
}

export async function apiGet(base, tok, path) {
  const r = await fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${tok}` } })
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`)
  return r.json()
}

export async function apiPost(base, tok, path, body, headers = {}) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`)
  return r.json()
}

/** A small JPEG made by the browser itself, for photo uploads. */
export async function photoFile(page) {
  const b64 = await page.evaluate(async () => {
    const c = document.createElement('canvas')
    c.width = 2400
    c.height = 1800
    const g = c.getContext('2d')
    g.fillStyle = '#5a7'
    g.fillRect(0, 0, 2400, 1800)
    g.fillStyle = '#c33'
    g.fillRect(600, 400, 900, 700)
    const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.9))
    const buf = new Uint8Array(await blob.arrayBuffer())
    let s = ''
    for (const x of buf) s += String.fromCharCode(x)
    return btoa(s)
  })
  return { name: 'damage.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') }
}

const FIELD_PASSWORD = 'e2e-field-password'
export const passwordOf = (user) => ACCOUNTS[user] ?? FIELD_PASSWORD

/**
 * The district and town accounts that act on items. An item's owner and verifier are
 * units, and an account acts for a unit only through its officer record; when the demo's
 * `wanzhou` and `gaosuntang` have none, an admin adds accounts that do (万州区人民政府 and
 * 高笋塘街道办事处), so the test exercises the same rules either way.
 */
const fieldAccountsMade = new Map()
export function fieldAccounts(base) {
  if (!fieldAccountsMade.has(base)) fieldAccountsMade.set(base, makeFieldAccounts(base))
  return fieldAccountsMade.get(base)
}

async function makeFieldAccounts(base) {
  const out = {}
  const admin = await token(base, 'admin')
  for (const [name, role, area, kind] of [['wanzhou', 'district', '500101', 'government'], ['gaosuntang', 'town', '500101001', 'government']]) {
    const me = await apiGet(base, await token(base, name), '/auth/me')
    if (me.user.officer_id) {
      out[role] = name
      continue
    }
    const units = (await apiGet(base, admin, `/units?area=${area}&limit=20`)).items.filter((u) => u.area === area && u.kind === kind)
    let officer = null
    for (const u of units) {
      const officers = (await apiGet(base, admin, `/officers?area=${area}&limit=200`)).items
      officer = officers.find((o) => o.unit_id === u.id)
      if (officer) break
    }
    if (!officer) throw new Error(`no officer in a ${kind} unit of ${area}`)
    const username = `e2e_${role}`
    await apiPost(base, admin, '/users', { username, password: FIELD_PASSWORD, role, area, officer_id: officer.id })
    out[role] = username
  }
  return out
}
