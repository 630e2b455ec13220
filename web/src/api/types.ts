// The shapes the API returns (see /api/v1/openapi.json, generated from the server).

export type Role = 'admin' | 'city' | 'district' | 'town' | 'village' | 'viewer'
export type AreaLevel = 'city' | 'district' | 'town' | 'village'

export interface User {
  id: string
  username: string
  role: Role
  area: string
  officer_id: string | null
  disabled: boolean
}

export interface Me {
  user: User
  permissions: string[]
}

export interface LoginResponse extends Me {
  token: string
  csrf_token: string
  expires_at: string
}

export interface GeoPoint {
  lon: number
  lat: number
}

export interface Area {
  code: string
  level: AreaLevel
  parent: string | null
  name_zh: string
  name_en: string
  point: GeoPoint | null
  point_approximate: boolean
  children: number
  households: number
  people: number
  vulnerable_people: number
  supervising_unit: { id: string; name: string } | null
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface Member {
  name: string
  sex: string
  birth_date: string
  id_number: string | null
  relation: string | null
  vulnerabilities: string[]
}

export interface Household {
  id: string
  area: string
  address: string
  head_name: string
  phone: string | null
  responsible_officer_id: string | null
  grid_officer_id: string | null
  poverty_category: string
  people: number
  vulnerable_people: number
  members: Member[]
  created_at: string
  updated_at: string
  archived_at: string | null
}

export interface House {
  id: string
  area: string
  address: string
  point: GeoPoint
  structure: string
  floors: number
  rooms: number | null
  year_built: number | null
  owner_household_id: string | null
  created_at: string
  updated_at: string
}

export interface Unit {
  id: string
  name: string
  kind: string
  area: string
  phone: string | null
  created_at: string
  updated_at: string
}

export interface Officer {
  id: string
  name: string
  phone: string | null
  unit_id: string
  unit_name: string
  area: string
  title: string | null
  duties: { area: string; role: string; shifts: { starts_at: string; ends_at: string }[] }[]
  grid_households: number
  created_at: string
  updated_at: string
}

export type ItemState = 'assigned' | 'accepted' | 'in_progress' | 'submitted' | 'returned' | 'verified' | 'cancelled'
export const ITEM_STATES: ItemState[] = ['assigned', 'accepted', 'in_progress', 'submitted', 'returned', 'verified', 'cancelled']

export interface Attachment {
  hash: string
  content_type: string
  size: number
  name?: string | null
}

export interface Item {
  id: string
  parent_id: string | null
  kind: string
  source: string
  source_ref: string | null
  title: string
  description: string | null
  area: string
  area_name: string
  owner_unit_id: string | null
  owner_unit_name: string | null
  owner_officer_id: string | null
  verifier_unit_id: string | null
  verifier_unit_name: string | null
  priority: string
  due_at: string | null
  state: ItemState
  overdue: boolean
  escalation_level: number
  children_total: number
  children_closed: number
  attachments: Attachment[]
  allowed: string[]
  created_at: string
  updated_at: string
}

export interface ItemEvent {
  seq: number
  at: string
  actor_user_id: string | null
  actor_name: string | null
  /** create, accept, start, submit, return, verify, cancel, reassign, split, child_closed, remind, escalate */
  kind: string
  from_state: string | null
  to_state: string | null
  note: string | null
  attachments: (Attachment | string)[]
}

export interface ItemDetail extends Item {
  events: ItemEvent[]
  children: Item[]
}

export interface Report {
  id: string
  category: string
  area: string
  area_name: string
  lon: number
  lat: number
  description: string
  attachments: (Attachment | string)[]
  status: string
  created_at: string
  triage_note: string | null
  merged_into: string | null
  item_ids: string[]
}

export interface Notification {
  id: string
  at: string
  item_id: string
  /** assigned, submitted, returned, reminder or escalation */
  kind: string
  level: number
  title: string
  read: boolean
}

export interface Inbox {
  items: Item[]
  reports: Report[]
  notifications: Notification[]
}

export interface StatsRow {
  area: string
  name_zh: string
  name_en: string
  assigned: number
  accepted: number
  in_progress: number
  submitted: number
  returned: number
  verified: number
  cancelled: number
  open: number
  overdue: number
}

export interface ItemStats {
  area: string
  total: StatsRow
  rows: StatsRow[]
}

export const REPORT_CATEGORIES = ['landslide_sign', 'flooded_road', 'damaged_house', 'missing_person', 'other'] as const

// Recovery (docs/recovery.md): disasters, damage assessments, reconstruction cases and
// the roll-up figures per area.

export const HAZARDS = ['rainstorm_flood', 'flash_flood', 'landslide', 'debris_flow', 'earthquake', 'wind_hail', 'other'] as const
export type Hazard = (typeof HAZARDS)[number]

/** JGJ 125 grades, or a house the assessor could not reach. */
export const GRADES = ['A', 'B', 'C', 'D', 'inaccessible'] as const
export type Grade = (typeof GRADES)[number]

export const PLANS = ['repair', 'rebuild_in_place', 'relocate', 'resettle'] as const
export type Plan = (typeof PLANS)[number]

export const STAGES = ['planned', 'funded', 'under_construction', 'completed', 'accepted', 'moved_in'] as const
export type Stage = (typeof STAGES)[number]

/** The date by which a case is to have reached each stage after `planned`. */
export type Schedule = Record<Exclude<Stage, 'planned'>, string>

export interface Disaster {
  id: string
  name: string
  hazard: Hazard
  started_on: string
  ended_on: string | null
  /** The area that declared it. */
  area: string
  area_name?: string
  affected: string[]
  target_move_in: string
  case_grades: Grade[]
  schedule: Schedule
}

export interface Figures {
  houses_assessed: number
  grade: { a: number; b: number; c: number; d: number; inaccessible: number }
  rooms_collapsed: number
  rooms_damaged: number
  households_affected: number
  households_collapsed: number
  cases: number
  by_plan: Record<Plan, number>
  by_stage: Record<Stage, number>
  moved_in: number
  late: number
  /** Fen (0.01 yuan). */
  funds_approved: number
  funds_released: number
  funds_paid: number
}

export interface RecoveryArea {
  code: string
  name: string
  name_en: string | null
  /** `municipality`, `district`, `town` or `village`. */
  level: string
}

export interface RecoveryChild extends RecoveryArea {
  lon: number | null
  lat: number | null
  figures: Figures
}

export interface RecoveryOverview {
  disaster: Disaster
  area: RecoveryArea
  /** The server's today, which "late" and the days to the target are counted from. */
  as_of: string
  totals: Figures
  children: RecoveryChild[]
}

/** One house on the damage map: id, lon, lat, latest grade, rooms collapsed. */
export type DamagePoint = [string, number, number, Grade, number]

export interface AttachmentMeta {
  hash: string
  content_type: string
  size: number
  name?: string | null
}

export interface Assessment {
  id: string
  disaster_id: string
  house_id: string
  house_address: string
  area: string
  area_name: string
  version: number
  latest: boolean
  outcome: Grade
  ems98: number | null
  fema: string
  rooms_collapsed: number
  rooms_damaged: number
  household_id: string | null
  assessor_officer_id: string | null
  assessor_name: string | null
  assessed_on: string
  note: string | null
  photos: (AttachmentMeta | string)[]
  lon: number | null
  lat: number | null
  source_uuid: string | null
  case_id: string | null
  appeal_item_id: string | null
  created_at: string
}

/** One version in an assessment's list of its house's versions. */
export interface AssessmentVersion {
  id: string
  version: number
  latest: boolean
  outcome: Grade
  assessed_on: string
  assessor_name: string | null
  appeal_item_id: string | null
}

export interface AssessmentDetail extends Assessment {
  /** Every version for the house. */
  versions?: AssessmentVersion[]
}

export interface AssessmentInput {
  id: string
  house_id: string
  outcome: Grade
  rooms_collapsed: number
  rooms_damaged: number
  household_id?: string
  assessor_officer_id?: string
  assessed_on: string
  note?: string
  photos: string[]
  lon?: number
  lat?: number
  answers_appeal?: string
}

export type TrancheStatus = 'pending' | 'released' | 'paid'

export interface CaseGate {
  seq: number
  gate: string
  /** `case_gate` or `inspection`. */
  kind?: string
  effect: string | null
  /** The tranche this gate releases, if any. */
  releases?: number | null
  item_id: string | null
  state: ItemState | null
  due_at: string | null
  closed_at: string | null
}

export interface Tranche {
  n: number
  gate: string
  share_pct: number
  /** Fen. */
  amount: number | null
  status: TrancheStatus
  released_at: string | null
  paid_on: string | null
  reference: string | null
}

export interface CaseSummary {
  id: string
  disaster_id: string
  house_id: string
  house_address: string
  household_id: string | null
  head_name: string | null
  area: string
  area_name: string
  grade: Grade
  plan: Plan
  stage: Stage
  late: boolean
  stage_due_on: string | null
  /** Cancelled (re-graded outside the case grades before funding): counts nowhere. */
  cancelled?: boolean
  /** The amount to approve (fen), set while planned. */
  amount?: number | null
  amount_approved: number | null
  funds_released: number
  funds_paid: number
  opened_at: string
  updated_at: string
}

export interface Case extends CaseSummary {
  gates: CaseGate[]
  tranches: Tranche[]
  /** What this user may do now: `change_plan`, `change_amount`, `pay`. */
  allowed: string[]
}
