// Routes; every screen is lazy so the phone's inbox loads no chart or map code.
// Signed-out users go to sign-in and come back to where they were going.

import { createRouter, createWebHistory } from 'vue-router'
import { onSessionExpired } from './api/client'
import { forget, homeArea, me } from './session'
import { within } from './format'
import { loadRecoveryMessages } from './i18n'

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/signin', name: 'signin', component: () => import('./views/SignIn.vue'), meta: { public: true } },
    { path: '/', redirect: () => `/overview/${homeArea.value}` },
    { path: '/overview/:area', name: 'overview', component: () => import('./views/OverviewView.vue'), meta: { area: true } },
    { path: '/registry/:kind(households|houses|units|officers)', name: 'registry', component: () => import('./views/registry/RecordList.vue'), meta: { area: 'query' } },
    { path: '/registry/:kind(households|houses|units|officers)/new', name: 'record-new', component: () => import('./views/registry/RecordForm.vue') },
    { path: '/registry/:kind(households|houses|units|officers)/:id', name: 'record', component: () => import('./views/registry/RecordDetail.vue') },
    { path: '/registry/:kind(households|houses|units|officers)/:id/edit', name: 'record-edit', component: () => import('./views/registry/RecordForm.vue') },
    { path: '/inbox', name: 'inbox', component: () => import('./views/items/InboxView.vue') },
    { path: '/items', name: 'items', component: () => import('./views/items/ItemList.vue'), meta: { area: 'query' } },
    { path: '/items/new', name: 'item-new', component: () => import('./views/items/ItemForm.vue') },
    { path: '/items/:id', name: 'item', component: () => import('./views/items/ItemDetail.vue') },
    { path: '/reports', name: 'reports', component: () => import('./views/items/ReportList.vue'), meta: { area: 'query' } },
    { path: '/reports/new', name: 'report-new', component: () => import('./views/items/ReportForm.vue') },
    { path: '/supervision/:area', name: 'supervision', component: () => import('./views/SupervisionView.vue'), meta: { area: true } },
    { path: '/recovery', name: 'recovery', component: () => import('./views/recovery/DisasterList.vue'), meta: { messages: 'recovery' } },
    { path: '/recovery/:disaster/cases', name: 'recovery-cases', component: () => import('./views/recovery/CaseList.vue'), meta: { messages: 'recovery', area: 'query' } },
    { path: '/recovery/:disaster/assess', name: 'recovery-assess', component: () => import('./views/recovery/AssessForm.vue'), meta: { messages: 'recovery' } },
    { path: '/recovery/:disaster/:area(\\d+)', name: 'recovery-overview', component: () => import('./views/recovery/RecoveryOverview.vue'), meta: { messages: 'recovery', area: true } },
    { path: '/recovery/:disaster/:area(\\d+)/damage', name: 'recovery-damage', component: () => import('./views/recovery/DamageMapView.vue'), meta: { messages: 'recovery', area: true } },
    { path: '/cases/:id', name: 'case', component: () => import('./views/recovery/CaseDetail.vue'), meta: { messages: 'recovery' } },
    { path: '/assessments/:id', name: 'assessment', component: () => import('./views/recovery/AssessmentDetail.vue'), meta: { messages: 'recovery' } },
    { path: '/outbox', name: 'outbox', component: () => import('./views/OutboxView.vue') },
    { path: '/:rest(.*)*', name: 'not-found', component: () => import('./views/NotFound.vue') },
  ],
})

// Set when the server ended the session, so a navigation that reaches the guard after
// the session was forgotten still tells the user why they must sign in again.
let expired = false

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!me.value) return { name: 'signin', query: { next: to.fullPath, ...(expired ? { expired: '1' } : {}) } }
  expired = false
  // Never above the user's own area: a deeper link is fine, a shallower one is moved down.
  const area = to.meta.area === true ? (to.params.area as string) : to.meta.area === 'query' ? (to.query.area as string | undefined) : undefined
  if (area && !within(area, homeArea.value)) {
    return to.meta.area === true
      ? { ...to, params: { ...to.params, area: homeArea.value } }
      : { ...to, query: { ...to.query, area: homeArea.value } }
  }
  return true
})

// Screens whose messages come with them (i18n/index.ts).
router.beforeResolve(async (to) => {
  if (to.meta.messages === 'recovery') await loadRecoveryMessages()
})

// Session expired or revoked: forget it and sign in again, then come back here.
// The address bar, not currentRoute: during the first navigation currentRoute is still
// the start location while the URL already names where the user was going.
onSessionExpired(() => {
  expired = true
  forget()
  const here = window.location.pathname + window.location.search
  if (!window.location.pathname.startsWith('/signin')) void router.replace({ name: 'signin', query: { next: here, expired: '1' } })
})
