import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { describe, expect, it } from 'vitest'
import type { DamagePoint, Figures, RecoveryChild, Schedule } from '../src/api/types'
import {
  assessmentEntry, checkDraft, childRow, damageSeries, daysToTarget, formatShare, formatYuan, gradeBar, gradeColour, GRADE_COLOURS, isLate, mapValues,
  nearest, parseYuan, share, stageDue, stageSteps, todayInChina, type AssessmentDraft,
} from '../src/recovery'
import { Outbox, withPhotoHashes } from '../src/outbox/outbox'
import { openDb } from '../src/outbox/store'

const schedule: Schedule = { funded: '2023-11-02', under_construction: '2023-11-22', completed: '2024-01-21', accepted: '2024-01-31', moved_in: '2024-02-10' }

function figures(over: Partial<Figures> = {}): Figures {
  return {
    houses_assessed: 0, grade: { a: 0, b: 0, c: 0, d: 0, inaccessible: 0 }, rooms_collapsed: 0, rooms_damaged: 0, households_affected: 0, households_collapsed: 0,
    cases: 0, by_plan: { repair: 0, rebuild_in_place: 0, relocate: 0, resettle: 0 },
    by_stage: { planned: 0, funded: 0, under_construction: 0, completed: 0, accepted: 0, moved_in: 0 },
    moved_in: 0, late: 0, funds_approved: 0, funds_released: 0, funds_paid: 0, ...over,
  }
}

const draft = (over: Partial<AssessmentDraft> = {}): AssessmentDraft => ({
  house_id: 'h1', outcome: 'C', rooms_collapsed: '0', rooms_damaged: '2', household_id: '', assessed_on: '2023-07-08', note: '', lon: '', lat: '', answers_appeal: '', ...over,
})

describe('recovery figures', () => {
  it('formats fen as yuan, compact in 万元 for Chinese reports', () => {
    expect(formatYuan(4_000_000, 'zh-CN')).toBe('¥40,000.00')
    expect(formatYuan(4_000_000, 'en')).toBe('¥40,000.00')
    expect(formatYuan(123_456_789_00, 'zh-CN', true)).toBe('12,345.7万元')
    expect(formatYuan(123_456_789_00, 'en', true)).toBe('¥123.5M')
    expect(formatYuan(5_000_00, 'zh-CN', true)).toBe('¥5,000')
    expect(formatYuan(null, 'en')).toBe('–')
    expect(parseYuan('12,000.5')).toBe(1_200_050)
    expect(parseYuan('12.345')).toBeNull()
    expect(parseYuan('abc')).toBeNull()
  })

  it('gives shares with one decimal and none without a whole', () => {
    expect(share(1, 3)).toBe(33.3)
    expect(share(0, 0)).toBeNull()
    expect(formatShare(share(2, 8), 'en')).toBe('25%')
    expect(formatShare(null, 'zh-CN')).toBe('–')
  })

  it('builds child rows and map values', () => {
    const c: RecoveryChild = { code: '500101', name: '万州区', name_en: 'Wanzhou District', level: 'district', lon: 108.4, lat: 30.8,
      figures: figures({ houses_assessed: 40, grade: { a: 10, b: 10, c: 12, d: 8, inaccessible: 0 }, cases: 20, moved_in: 5, late: 4 }) }
    const r = childRow(c, '万州区')
    expect(r).toMatchObject({ houses_assessed: 40, c: 12, d: 8, moved_in_share: 25, late_share: 20 })
    const empty = childRow({ ...c, code: '500102', figures: figures() }, '涪陵区')
    expect(mapValues([r, empty], 'moved_in_share')).toEqual({ '500101': 25, '500102': 0 })
    expect(gradeBar(c.figures).map(([g, n]) => [g, n])).toEqual([['A', 10], ['B', 10], ['C', 12], ['D', 8]])
    expect(gradeBar(figures())).toEqual([])
  })
})

