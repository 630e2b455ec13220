// What each registry record shows in a list, on its page and in its form. The field
// names are the API's, so a validation error's `field` finds its input directly.

export type Kind = 'households' | 'houses' | 'units' | 'officers'

export interface FieldSpec {
  name: string
  type: 'text' | 'number' | 'select' | 'area' | 'tel' | 'unit'
  options?: string[]
  /** The i18n prefix of the options' labels. */
  optionKey?: string
  required?: boolean
}

export const ENUMS = {
  sex: ['male', 'female'],
  vulnerability: ['elderly_alone', 'disabled', 'bedridden', 'pregnant', 'child'],
  poverty: ['none', 'unstable_out_of_poverty', 'marginal_at_risk', 'sudden_hardship'],
  structure: ['reinforced_concrete', 'brick_concrete', 'brick_wood', 'earth_wood', 'stone', 'wood', 'steel', 'other'],
  unitKind: ['department', 'government', 'village_committee', 'response_team'],
  dutyRole: ['leader', 'duty_officer', 'cadre', 'grid_member'],
}

export const LIST_COLUMNS: Record<Kind, string[]> = {
  households: ['head_name', 'address', 'people', 'vulnerable_people', 'phone'],
  houses: ['address', 'structure', 'floors', 'year_built'],
  units: ['name', 'kind', 'area', 'phone'],
  officers: ['name', 'unit_name', 'title', 'phone'],
}

export const FORM_FIELDS: Record<Kind, FieldSpec[]> = {
  households: [
    { name: 'area', type: 'area', required: true },
    { name: 'address', type: 'text', required: true },
    { name: 'head_name', type: 'text', required: true },
    { name: 'phone', type: 'tel' },
    { name: 'poverty_category', type: 'select', options: ENUMS.poverty, optionKey: 'poverty' },
  ],
  houses: [
    { name: 'area', type: 'area', required: true },
    { name: 'address', type: 'text' },
    { name: 'lon', type: 'number', required: true },
    { name: 'lat', type: 'number', required: true },
    { name: 'structure', type: 'select', options: ENUMS.structure, optionKey: 'structure', required: true },
    { name: 'floors', type: 'number', required: true },
    { name: 'rooms', type: 'number' },
    { name: 'year_built', type: 'number' },
  ],
  units: [
    { name: 'name', type: 'text', required: true },
    { name: 'kind', type: 'select', options: ENUMS.unitKind, optionKey: 'unitKind', required: true },
    { name: 'area', type: 'area', required: true },
    { name: 'phone', type: 'tel' },
  ],
  officers: [
    { name: 'name', type: 'text', required: true },
    { name: 'phone', type: 'tel' },
    { name: 'unit_id', type: 'unit', required: true },
    { name: 'title', type: 'text' },
  ],
}

/** The form's starting values from a record (edit) or for a new one in `area`. */
export function initialValues(kind: Kind, record: Record<string, any> | null, area: string): Record<string, any> {
  if (record) {
    const v: Record<string, any> = { ...record }
    if (kind === 'houses') {
      v.lon = record.point?.lon
      v.lat = record.point?.lat
    }
    return v
  }
  const base: Record<string, any> = { area }
  if (kind === 'households') return { ...base, poverty_category: 'none', members: [] }
  if (kind === 'houses') return { ...base, structure: 'brick_concrete', floors: 1 }
  if (kind === 'units') return { ...base, kind: 'village_committee' }
  return { duties: [] }
}

/** The body to send: only input fields, empty strings as absent. */
export function toInput(kind: Kind, v: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of FORM_FIELDS[kind]) {
    let x = v[f.name]
    if (x === '' || x === undefined) x = null
    if (f.type === 'number' && x !== null) x = Number(x)
    out[f.name] = x
  }
  if (kind === 'households') {
    out.members = (v.members ?? []).map((m: any) => ({
      name: m.name ?? '',
      sex: m.sex ?? 'male',
      birth_date: m.birth_date ?? '',
      id_number: m.id_number || null,
      relation: m.relation || null,
      vulnerabilities: m.vulnerabilities ?? [],
    }))
  }
  if (kind === 'officers') {
    out.duties = (v.duties ?? []).map((d: any) => ({ area: d.area, role: d.role, shifts: d.shifts ?? [] }))
  }
  if (v.id && !v.created_at) out.id = v.id
  return out
}
