// The recovery screens' own logic, kept out of the components so it can be tested: grade
// colours, money and shares for the locale, the schedule (late, days to the target), the
// rows of the child-area table, the damage map's series and the assessment's outbox entry.

import { GRADES, STAGES, type DamagePoint, type Figures, type Grade, type RecoveryArea, type RecoveryChild, type Schedule, type Stage } from './api/types'
import type { NewEntry } from './outbox/outbox'
import { formatNumber, type Locale } from './format'

// ---- grades ---------------------------------------------------------------------------

/** A (safe) green through D (whole house dangerous) dark red; not reached grey. */
export const GRADE_COLOURS: Record<Grade, string> = {
  A: '#2e9e44',
  B: '#e3b505',
  C: '#ef7d22',
  D: '#8b1a1a',
  inaccessible: '#9aa0a6',
}

export function gradeColour(g: string): string {
  return (GRADE_COLOURS as Record<string, string>)[g] ?? GRADE_COLOURS.inaccessible
}

/** The key of a grade in `Figures.grade`: `A` → `a`. */
export function gradeKey(g: Grade): keyof Figures['grade'] {
  return (g === 'inaccessible' ? 'inaccessible' : g.toLowerCase()) as keyof Figures['grade']
}

/** Houses by grade, as the shares of a bar: `[grade, count, percent]`, grades with none left out. */
export function gradeBar(f: Figures): [Grade, number, number][] {
  const total = GRADES.reduce((n, g) => n + f.grade[gradeKey(g)], 0)
  if (!total) return []
  return GRADES.map((g) => [g, f.grade[gradeKey(g)], (100 * f.grade[gradeKey(g)]) / total] as [Grade, number, number]).filter((x) => x[1] > 0)
}

// ---- numbers --------------------------------------------------------------------------

const money = new Map<string, Intl.NumberFormat>()

/**
 * An amount in fen as yuan for the locale. `compact` shows large sums the way reports do:
 * 万元 in Chinese (1,234.5万元), millions in English (¥12.3M).
 */
export function formatYuan(fen: number | null | undefined, locale: Locale, compact = false): string {
  if (fen === null || fen === undefined || Number.isNaN(fen)) return '–'
  const yuan = fen / 100
  if (compact && Math.abs(yuan) >= 10_000) {
    if (locale === 'zh-CN') return `${formatNumber(Math.round(yuan / 1000) / 10, locale)}万元`
    if (Math.abs(yuan) >= 1_000_000) return `¥${formatNumber(Math.round(yuan / 100_000) / 10, locale)}M`
    return `¥${formatNumber(Math.round(yuan / 100) / 10, locale)}k`
  }
  const key = `${locale}|${compact}`
  let f = money.get(key)
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency: 'CNY', currencyDisplay: 'symbol', minimumFractionDigits: compact ? 0 : 2, maximumFractionDigits: compact ? 0 : 2 })
    money.set(key, f)
  }
  return f.format(yuan).replace('CN¥', '¥')
}

/** `part` of `whole` in percent, one decimal; null when there is no whole. */
export function share(part: number, whole: number): number | null {
  if (!whole) return null
  return Math.round((1000 * part) / whole) / 10
}

export function formatShare(p: number | null, locale: Locale): string {
  return p === null ? '–' : `${formatNumber(p, locale)}%`
}

/** Yuan typed into a form (`12000.5`) as fen; null when it is not an amount. */
export function parseYuan(s: string): number | null {
  const t = s.trim().replace(/[,，\s]/g, '')
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return null
  return Math.round(Number(t) * 100)
}

// ---- the schedule ---------------------------------------------------------------------

const DAY = 86_400_000
const dayNumber = (iso: string) => Math.floor(Date.parse(iso.slice(0, 10) + 'T00:00:00Z') / DAY)

/** Calendar days from `from` to `to` (dates or times; only the date counts). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from)
}

/** Days left to the target; negative once it has passed. */
export function daysToTarget(asOf: string, target: string): number {
  return daysBetween(asOf, target)
}

