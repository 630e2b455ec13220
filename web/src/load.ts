// Loading state for a screen: what it shows while waiting, on failure, and when empty.
import { ref, watch, type Ref, type WatchSource } from 'vue'

export interface Loaded<T> {
  data: Ref<T | null>
  loading: Ref<boolean>
  error: Ref<unknown>
  reload: () => Promise<void>
}

export function useLoad<T>(load: () => Promise<T>, deps: WatchSource[] = []): Loaded<T> {
  const data = ref<T | null>(null) as Ref<T | null>
  const loading = ref(true)
  const error = ref<unknown>(null)
  let generation = 0
  async function reload() {
    const mine = ++generation
    loading.value = true
    error.value = null
    try {
      const v = await load()
      if (mine === generation) data.value = v
    } catch (e) {
      if (mine === generation) error.value = e
    } finally {
      if (mine === generation) loading.value = false
    }
  }
  watch(deps, () => void reload(), { immediate: true })
  return { data, loading, error, reload }
}
