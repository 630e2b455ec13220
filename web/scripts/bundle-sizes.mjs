// The JavaScript a route needs, gzip-compressed: the entry, the route's chunk and every
// chunk they import statically (plus named lazy parts a screen always shows, like the
// overview's map). Reads Vite's manifest from dist/.vite/manifest.json.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const dist = new URL('../dist/', import.meta.url)
const manifest = JSON.parse(readFileSync(new URL('.vite/manifest.json', dist), 'utf8'))

function closure(keys) {
  const seen = new Set()
  const walk = (k) => {
    if (seen.has(k)) return
    seen.add(k)
    for (const i of manifest[k]?.imports ?? []) walk(i)
  }
  keys.forEach(walk)
  return [...seen]
}

const gz = (file) => gzipSync(readFileSync(new URL(file, dist)), { level: 9 }).length

function size(keys) {
  const files = new Set(closure(keys).map((k) => manifest[k].file).filter((f) => f.endsWith('.js')))
  return { files: files.size, gzip: [...files].reduce((n, f) => n + gz(f), 0) }
}

const entry = Object.keys(manifest).find((k) => manifest[k].isEntry)
const routes = {
  'phone inbox': [entry, 'src/views/items/InboxView.vue'],
  'item detail': [entry, 'src/views/items/ItemDetail.vue'],
  'report filing (with map)': [entry, 'src/views/items/ReportForm.vue', 'src/components/PointPicker.vue'],
  'overview with map and charts': [entry, 'src/views/OverviewView.vue', 'src/components/AreaMap.vue'],
  'recovery overview (with map)': [entry, 'src/views/recovery/RecoveryOverview.vue', 'src/components/AreaMap.vue'],
  'damage map': [entry, 'src/views/recovery/DamageMapView.vue', 'src/components/DamageChart.vue'],
  'assessment form (phone)': [entry, 'src/views/recovery/AssessForm.vue'],
  'case detail': [entry, 'src/views/recovery/CaseDetail.vue'],
}
const limits = {
  'phone inbox': 200 * 1024,
  'overview with map and charts': 600 * 1024,
  'recovery overview (with map)': 600 * 1024,
  'damage map': 600 * 1024,
  // Opened on a phone in the field like the inbox: no chart code until the map is asked for.
  'assessment form (phone)': 200 * 1024,
}
let failed = false
for (const [name, keys] of Object.entries(routes)) {
  const s = size(keys)
  const limit = limits[name]
  const ok = !limit || s.gzip <= limit
  if (!ok) failed = true
  console.log(`${name.padEnd(30)} ${(s.gzip / 1024).toFixed(1).padStart(7)} KB gzip in ${s.files} files${limit ? ` (limit ${limit / 1024} KB${ok ? '' : ', OVER'})` : ''}`)
}
process.exit(failed ? 1 : 0)
