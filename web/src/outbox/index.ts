// The app's outbox: sends over HTTP, flushes when the network returns and every so often
// while entries wait, and exposes the waiting list to the screens.

import { ref } from 'vue'
import { ApiError, Unreachable, request } from '../api/client'
import { Outbox, withPhotoHashes, type Outcome } from './outbox'
import { type OutboxEntry, openDb } from './store'
import { me } from '../session'

export const waiting = ref<OutboxEntry[]>([])
let box: Promise<Outbox> | null = null

export async function sendOverHttp(e: OutboxEntry): Promise<Outcome> {
  // Made by someone else on this device: wait until they sign in again.
  if (e.user_id && e.user_id !== me.value?.user.id) return { kind: 'retry', error: 'made by another user' }
  try {
    const hashes: string[] = []
    for (const photo of e.photos) {
      const r = await request<{ hash: string }>('/attachments', {
        method: 'POST',
        raw: photo,
        headers: { 'x-filename': 'photo.jpg' },
        noRedirect: true,
      })
      hashes.push(r.hash)
    }
    const body = withPhotoHashes(e.body, hashes, e.photo_field)
    await request(e.path, { method: e.method, body, headers: { 'idempotency-key': e.id }, noRedirect: true })
    return { kind: 'done' }
  } catch (err) {
    if (err instanceof Unreachable) return { kind: 'retry', error: 'unreachable' }
    if (err instanceof ApiError) {
      // The record with this client id is on the server already: an earlier attempt
      // arrived but its answer was lost. An assessment can also be refused with 409 for
      // its content (an appeal answered by the assessor appealed against), so it is only
      // done when the server holds it.
      if (err.status === 409 && e.kind === 'assessment') return (await arrived(`/assessments/${e.id}`)) ? { kind: 'done' } : { kind: 'failed', error: err.message || err.problem.title }
      if (err.status === 409 && e.kind !== 'transition') return { kind: 'done' }
      if (err.status === 401 || err.status === 429 || err.status >= 500) return { kind: 'retry', error: err.message }
      return { kind: 'failed', error: err.message || err.problem.title }
    }
    return { kind: 'retry', error: String(err) }
  }
}

async function arrived(path: string): Promise<boolean> {
  try {
    await request(path, { noRedirect: true })
    return true
  } catch {
    return false
  }
}

export function outbox(): Promise<Outbox> {
  if (!box) {
    box = openDb().then((db) => {
      const o = new Outbox(db, sendOverHttp)
      o.subscribe((list) => (waiting.value = list))
      o.list().then((list) => (waiting.value = list))
      return o
    })
  }
  return box
}

/** Sends what waits; across tabs only one sends at a time. */
export async function flushOutbox(): Promise<number> {
  const o = await outbox()
  if (typeof navigator !== 'undefined' && navigator.locks) {
    return navigator.locks.request('anju-outbox', () => o.flush())
  }
  return o.flush()
}

export function startOutbox() {
  void outbox().then(() => flushOutbox())
  window.addEventListener('online', () => void flushOutbox())
  setInterval(() => {
    if (waiting.value.some((e) => e.state === 'waiting') && navigator.onLine) void flushOutbox()
  }, 10_000)
}
