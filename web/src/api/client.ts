// The one place that talks HTTP. The browser session is the HttpOnly `anju_session`
// cookie; every change carries the CSRF token returned at sign-in. A 401 anywhere sends
// the user to sign-in and, after it, back where they were (see router.ts).

import { ApiError, Unreachable, problemFrom } from './errors'
import { reachable } from '../network'

let csrfToken: string | null = globalThis.localStorage?.getItem('anju.csrf') ?? null
let onUnauthenticated: (() => void) | null = null

export function setCsrf(token: string | null) {
  csrfToken = token
  if (token) localStorage.setItem('anju.csrf', token)
  else localStorage.removeItem('anju.csrf')
}

export function onSessionExpired(f: () => void) {
  onUnauthenticated = f
}

export interface RequestOptions {
  method?: string
  body?: unknown
  /** A raw body (a photo) sent as is with its own content type. */
  raw?: Blob
  headers?: Record<string, string>
  query?: Record<string, string | number | boolean | undefined | null>
  /** Do not treat 401 as an expired session (the sign-in form itself). */
  noRedirect?: boolean
  signal?: AbortSignal
}

export function withQuery(path: string, query?: RequestOptions['query']): string {
  if (!query) return path
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v))
  }
  const s = p.toString()
  return s ? `${path}?${s}` : path
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers }
  let body: BodyInit | undefined
  if (opts.raw) {
    body = opts.raw
    headers['content-type'] ??= opts.raw.type || 'application/octet-stream'
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['content-type'] = 'application/json'
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken
  let res: Response
  try {
    res = await fetch('/api/v1' + withQuery(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    reachable.value = false
    throw new Unreachable(e)
  }
  reachable.value = true
  if (!res.ok) {
    const err = await problemFrom(res)
    if (err.status === 401 && !opts.noRedirect) onUnauthenticated?.()
    // A proxy's 502/504 means the same to the user as no network.
    if (res.status === 502 || res.status === 504) throw new Unreachable(err)
    throw err
  }
  if (res.status === 204) return undefined as T
  const type = res.headers.get('content-type') ?? ''
  if (type.includes('json')) return (await res.json()) as T
  return (await res.text()) as unknown as T
}

export const api = {
  get: <T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal) => request<T>(path, { query, signal }),
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>(path, { method: 'POST', body, headers }),
  put: <T>(path: string, body: unknown) => request<T>(path, { method: 'PUT', body }),
  patch: <T>(path: string, body: unknown) => request<T>(path, { method: 'PATCH', body }),
  del: <T>(path: string) => request<T>(path, { method: 'DELETE' }),
}

export { ApiError, Unreachable }
