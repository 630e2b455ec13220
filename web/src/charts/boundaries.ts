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

const EMPTY = 'anju-no-outline'

/**
 * A map to draw points on when no outline may be shown: a town or village user cannot
 * read the district's polygon (it lies above their area), so their points are drawn on a
 * blank ground fitted to the points (geo `boundingCoords`).
 */
export function blankMap(): string {
  if (!echarts.getMap(EMPTY)) {
    echarts.registerMap(EMPTY, {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', properties: { name: '' }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [0, 0.0001], [0.0001, 0], [0, 0]]] } }],
    } as any)
  }
  return EMPTY
}

/** `[[west, north], [east, south]]` around points, with a margin, for geo `boundingCoords`. */
export function boundsAround(points: [number, number][], margin = 0.01): [[number, number], [number, number]] {
  const lons = points.map((p) => p[0])
  const lats = points.map((p) => p[1])
  const m = Math.max(margin, (Math.max(...lons) - Math.min(...lons)) * 0.1, (Math.max(...lats) - Math.min(...lats)) * 0.1)
  return [[Math.min(...lons) - m, Math.max(...lats) + m], [Math.max(...lons) + m, Math.min(...lats) - m]]
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
