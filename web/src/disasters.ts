// Disasters the user sees, fetched once per session per id (a disaster changes rarely:
// its end date or target), for the recovery screens' titles and schedules.
import { api } from './api/client'
import type { Disaster, Page } from './api/types'

const cache = new Map<string, Promise<Disaster>>()

export function getDisaster(id: string): Promise<Disaster> {
  let p = cache.get(id)
  if (!p) {
    p = api.get<Disaster>(`/disasters/${id}`)
    p.catch(() => cache.delete(id))
    cache.set(id, p)
  }
  return p
}

/** Newest first. The list is a page (`items`) or a bare array; both are read. */
export async function listDisasters(): Promise<Disaster[]> {
  const r = await api.get<Disaster[] | Page<Disaster>>('/disasters')
  const list = Array.isArray(r) ? r : r.items
  for (const d of list) if (!cache.has(d.id)) cache.set(d.id, Promise.resolve(d))
  return [...list].sort((a, b) => b.started_on.localeCompare(a.started_on))
}

export function forgetDisasters() {
  cache.clear()
}
