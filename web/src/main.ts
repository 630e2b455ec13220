import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { i18n, locale } from './i18n'
import { startOutbox } from './outbox'
import './style.css'

document.documentElement.lang = locale()
createApp(App).use(router).use(i18n).mount('#app')
startOutbox()

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e) => console.warn('service worker', e))
}
