import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'
import { describe, expect, it } from 'vitest'
import { Outbox, type Outcome } from '../src/outbox/outbox'
import { openDb } from '../src/outbox/store'
import type { OutboxEntry } from '../src/outbox/store'

async function box(send: (e: OutboxEntry) => Promise<Outcome>) {
  const db = await openDb(new IDBFactory())
  let t = 0
  return new Outbox(db, send, () => new Date(Date.UTC(2026, 0, 1, 0, 0, t++)))
}

const entry = (id: string) => ({ id, kind: 'report' as const, label: id, path: '/reports', body: { id } })

describe('outbox', () => {
  it('keeps entries while offline and sends each once, in order, when the network returns', async () => {
    let online = false
    const sent: string[] = []
    const o = await box(async (e) => {
      if (!online) return { kind: 'retry', error: 'unreachable' }
      sent.push(e.id)
      return { kind: 'done' }
    })
    await o.add(entry('a'))
    await o.add(entry('b'))
    expect(await o.flush()).toBe(0)
    expect((await o.list()).map((e) => [e.id, e.attempts])).toEqual([['a', 1], ['b', 0]])
    online = true
    expect(await o.flush()).toBe(2)
    expect(await o.flush()).toBe(0)
    expect(sent).toEqual(['a', 'b'])
    expect(await o.list()).toEqual([])
  })

  it('never runs two senders at once: overlapping flushes join', async () => {
    let inFlight = 0
    let maxInFlight = 0
    const sent: string[] = []
    const o = await box(async (e) => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((r) => setTimeout(r, 5))
      inFlight--
      sent.push(e.id)
      return { kind: 'done' }
    })
    await o.add(entry('a'))
    await o.add(entry('b'))
    const [x, y] = await Promise.all([o.flush(), o.flush()])
    expect(x).toBe(2)
    expect(y).toBe(2)
    expect(maxInFlight).toBe(1)
    expect(sent).toEqual(['a', 'b'])
  })

  it('marks a refused entry failed, keeps it visible, and goes on with the rest', async () => {
    const o = await box(async (e) => (e.id === 'a' ? { kind: 'failed', error: 'state changed' } : { kind: 'done' }))
    await o.add(entry('a'))
    await o.add(entry('b'))
    expect(await o.flush()).toBe(1)
    const left = await o.list()
    expect(left.map((e) => [e.id, e.state, e.last_error])).toEqual([['a', 'failed', 'state changed']])
    // A failed entry is not retried on its own: the user decides.
    expect(await o.flush()).toBe(0)
    await o.discard('a')
    expect(await o.list()).toEqual([])
  })

  it('treats a sender that throws as a retry, not a loss', async () => {
    const o = await box(async () => {
      throw new Error('boom')
    })
    await o.add(entry('a'))
    await o.flush()
    expect((await o.list())[0]).toMatchObject({ id: 'a', state: 'waiting', attempts: 1 })
  })

  it('tells subscribers what waits', async () => {
    const o = await box(async () => ({ kind: 'done' }))
    const seen: number[] = []
    o.subscribe((l) => seen.push(l.length))
    await o.add(entry('a'))
    await o.flush()
    expect(seen).toEqual([1, 0])
  })

  it('keeps photos as blobs through storage', async () => {
    let got: Blob[] = []
    const o = await box(async (e) => {
      got = e.photos
      return { kind: 'done' }
    })
    await o.add({ ...entry('p'), photos: [new Blob(['jpeg bytes'], { type: 'image/jpeg' })] })
    await o.flush()
    expect(got).toHaveLength(1)
    expect(got[0].type).toBe('image/jpeg')
  })
})
