// Item stats for an area; before the items API exists on a server the figures are absent
// rather than an error, so the overview still shows the registry.
import { api } from './api/client'
import { ApiError } from './api/errors'
import type { ItemStats } from './api/types'

export async function itemStats(area: string): Promise<ItemStats | null> {
  try {
    return await api.get<ItemStats>('/items/stats', { area })
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null
    throw e
  }
}
