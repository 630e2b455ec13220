// Writes made without a network wait here and are sent, in the order they were made,
// when it returns — each exactly once. Exactly once rests on the server: a report carries
// its client id (a second POST is 409, meaning "already there"), a transition carries an
// Idempotency-Key (a retry has the effect of one). The outbox only has to keep an entry
// until an answer proves it arrived, and never send two at the same time.

import { type OutboxEntry, entries } from './store'

/** What became of one attempt to send an entry. */
export type Outcome =
  | { kind: 'done' }
  /** No network (or the session expired): stop, keep everything, try again later. */
  | { kind: 'retry'; error: string }
  /** The server refused it for good (e.g. the item moved on): keep it, shown as failed. */
  | { kind: 'failed'; error: string }

export type Sender = (e: OutboxEntry) => Promise<Outcome>

/** The body to send once the photos are uploaded: their hashes added to its photo list. */
export function withPhotoHashes(body: Record<string, unknown>, hashes: string[], field = 'attachments'): Record<string, unknown> {
  if (!hashes.length) return { ...body }
  return { ...body, [field]: [...((body[field] as string[] | undefined) ?? []), ...hashes] }
}

export interface NewEntry {
  id: string
  kind: OutboxEntry['kind']
  label: string
  method?: OutboxEntry['method']
  path: string
  body: Record<string, unknown>
  photos?: Blob[]
  photo_field?: string
  user_id?: string
}

export class Outbox {
  private running: Promise<number> | null = null
  private listeners = new Set<(list: OutboxEntry[]) => void>()

  constructor(
    private db: IDBDatabase,
    private send: Sender,
    private now: () => Date = () => new Date(),
  ) {}

  async add(n: NewEntry): Promise<OutboxEntry> {
    const e: OutboxEntry = {
      id: n.id,
      kind: n.kind,
      label: n.label,
      method: n.method ?? 'POST',
      path: n.path,
      // Plain copies: IndexedDB cannot clone the reactive proxies a screen may pass.
      body: JSON.parse(JSON.stringify(n.body)),
      photos: [...(n.photos ?? [])],
      photo_field: n.photo_field,
      created_at: this.now().toISOString(),
      user_id: n.user_id,
      attempts: 0,
      last_error: null,
      state: 'waiting',
    }
    await entries.put(this.db, e)
    await this.notify()
    return e
  }

  list(): Promise<OutboxEntry[]> {
    return entries.all(this.db)
  }

  async discard(id: string) {
    await entries.delete(this.db, id)
    await this.notify()
  }

  subscribe(f: (list: OutboxEntry[]) => void): () => void {
    this.listeners.add(f)
    return () => this.listeners.delete(f)
  }

  private async notify() {
    const list = await this.list()
    for (const f of this.listeners) f(list)
  }

  /**
   * Sends every waiting entry, oldest first; returns how many arrived. A call while a
   * flush runs joins it instead of starting a second sender.
   */
  flush(): Promise<number> {
    if (!this.running) {
      this.running = this.flushOnce().finally(() => {
        this.running = null
      })
    }
    return this.running
  }

  private async flushOnce(): Promise<number> {
    let sent = 0
    for (const e of await this.list()) {
      if (e.state !== 'waiting') continue
      let outcome: Outcome
      try {
        outcome = await this.send(e)
      } catch (err) {
        outcome = { kind: 'retry', error: String(err) }
      }
      if (outcome.kind === 'done') {
        await entries.delete(this.db, e.id)
        sent++
      } else {
        await entries.put(this.db, {
          ...e,
          attempts: e.attempts + 1,
          last_error: outcome.error,
          state: outcome.kind === 'failed' ? 'failed' : 'waiting',
        })
        // Later entries may depend on this one (a transition after a report): keep order.
        if (outcome.kind === 'retry') break
      }
    }
    await this.notify()
    return sent
  }
}
