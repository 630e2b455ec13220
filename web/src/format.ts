// Numbers, dates and area names for the current locale. Area names stay in Chinese
// characters in every language (they are the official names); English adds its
// transliteration beside them.

export type Locale = 'zh-CN' | 'en'

const numberFormats = new Map<string, Intl.NumberFormat>()

export function formatNumber(n: number | null | undefined, locale: Locale): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '–'
  let f = numberFormats.get(locale)
  if (!f) {
    f = new Intl.NumberFormat(locale)
    numberFormats.set(locale, f)
  }
  return f.format(n)
}

export function formatDateTime(iso: string | null | undefined, locale: Locale, timeZone = 'Asia/Shanghai'): string {
  if (!iso) return '–'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d)
}

export function formatDate(iso: string | null | undefined, locale: Locale, timeZone = 'Asia/Shanghai'): string {
  if (!iso) return '–'
  // A bare date (birth dates) is a calendar day, not a moment: no time zone shift.
  const bare = /^\d{4}-\d{2}-\d{2}$/.test(iso)
  const d = new Date(bare ? iso + 'T00:00:00Z' : iso)
  if (Number.isNaN(d.getTime())) return iso
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: bare ? 'UTC' : timeZone }).format(d)
}

export function formatBytes(n: number, locale: Locale): string {
  if (n < 1024) return `${formatNumber(n, locale)} B`
  if (n < 1024 * 1024) return `${formatNumber(Math.round(n / 102.4) / 10, locale)} KB`
  return `${formatNumber(Math.round(n / 104857.6) / 10, locale)} MB`
}

export interface Named {
  name_zh: string
  name_en?: string | null
}

/** `万州区` in Chinese, `万州区 Wanzhou District` in English. */
export function areaName(a: Named | null | undefined, locale: Locale): string {
  if (!a) return ''
  if (locale === 'en' && a.name_en) return `${a.name_zh} ${a.name_en}`
  return a.name_zh
}

/** The level below a code's: `50` → district and so on; village has none. */
export function levelOf(code: string): 'city' | 'district' | 'town' | 'village' {
  switch (code.length) {
    case 2:
      return 'city'
    case 6:
      return 'district'
    case 9:
      return 'town'
    default:
      return 'village'
  }
}

/** The codes from the municipality down to `code`: `500101001` → 50, 500101, 500101001. */
export function ancestry(code: string): string[] {
  return [2, 6, 9, 12].filter((n) => n <= code.length).map((n) => code.slice(0, n))
}

/** True when `code` is `root` or inside its subtree. */
export function within(code: string, root: string): boolean {
  return code.startsWith(root)
}

/** CSV text (RFC 4180) with a BOM, so spreadsheet programs read Chinese correctly. */
export function toCsv(rows: (string | number | null | undefined)[][]): string {
  const cell = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined ? '' : String(v)
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return '\ufeff' + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'
}

/** The codes shown as breadcrumbs for `code`, starting at the user's `home`. */
export function crumbs(code: string, home: string): string[] {
  return ancestry(code).filter((c) => c.length >= home.length && code.startsWith(home))
}
