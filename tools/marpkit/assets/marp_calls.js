// Several Marp CLI calls in one Node process (marpkit/marp/__init__.py, run_marp_calls).
//
//   node marp_calls.js MARP_CLI_DIR RESULTS_FILE  < [[args of call 0], [args of call 1], …]
//
// Each call is Marp CLI's own command-line entry (cliInterface) with its own
// arguments, so each converts exactly as `marp ARGS` would. What they share is
// what made separate processes slow on two cores: starting Node and loading
// Marp CLI once instead of once per format, and one Chromium for the calls
// that ask for the same browser (the PDF and the thumbnails): Marp launches
// a browser per call and closes it at the end.
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

const current = new AsyncLocalStorage()
for (const name of ['log', 'info', 'warn', 'error', 'debug']) {
  const write = console[name].bind(console)
  console[name] = (...args) => {
    const lines = current.getStore()
    if (lines) lines.push(util.format(...args))
    else write(...args)
  }
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
      const value = Reflect.get(target, name)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

require(path.join(cliDir, 'lib', 'patch.js')).patch()
const { cliInterface } = require(path.join(cliDir, 'lib', 'marp-cli.js'))

const run = async (args, index) => {
  const lines = []
  let code
  try {
    code = await current.run(lines, () => cliInterface(args))
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
