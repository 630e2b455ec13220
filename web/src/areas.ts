// Areas by code, fetched once per session (the tree changes rarely), and the chain of
// ancestors the breadcrumbs show — cut at the user's own area, above which nothing is
// visible.

import { api } from './api/client'
import type { Area } from './api/types'
export { crumbs } from './format'

const cache = new Map<string, Promise<Area>>()
const childCache = new Map<string, Promise<Area[]>>()

export function getArea(code: string): Promise<Area> {
  let p = cache.get(code)
  if (!p) {
    p = api.get<Area>(`/areas/${code}`)
    p.catch(() => cache.delete(code))
    cache.set(code, p)
  }
  return p
}

export function getChildren(code: string): Promise<Area[]> {
  let p = childCache.get(code)
  if (!p) {
    p = api.get<Area[]>(`/areas/${code}/children`)
    p.catch(() => childCache.delete(code))
    childCache.set(code, p)
  }
  return p
}

export function forgetAreas() {
  cache.clear()
  childCache.clear()
}
