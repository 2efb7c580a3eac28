// Marp's engine for rendered lint, bundled by esbuild (marpkit/lint/bundle.py)
// into one script that the lint browser loads while marpkit parses the deck.
//
// It is marp-core from the project's node_modules, the same copy Marp CLI
// converts with, set up the way Marp CLI sets it up for an HTML conversion, so
// the slides lint measures are the slides the build publishes
// (tests/lint/test_lint_parity.py compares the two on every corpus deck).
'use strict'
const { Marp } = require('@marp-team/marp-core')

// Global directives Marp CLI adds for the HTML <head>. Registered here too, so a
// deck's `title:` or `author:` is a known directive in both and changes nothing.
const CLI_DIRECTIVES = ['author', 'description', 'image', 'keywords', 'title', 'url']

// One engine for a run's decks, as long as none fails: a new Marp instance per
// deck rebuilt highlight.js (every language) each time, and decks on the
// same theme packed the same theme CSS again.
let engine = null

function create({ options, themes, html, lang }) {
  // The template options are those of Marp CLI's bare template.
  const marp = new Marp({ lang, ...options, container: [], inlineSVG: true, slideContainer: [], html })
  if (html !== undefined) marp.markdown.set({ html })
  marp.use((md) => {
    for (const name of CLI_DIRECTIVES) md.marpit.customDirectives.global[name] = () => ({})
  })
  for (const css of themes) marp.themeSet.add(css)
  // Packing a theme is a pure function of the theme and the options: of the
  // theme as it is at that moment (a `size` directive swaps in a sized copy
  // of the deck's theme, and of the default, while the deck renders).
  const themeSet = marp.themeSet, pack = themeSet.pack.bind(themeSet), packed = new Map()
  themeSet.pack = (name, opts = {}) => {
    const theme = themeSet.get(name, true), fallback = themeSet.default
    const key = [name, theme && theme.css, fallback && fallback.css, JSON.stringify(opts)].join('\0')
    if (!packed.has(key)) packed.set(key, pack(name, opts))
    return packed.get(key)
  }
  return marp
}

function render(markdown, settings) {
  const marp = engine || (engine = create(settings))
  // Marp CLI drops a byte order mark before rendering.
  const source = markdown.charCodeAt(0) === 0xfeff ? markdown.slice(1) : markdown
  const { html: body, css } = marp.render(source)
  return { html: body, css }
}

window.marpkitRender = (decks, settings) =>
  decks.map((markdown) => {
    try {
      return render(markdown, settings)
    } catch (error) {
      engine = null  // whatever state the failure left behind goes with it
      // The message, not the stack: it points into the minified bundle.
      return { error: error && error.message ? `${error.name || 'Error'}: ${error.message}` : String(error) }
    }
  })
