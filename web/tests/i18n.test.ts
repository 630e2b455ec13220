import { describe, expect, it } from 'vitest'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import enMain from '../src/i18n/en'
import zhMain from '../src/i18n/zh-CN'
import enRecovery from '../src/i18n/recovery.en'
import zhRecovery from '../src/i18n/recovery.zh-CN'

// The recovery screens' messages are loaded with them and merged (loadRecoveryMessages).
const en = { ...enMain, ...enRecovery }
const zh = { ...zhMain, ...zhRecovery }

function keys(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]))
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? walk(p) : /\.(vue|ts)$/.test(n) ? [p] : []
  })
}

describe('translations', () => {
  it('both languages have the same keys', () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort())
  })

  it('no message is empty', () => {
    for (const m of [en, zh]) {
      const flat = keys(m)
      for (const k of flat) {
        const v = k.split('.').reduce<any>((o, p) => o[p], m)
        expect(String(v).trim(), k).not.toBe('')
      }
    }
  })

  it('every literal key used in the code exists', () => {
    const known = new Set(keys(zh))
    const missing: string[] = []
    for (const f of walk(new URL('../src', import.meta.url).pathname)) {
      const src = readFileSync(f, 'utf8')
      for (const m of src.matchAll(/\bt\('([a-zA-Z][\w.-]*)'/g)) if (!known.has(m[1])) missing.push(`${f}: ${m[1]}`)
    }
    expect(missing).toEqual([])
  })

  it('has a label for every item state, action and report category the API names', () => {
    for (const s of ['assigned', 'accepted', 'in_progress', 'submitted', 'returned', 'verified', 'cancelled']) expect(zh.state).toHaveProperty(s)
    for (const a of ['accept', 'start', 'submit', 'return', 'verify', 'cancel', 'reassign', 'split']) expect(zh.action).toHaveProperty(a)
    for (const c of ['landslide_sign', 'flooded_road', 'damaged_house', 'missing_person', 'other']) expect(zh.category).toHaveProperty(c)
  })

  it('keeps the recovery messages apart from the entry’s, with the same keys in both languages', () => {
    expect(keys(enRecovery).sort()).toEqual(keys(zhRecovery).sort())
    for (const k of Object.keys(enRecovery)) expect(enMain, k).not.toHaveProperty(k)
    for (const g of ['A', 'B', 'C', 'D', 'inaccessible']) {
      expect(zhRecovery.grade).toHaveProperty(g)
      expect(zhRecovery.gradeHint).toHaveProperty(g)
    }
    for (const s of ['planned', 'funded', 'under_construction', 'completed', 'accepted', 'moved_in']) expect(zhRecovery.stage).toHaveProperty(s)
  })

  it('Chinese messages are in Chinese', () => {
    expect(zh.nav.inbox).toMatch(/[\u4e00-\u9fff]/)
    expect(en.nav.inbox).not.toMatch(/[\u4e00-\u9fff]/)
  })
})
