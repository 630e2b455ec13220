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