describe('the schedule', () => {
  it('counts days to the target from the server’s today', () => {
    expect(daysToTarget('2023-12-18', '2024-02-10')).toBe(54)
    expect(daysToTarget('2024-02-10', '2024-02-10')).toBe(0)
    expect(daysToTarget('2024-02-13T09:00:00Z', '2024-02-10')).toBe(-3)
  })

  it('is late only once the stage’s milestone has passed', () => {
    expect(stageDue('planned', schedule)).toBe('2023-11-02')
    expect(stageDue('accepted', schedule)).toBe('2024-02-10')
    expect(stageDue('moved_in', schedule)).toBeNull()
    expect(isLate('planned', schedule, '2023-11-02')).toBe(false)
    expect(isLate('planned', schedule, '2023-11-03')).toBe(true)
    expect(isLate('funded', schedule, '2023-11-03')).toBe(false)
    expect(isLate('moved_in', schedule, '2025-01-01')).toBe(false)
  })

  it('shows the six stages as done, current and to do', () => {
    expect(stageSteps('under_construction', schedule).map((s) => s.state)).toEqual(['done', 'done', 'current', 'todo', 'todo', 'todo'])
    expect(stageSteps('moved_in', schedule).every((s) => s.state === 'done')).toBe(true)
    expect(stageSteps('planned', schedule)[5].due).toBe('2024-02-10')
  })
})

describe('the damage map', () => {
  it('colours A green through D dark red, not reached grey', () => {
    expect(gradeColour('A')).toBe(GRADE_COLOURS.A)
    expect(gradeColour('D')).toBe('#8b1a1a')
    expect(gradeColour('inaccessible')).toBe('#9aa0a6')
    expect(gradeColour('unknown')).toBe('#9aa0a6')
    expect(new Set(Object.values(GRADE_COLOURS)).size).toBe(5)
  })

  it('splits pages into one series per grade and keeps the house ids beside the points', () => {
    const items: DamagePoint[] = [['h1', 108.1, 30.1, 'D', 1], ['h2', 108.2, 30.2, 'A', 0], ['h3', 108.3, 30.3, 'D', 0]]
    const s = damageSeries(items)
    expect(s.map((x) => x.grade)).toEqual(['A', 'B', 'C', 'D', 'inaccessible'])
    const d = s.find((x) => x.grade === 'D')!
    expect(d.points).toEqual([[108.1, 30.1], [108.3, 30.3]])
    expect(d.ids).toEqual(['h1', 'h3'])
    expect(d.collapsed).toEqual([1, 0])
  })

  it('handles ten thousand points quickly', () => {
    const items: DamagePoint[] = Array.from({ length: 10_000 }, (_, i) => [`h${i}`, 108 + i / 1e5, 30, (['A', 'B', 'C', 'D', 'inaccessible'] as const)[i % 5], 0])
    const t0 = performance.now()
    const s = damageSeries(items)
    expect(performance.now() - t0).toBeLessThan(200)
    expect(s.reduce((n, x) => n + x.points.length, 0)).toBe(10_000)
  })
})

