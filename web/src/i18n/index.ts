// Two languages, every key in both (tests/i18n.test.ts checks). A missing key is a
// console error, which every browser test treats as a failure.

import { createI18n } from 'vue-i18n'
import en from './en'
import zh from './zh-CN'
import type { Locale } from '../format'

const KEY = 'anju.locale'

export function initialLocale(): Locale {
  const saved = localStorage.getItem(KEY)
  if (saved === 'en' || saved === 'zh-CN') return saved
  return navigator.language?.toLowerCase().startsWith('en') ? 'en' : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: false,
  messages: { 'zh-CN': zh, en },
  missingWarn: false,
  fallbackWarn: false,
  missing: (locale, key) => {
    console.error(`[i18n] missing translation: ${locale} ${key}`)
    return key
  },
})

export function setLocale(l: Locale) {
  i18n.global.locale.value = l
  localStorage.setItem(KEY, l)
  document.documentElement.lang = l
}

export function locale(): Locale {
  return i18n.global.locale.value as Locale
}

let recovery: Promise<void> | null = null

/**
 * The recovery screens' messages, fetched with the first of those screens (router.ts) so
 * the entry bundle — the phone's inbox — stays as it was. Built files are all precached
 * by the service worker, so this works offline too.
 */
export function loadRecoveryMessages(): Promise<void> {
  if (!recovery) {
    recovery = Promise.all([import('./recovery.zh-CN'), import('./recovery.en')]).then(([zhR, enR]) => {
      i18n.global.mergeLocaleMessage('zh-CN', zhR.default)
      i18n.global.mergeLocaleMessage('en', enR.default)
    })
    recovery.catch(() => (recovery = null))
  }
  return recovery
}
