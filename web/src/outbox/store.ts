// The outbox's storage: one IndexedDB object store of pending writes. IndexedDB (not
// localStorage) because photos are Blobs and the queue must survive the tab closing.

export interface OutboxEntry {
  /** The client id: the created record's id, or the Idempotency-Key of a transition. */
  id: string
  kind: 'report' | 'transition' | 'item' | 'assessment'
  /** What the user sees in the waiting list (a title, a category). */
  label: string
  method: 'POST' | 'PUT'
  path: string
  body: Record<string, unknown>
  /** Uploaded before the request; their hashes are appended to `body[photo_field]`. */
  photos: Blob[]
  /** The body's list of photo hashes: `attachments` unless named (an assessment's `photos`). */
  photo_field?: string
  created_at: string
  /** Who made it: it is only ever sent under that user's session. */
  user_id?: string
  attempts: number
  last_error: string | null
  state: 'waiting' | 'failed'
}

const DB = 'anju'
const STORE = 'outbox'

export function openDb(factory: IDBFactory = indexedDB): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(DB, 1)
    req.onupgradeneeded = () => {
      const db = req.result
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'id' })
    }
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

function tx<T>(db: IDBDatabase, mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode)
    const r = f(t.objectStore(STORE))
    t.oncomplete = () => resolve(r.result)
    t.onerror = () => reject(t.error)
    t.onabort = () => reject(t.error)
  })
}

export const entries = {
  all: async (db: IDBDatabase): Promise<OutboxEntry[]> => {
    const list = await tx<OutboxEntry[]>(db, 'readonly', (s) => s.getAll() as IDBRequest<OutboxEntry[]>)
    return list.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
  },
  put: (db: IDBDatabase, e: OutboxEntry) => tx(db, 'readwrite', (s) => s.put(e)).then(() => undefined),
  delete: (db: IDBDatabase, id: string) => tx(db, 'readwrite', (s) => s.delete(id)).then(() => undefined),
  clear: (db: IDBDatabase) => tx(db, 'readwrite', (s) => s.clear()).then(() => undefined),
}
