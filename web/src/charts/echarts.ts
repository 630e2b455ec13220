// ECharts with only what Anju draws (a map, points, bars), so the overview stays small;
// the full package would be ~3× larger.
import * as echarts from 'echarts/core'
import { MapChart, ScatterChart, BarChart, EffectScatterChart } from 'echarts/charts'
import { GeoComponent, TooltipComponent, VisualMapComponent, GridComponent, LegendComponent, TitleComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([MapChart, ScatterChart, BarChart, EffectScatterChart, GeoComponent, TooltipComponent, VisualMapComponent, GridComponent, LegendComponent, TitleComponent, CanvasRenderer])

export { echarts }