export function stageIndex(s: Stage): number {
  return STAGES.indexOf(s)
}

/** The stage after `s`, or null after moving in. */
export function nextStage(s: Stage): Exclude<Stage, 'planned'> | null {
  const i = stageIndex(s)
  return i >= 0 && i < STAGES.length - 1 ? (STAGES[i + 1] as Exclude<Stage, 'planned'>) : null
}

/** The milestone a case in stage `s` works to: the date the next stage is due. */
export function stageDue(s: Stage, schedule: Schedule): string | null {
  const n = nextStage(s)
  return n ? schedule[n] : null
}

/** Late: today the case is still in a stage whose milestone has passed (docs/recovery.md). */
export function isLate(s: Stage, schedule: Schedule, today: string): boolean {
  const due = stageDue(s, schedule)
  return due !== null && daysBetween(due, today) > 0
}

export type StepState = 'done' | 'current' | 'todo'

/** The six stages as steps for a case in `s`, each with its milestone date. */
export function stageSteps(s: Stage, schedule: Schedule | null): { stage: Stage; state: StepState; due: string | null }[] {
  const at = stageIndex(s)
  return STAGES.map((stage, i) => ({
    stage,
    state: i < at ? 'done' : i === at ? (stage === 'moved_in' ? 'done' : 'current') : 'todo',
    due: stage === 'planned' || !schedule ? null : schedule[stage as Exclude<Stage, 'planned'>],
  }))
}

// ---- the overview's table and map -----------------------------------------------------

/** A recovery area as the shared helpers name it (name_zh / name_en). */
export const named = (a: RecoveryArea) => ({ name_zh: a.name, name_en: a.name_en })

export interface ChildRow {
  code: string
  name: string
  houses_assessed: number
  c: number
  d: number
  rooms_collapsed: number
  households_affected: number
  cases: number
  moved_in: number
  moved_in_share: number | null
  late: number
  late_share: number | null
  funds_paid: number
}

export function childRow(c: RecoveryChild, name: string): ChildRow {
  const f = c.figures
  return {
    code: c.code,
    name,
    houses_assessed: f.houses_assessed,
    c: f.grade.c,
    d: f.grade.d,
    rooms_collapsed: f.rooms_collapsed,
    households_affected: f.households_affected,
    cases: f.cases,
    moved_in: f.moved_in,
    moved_in_share: share(f.moved_in, f.cases),
    late: f.late,
    late_share: share(f.late, f.cases),
    funds_paid: f.funds_paid,
  }
}

/** What the child-area map can be shaded by. */
export const MAP_FIGURES = ['moved_in_share', 'late', 'late_share', 'houses_assessed', 'cases'] as const
export type MapFigure = (typeof MAP_FIGURES)[number]

/** The map's value per child code (areas with no cases count as 0). */
export function mapValues(rows: ChildRow[], f: MapFigure): Record<string, number> {
  return Object.fromEntries(rows.map((r) => [r.code, r[f] ?? 0]))
}

// ---- the damage map -------------------------------------------------------------------

export interface GradeSeries {
  grade: Grade
  /** `[lon, lat]` per house, the layout ECharts' large scatter draws fastest. */
  points: [number, number][]
  ids: string[]
  collapsed: number[]
}

/** Splits the `/damage` pages into one series per grade (large mode draws one colour per series). */
export function damageSeries(items: DamagePoint[]): GradeSeries[] {
  const by = new Map<Grade, GradeSeries>(GRADES.map((g) => [g, { grade: g, points: [], ids: [], collapsed: [] }]))
  for (const [id, lon, lat, g, collapsed] of items) {
    const s = by.get(g) ?? by.get('inaccessible')!
    s.points.push([lon, lat])
    s.ids.push(id)
    s.collapsed.push(collapsed)
  }
  return [...by.values()]
}

// ---- picking a house ------------------------------------------------------------------

