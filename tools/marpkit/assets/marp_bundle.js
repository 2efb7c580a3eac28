// Bundles Marp's engine for rendered lint (marpkit/marp/bundle.py), twice:
//
//   node marp_bundle.js ENTRY FULL LIGHT   (run in the project root)
//
// FULL is marp-core whole. LIGHT is the same without MathJax (half of the
// 4 MB): most decks have no MathJax math, and the browser parses and starts
// LIGHT in half the time. Its MathJax is a stand-in that, when anything uses
// it, sets window.marpkitNeedsMathJax, and the page renders with FULL instead
// (lint/render.py).
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const esbuild = require(require.resolve('esbuild', { paths: [process.cwd()] }))

const [entry, full, light] = process.argv.slice(2)
const STANDIN = `
const used = () => { window.marpkitNeedsMathJax = true }
const standin = new Proxy(function () {}, {
  get (target, key) {
    if (typeof key === 'symbol' || key === '__esModule' || key === 'then') return undefined
    used()
    return standin
  },
  apply () { used(); return standin },
  construct () { used(); return standin },
})
module.exports = standin
`
const withoutMathJax = {
  name: 'marpkit-without-mathjax',
  setup (build) {
    build.onResolve({ filter: /^mathjax-full(\/|$)/ }, (args) => ({ path: args.path, namespace: 'standin' }))
    build.onLoad({ filter: /.*/, namespace: 'standin' }, () => ({ contents: STANDIN, loader: 'js' }))
  },
}
const options = (outfile, plugins) => ({
  stdin: { contents: fs.readFileSync(entry, 'utf8'), resolveDir: process.cwd(), sourcefile: path.basename(entry) },
  bundle: true, platform: 'browser', format: 'iife', minify: true, logLevel: 'error', outfile, plugins,
})
Promise.all([esbuild.build(options(full, [])), esbuild.build(options(light, [withoutMathJax]))])
  .catch(() => process.exit(1))
