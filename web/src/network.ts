// Whether the server answers: the browser's online flag, corrected by what requests see.
import { ref } from 'vue'

export const reachable = ref(typeof navigator === 'undefined' ? true : navigator.onLine)

export function watchNetwork() {
  window.addEventListener('online', () => (reachable.value = true))
  window.addEventListener('offline', () => (reachable.value = false))
}
