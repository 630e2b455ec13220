import { describe, expect, it } from 'vitest'
import { ancestry, areaName, formatDate, formatDateTime, formatNumber, levelOf, toCsv, within } from '../src/format'
import { fitWithin } from '../src/photo'
import { uuidv7 } from '../src/uuid'
import { crumbs } from '../src/areas'

describe('formatting', () => {
  it('formats numbers per locale', () => {
    expect(formatNumber(1234567, 'en')).toBe('1,234,567')
    expect(formatNumber(1234567, 'zh-CN')).toBe('1,234,567')
    expect(formatNumber(null, 'en')).toBe('–')
  })

  it('formats times in China time, dates as calendar days', () => {
    expect(formatDateTime('2026-12-01T16:30:00Z', 'zh-CN')).toContain('2026')
    expect(formatDateTime('2026-12-01T16:30:00Z', 'zh-CN')).toContain('00:30')
    expect(formatDateTime('2026-12-01T16:30:00Z', 'en')).toMatch(/Dec 2, 2026/)
    expect(formatDate('1960-03-04', 'en')).toBe('Mar 4, 1960')
    expect(formatDate('1960-03-04', 'zh-CN')).toBe('1960年3月4日')
    expect(formatDateTime(null, 'en')).toBe('–')
  })

  it('keeps area names in Chinese in every language', () => {
    const a = { name_zh: '万州区', name_en: 'Wanzhou District' }
    expect(areaName(a, 'zh-CN')).toBe('万州区')
    expect(areaName(a, 'en')).toBe('万州区 Wanzhou District')
  })

  it('walks the code hierarchy and stops at the user’s own area', () => {
    expect(ancestry('500101001001')).toEqual(['50', '500101', '500101001', '500101001001'])
    expect(levelOf('500101001')).toBe('town')
    expect(within('500101001', '500101')).toBe(true)
    expect(within('500102', '500101')).toBe(false)
    expect(crumbs('500101001001', '500101')).toEqual(['500101', '500101001', '500101001001'])
    expect(crumbs('500102', '500101')).toEqual([])
  })

  it('writes CSV that spreadsheets read, Chinese included', () => {
    const csv = toCsv([['区域', 'n'], ['万州区, "北"', 3]])
    expect(csv).toBe('\ufeff区域,n\r\n"万州区, ""北""",3\r\n')
  })

  it('fits photos within the longer edge', () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 1600, height: 1200 })
    expect(fitWithin(800, 600)).toEqual({ width: 800, height: 600 })
    expect(fitWithin(3000, 4000, 1000)).toEqual({ width: 750, height: 1000 })
  })

  it('makes time-ordered v7 ids', () => {
    const a = uuidv7(1_700_000_000_000)
    const b = uuidv7(1_700_000_000_001)
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a < b).toBe(true)
    expect(uuidv7()).not.toBe(uuidv7())
  })
})