/** Metres between two points (haversine; ample for "which house is near me"). */
export function distanceM(a: [number, number], b: [number, number]): number {
  const rad = Math.PI / 180
  const dLat = (b[1] - a[1]) * rad
  const dLon = (b[0] - a[0]) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2
  return 2 * 6_371_000 * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** The `n` houses nearest to `here`, nearest first, with their distance. */
export function nearest<H extends { point: { lon: number; lat: number } }>(houses: H[], here: [number, number], n = 10): (H & { distance: number })[] {
  return houses
    .map((h) => ({ ...h, distance: distanceM(here, [h.point.lon, h.point.lat]) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, n)
}

// ---- the assessment form --------------------------------------------------------------

export interface AssessmentDraft {
  house_id: string
  outcome: Grade | ''
  rooms_collapsed: string
  rooms_damaged: string
  household_id: string
  assessed_on: string
  note: string
  lon: string
  lat: string
  answers_appeal: string
}

export interface DraftError {
  field: string
  code: string
  message: string
}

const count = (s: string) => (s.trim() === '' ? 0 : /^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN)

/**
 * What the form can check before sending (offline there is no server to ask); the server
 * checks again and its errors land on the same fields.
 */
export function checkDraft(d: AssessmentDraft, rooms: number | null): DraftError[] {
  const out: DraftError[] = []
  const e = (field: string, code: string) => out.push({ field, code, message: '' })
  if (!d.house_id) e('house_id', 'required')
  if (!d.outcome) e('outcome', 'required')
  const rc = count(d.rooms_collapsed)
  const rd = count(d.rooms_damaged)
  if (Number.isNaN(rc)) e('rooms_collapsed', 'out_of_range')
  if (Number.isNaN(rd)) e('rooms_damaged', 'out_of_range')
  if (!Number.isNaN(rc) && !Number.isNaN(rd)) {
    if (rooms !== null && rc + rd > rooms) e(rc > rooms ? 'rooms_collapsed' : 'rooms_damaged', 'more_than_house')
    // The server's rules (anju-core recovery::damage), with its codes.
    if (d.outcome === 'inaccessible' && rc + rd > 0) e('rooms_damaged', 'not_seen')
    if ((d.outcome === 'A' || d.outcome === 'B') && rc > 0) e('rooms_collapsed', 'grade_mismatch')
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d.assessed_on)) e('assessed_on', 'invalid_date')
  const hasLon = d.lon.trim() !== ''
  const hasLat = d.lat.trim() !== ''
  if (hasLon !== hasLat || (hasLon && (!Number.isFinite(Number(d.lon)) || !Number.isFinite(Number(d.lat))))) e('lon', 'invalid_point')
  return out
}

/**
 * The outbox entry for an assessment. The client id is the assessment's id, so a retry
 * after a lost answer finds the first copy (409) instead of making a second; the photos
 * are uploaded first and their hashes go into `photos`.
 */
export function assessmentEntry(disaster: string, id: string, d: AssessmentDraft, label: string, photos: Blob[] = []): NewEntry {
  const body: Record<string, unknown> = {
    id,
    house_id: d.house_id,
    outcome: d.outcome,
    rooms_collapsed: count(d.rooms_collapsed),
    rooms_damaged: count(d.rooms_damaged),
    assessed_on: d.assessed_on,
    photos: [],
  }
  if (d.household_id) body.household_id = d.household_id
  if (d.note.trim()) body.note = d.note.trim()
  if (d.lon.trim() && d.lat.trim()) {
    body.lon = Number(d.lon)
    body.lat = Number(d.lat)
  }
  if (d.answers_appeal) body.answers_appeal = d.answers_appeal
  return { id, kind: 'assessment', label, path: `/disasters/${disaster}/assessments`, body, photos, photo_field: 'photos' }
}

/** Today in China (the calendar day an assessor writes down), as `YYYY-MM-DD`. */
export function todayInChina(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}
