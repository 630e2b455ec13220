// A write from the field: sent at once when the server answers, kept in the outbox when
// it does not. Either way it carries its client id, so it lands exactly once.

import { ApiError, Unreachable, request } from '../api/client'
import { outbox, flushOutbox } from './index'
import { withPhotoHashes, type NewEntry } from './outbox'
import { me } from '../session'

export type Sent<T> = { queued: false; result: T } | { queued: true }

export async function submitOrQueue<T>(n: NewEntry): Promise<Sent<T>> {
  const photos = n.photos ?? []
  if (navigator.onLine) {
    try {
      const hashes: string[] = []
      for (const p of photos) {
        const r = await request<{ hash: string }>('/attachments', { method: 'POST', raw: p, headers: { 'x-filename': 'photo.jpg' } })
        hashes.push(r.hash)
      }
      const body = withPhotoHashes(n.body, hashes, n.photo_field)
      const result = await request<T>(n.path, { method: n.method ?? 'POST', body, headers: { 'idempotency-key': n.id } })
      return { queued: false, result }
    } catch (e) {
      if (!(e instanceof Unreachable)) throw e
    }
  }
  await (await outbox()).add({ ...n, user_id: me.value?.user.id })
  return { queued: true }
}

export { ApiError, flushOutbox }