describe('the assessment form', () => {
  it('finds the houses nearest to the assessor', () => {
    const houses = [
      { id: 'far', point: { lon: 108.5, lat: 30.9 } },
      { id: 'near', point: { lon: 108.4001, lat: 30.8001 } },
      { id: 'mid', point: { lon: 108.41, lat: 30.8 } },
    ]
    const n = nearest(houses, [108.4, 30.8], 2)
    expect(n.map((h) => h.id)).toEqual(['near', 'mid'])
    expect(n[0].distance).toBeGreaterThan(10)
    expect(n[0].distance).toBeLessThan(20)
  })

  it('checks what it can before sending', () => {
    expect(checkDraft(draft(), 4)).toEqual([])
    expect(checkDraft(draft({ house_id: '', outcome: '' }), null).map((e) => e.field)).toEqual(['house_id', 'outcome'])
    expect(checkDraft(draft({ rooms_collapsed: '3', rooms_damaged: '2' }), 4).map((e) => [e.field, e.code])).toEqual([['rooms_damaged', 'more_than_house']])
    expect(checkDraft(draft({ rooms_collapsed: '5', rooms_damaged: '0' }), 4).map((e) => [e.field, e.code])).toEqual([['rooms_collapsed', 'more_than_house']])
    expect(checkDraft(draft({ outcome: 'inaccessible', rooms_collapsed: '0', rooms_damaged: '1' }), null).map((e) => e.code)).toEqual(['not_seen'])
    expect(checkDraft(draft({ outcome: 'inaccessible', rooms_collapsed: '0', rooms_damaged: '0' }), null)).toEqual([])
    expect(checkDraft(draft({ rooms_collapsed: '3', rooms_damaged: '2' }), null)).toEqual([])
    expect(checkDraft(draft({ rooms_collapsed: '-1' }), null).map((e) => e.field)).toEqual(['rooms_collapsed'])
    expect(checkDraft(draft({ outcome: 'B', rooms_collapsed: '1' }), null).map((e) => e.code)).toEqual(['grade_mismatch'])
    expect(checkDraft(draft({ outcome: 'D', rooms_collapsed: '1' }), null)).toEqual([])
    expect(checkDraft(draft({ lon: '108.1' }), null).map((e) => e.field)).toEqual(['lon'])
    expect(checkDraft(draft({ assessed_on: '8/7/2023' }), null).map((e) => e.field)).toEqual(['assessed_on'])
  })

  it('makes an outbox entry whose client id is the assessment’s id, photos into `photos`', () => {
    const e = assessmentEntry('dis1', 'a-1', draft({ lon: '108.1', lat: '30.2', note: '  后墙开裂 ', household_id: 'hh1' }), 'C · 3 组 12 号')
    expect(e).toMatchObject({ id: 'a-1', kind: 'assessment', path: '/disasters/dis1/assessments', photo_field: 'photos' })
    expect(e.body).toEqual({
      id: 'a-1', house_id: 'h1', outcome: 'C', rooms_collapsed: 0, rooms_damaged: 2, assessed_on: '2023-07-08', photos: [], household_id: 'hh1', note: '后墙开裂', lon: 108.1, lat: 30.2,
    })
    const bare = assessmentEntry('dis1', 'a-2', draft({ rooms_collapsed: '', rooms_damaged: '' }), 'x')
    expect(bare.body).not.toHaveProperty('lon')
    expect(bare.body).not.toHaveProperty('note')
    expect(bare.body).toMatchObject({ rooms_collapsed: 0, rooms_damaged: 0 })
    expect(assessmentEntry('d', 'a-3', draft({ answers_appeal: 'item-9' }), 'x').body.answers_appeal).toBe('item-9')
    expect(withPhotoHashes(e.body, ['sha1', 'sha2'], 'photos').photos).toEqual(['sha1', 'sha2'])
    expect(withPhotoHashes({ attachments: ['x'] }, ['y']).attachments).toEqual(['x', 'y'])
  })

  it('keeps an assessment made offline, with its photo field, and sends it once', async () => {
    const db = await openDb(new IDBFactory())
    let online = false
    const sent: { id: string; field?: string; photos: number }[] = []
    const o = new Outbox(db, async (e) => {
      if (!online) return { kind: 'retry', error: 'unreachable' }
      sent.push({ id: e.id, field: e.photo_field, photos: e.photos.length })
      return { kind: 'done' }
    })
    await o.add(assessmentEntry('dis1', 'a-1', draft(), 'C', [new Blob(['jpeg'], { type: 'image/jpeg' })]))
    expect(await o.flush()).toBe(0)
    online = true
    expect(await o.flush()).toBe(1)
    expect(await o.flush()).toBe(0)
    expect(sent).toEqual([{ id: 'a-1', field: 'photos', photos: 1 }])
  })

  it('dates the assessment by the day in China', () => {
    expect(todayInChina(new Date('2023-07-07T17:30:00Z'))).toBe('2023-07-08')
  })
})
