import { launch, openPage, signIn } from './harness.mjs'
const base = process.argv[2]
const b = await launch()
const p = await openPage(b)
p.page.on('console', (m) => console.log('CONSOLE', m.type(), m.text()))
await signIn(p.page, base, 'dongfang')
await p.page.waitForTimeout(4000)
console.log(await p.page.evaluate(() => document.querySelector('[data-testid=area-map]')?.outerHTML.slice(0, 300)))
await p.page.screenshot({ path: '/tmp/anju-web/village.png' })
await b.close()
