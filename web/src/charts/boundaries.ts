// District polygons from the server (GET /areas/{code}/boundary), registered with ECharts
// as maps. Nothing is fetched from outside: the app runs air-gapped. Below district level
// there are no polygons, only approximate points drawn over the district's outline.
import { api } from '../api/client'
import { echarts } from './echarts'

interface Feature {
  type: 'Feature'
  geometry: { type: string; coordinates: unknown }
  properties: Record<string, unknown>
}

const features = new Map<string, Promise<Feature>>()

export function boundary(code: string): Promise<Feature> {
  let p = features.get(code)
  if (!p) {
    p = api.get<Feature>(`/areas/${code}/boundary`)
    p.catch(() => features.delete(code))
    features.set(code, p)
  }
  return p
}

/** Registers a map named `name` from the polygons of `codes`; features are named by code. */
export async function registerPolygons(name: string, codes: string[]): Promise<void> {
  if (echarts.getMap(name)) return
  const list = await Promise.all(codes.map(boundary))
  const polygons = list
    .filter((f) => f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon')
    .map((f, i) => ({ ...f, properties: { ...f.properties, name: String(f.properties.code ?? codes[i]) } }))
  echarts.registerMap(name, { type: 'FeatureCollection', features: polygons } as any)
}
