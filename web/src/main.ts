import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { i18n, locale } from './i18n'
import { startOutbox } from './outbox'
import { me, refreshMe } from './session'
import './style.css'

document.documentElement.lang = locale()
createApp(App).use(router).use(i18n).mount('#app')
startOutbox()
// The stored profile opens the app at once (offline too); the server confirms it.
if (me.value) void refreshMe()

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e) => console.warn('service worker', e))
}
