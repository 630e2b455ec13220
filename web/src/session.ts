// Who is signed in. The profile is kept in localStorage beside the CSRF token so the app
// opens offline in the field with the last known user; the server still decides.

import { computed, ref } from 'vue'
import { api, setCsrf } from './api/client'
import { Unreachable } from './api/errors'
import type { LoginResponse, Me } from './api/types'

const KEY = 'anju.me'

function stored(): Me | null {
  try {
    const s = localStorage.getItem(KEY)
    return s ? (JSON.parse(s) as Me) : null
  } catch {
    return null
  }
}

export const me = ref<Me | null>(stored())
export const homeArea = computed(() => me.value?.user.area ?? '50')
export const can = (p: string) => me.value?.permissions.includes(p) ?? false

function keep(m: Me | null) {
  me.value = m
  if (m) localStorage.setItem(KEY, JSON.stringify({ user: m.user, permissions: m.permissions }))
  else localStorage.removeItem(KEY)
}

export async function signIn(username: string, password: string): Promise<void> {
  const r = await api.post<LoginResponse>('/auth/login', { username, password })
  setCsrf(r.csrf_token)
  keep({ user: r.user, permissions: r.permissions })
}

/** Checks the session with the server; offline the stored profile stands. */
export async function refreshMe(): Promise<Me | null> {
  try {
    keep(await api.get<Me>('/auth/me'))
  } catch (e) {
    if (!(e instanceof Unreachable)) forget()
  }
  return me.value
}

export function forget() {
  keep(null)
  setCsrf(null)
  navigator.serviceWorker?.controller?.postMessage('clear-api-cache')
}

export async function signOut() {
  try {
    await api.post('/auth/logout')
  } catch {
    // Signed out locally all the same; the session expires on the server.
  }
  forget()
}
