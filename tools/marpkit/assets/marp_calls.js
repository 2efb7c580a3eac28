// Several Marp CLI calls in one Node process (marpkit/marp/__init__.py, run_marp_calls).
//
//   node marp_calls.js MARP_CLI_DIR RESULTS_FILE  < [{"args": [...], "thumbnails": [...]}, …]
//
// Each call is Marp CLI's own command-line entry (cliInterface) with its own
// arguments, so each converts exactly as `marp ARGS` would. What they share is
// what made separate processes slow on two cores: starting Node and loading
// Marp CLI once instead of once per format, and one Chromium for the calls
// that ask for the same browser (the PDF and the thumbnails): Marp launches
// a browser per call and closes it at the end.
//
// A PDF call may name inputs in "thumbnails": for each of them, the page Marp
// has just printed is also captured as `marp --image png` captures a deck's
// first slide, to <input without .md>.png, where that call would write it.
// That spares each deck a second load and render in the browser (with Marp's
// half-second wait for the network to settle); the PNG is byte for byte
// Marp's own (tests/build/test_marp_calls.py). An input whose capture fails
// is left without one, for the caller to make the usual way.
//
// Each call's console output is kept apart (AsyncLocalStorage follows it
// through its awaits) and written with its exit code to RESULTS_FILE, one
// JSON line per call as it ends: {"call": i, "code": n, "output": "..."}.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const util = require('node:util')
const { AsyncLocalStorage } = require('node:async_hooks')

const [cliDir, resultsFile] = process.argv.slice(2)
const calls = JSON.parse(fs.readFileSync(0, 'utf8'))

// The call running: {lines, thumbnails (a Set of input paths)}.
const current = new AsyncLocalStorage()
for (const name of ['log', 'info', 'warn', 'error', 'debug']) {
  const write = console[name].bind(console)
  console[name] = (...args) => {
    const call = current.getStore()
    if (call) call.lines.push(util.format(...args))
    else write(...args)
  }
}

// The input a Marp worker converts. Marp's workers take one input after
// another, and each conversion starts by reading its Markdown (File.load);
// entering the input there marks the rest of that conversion, down to the
// page it prints, and nothing of the other workers' conversions.
// Paths compared as the files they name: Marp may reach an input through a
// symbolic link the caller did not use, or the other way round.
const real = (file) => {
  try {
    return fs.realpathSync(file)
  } catch {
    return path.resolve(file)
  }
}
const input = new AsyncLocalStorage()
const readFile = fs.promises.readFile
fs.promises.readFile = function (file, ...rest) {
  const call = current.getStore()
  if (call?.thumbnails.size && typeof file === 'string') {
    const deck = real(file)
    if (call.thumbnails.has(deck)) input.enterWith(deck)
  }
  return readFile.call(this, file, ...rest)
}

// After Marp prints a page to PDF (so nothing here can change the PDF),
// capture its first slide with the steps of Marp CLI's convertFileToImage
// for a PNG at scale 1: viewport of the slide's size, no scrollbars, print
// media, transparent page background, a clip of the first slide.
const withThumbnail = (page) => {
  const pdf = page.pdf.bind(page)
  page.pdf = async (options) => {
    const printed = await pdf(options)
    const deck = input.getStore()
    if (deck && current.getStore()?.thumbnails.has(deck)) {
      try {
        const { width, height } = options
        await page.setViewport({ width, height, deviceScaleFactor: 1 })
        await page.addStyleTag({ content: ':root,body { scrollbar-width:none !important; }' })
        await page.emulateMediaType('print')
        await page.addStyleTag({ content: ':root,body { background:transparent !important; }' })
        const png = await page.screenshot({
          clip: { x: 0, y: 0, width, height }, omitBackground: true, type: 'png',
        })
        // Whole or not at all: a half-written PNG would be published as one.
        const { dir, name } = path.parse(deck)
        const part = path.join(dir, `${name}.png.part`)
        fs.writeFileSync(part, png)
        fs.renameSync(part, path.join(dir, `${name}.png`))
      } catch {}  // no thumbnail: the caller makes it with Marp (and removes a .part)
    }
    return printed
  }
  return page
}

// One browser per set of launch options (the profile folder aside). Marp's
// close() of a shared browser does nothing; the browsers are closed once
// every call has ended.
const puppeteer = require(require.resolve('puppeteer-core', { paths: [cliDir] }))
const launch = puppeteer.launch.bind(puppeteer)
const browsers = new Map()
puppeteer.launch = async (options) => {
  // Each call names a profile folder of its own; the first call's serves all.
  const key = JSON.stringify({
    ...options,
    args: (options?.args ?? []).filter((arg) => !String(arg).startsWith('--user-data-dir=')),
  })
  let browser = browsers.get(key)
  if (browser) {
    // A browser that crashed or failed to start is launched again, as Marp would.
    browser = await browser.then((b) => (b.connected ? browser : undefined), () => undefined)
  }
  if (!browser) {
    browser = launch(options)
    browsers.set(key, browser)
  }
  const real = await browser
  return new Proxy(real, {
    get(target, name) {
      if (name === 'close') return async () => {}
      if (name === 'newPage') return async (...args) => withThumbnail(await target.newPage(...args))
      const value = Reflect.get(target, name)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

require(path.join(cliDir, 'lib', 'patch.js')).patch()
const { cliInterface } = require(path.join(cliDir, 'lib', 'marp-cli.js'))

const run = async ({ args, thumbnails = [] }, index) => {
  const lines = []
  let code
  try {
    const call = { lines, thumbnails: new Set(thumbnails.map(real)) }
    code = await current.run(call, () => cliInterface(args))
  } catch (error) {
    lines.push(`[ ERROR ] ${error && error.stack ? error.stack : error}`)
    code = 1
  }
  fs.appendFileSync(resultsFile, JSON.stringify({ call: index, code, output: lines.join('\n') }) + '\n')
  return code
}

Promise.all(calls.map(run)).then(async (codes) => {
  for (const browser of browsers.values()) {
    try {
      await (await browser).close()
    } catch {}
  }
  process.exit(Math.max(0, ...codes))
})
