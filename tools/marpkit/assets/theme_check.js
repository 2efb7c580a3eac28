// Registers each theme CSS named on the command line with Marpit's ThemeSet,
// the call Marp CLI and marpkit's lint engine make, from the project's
// node_modules (marpkit/marp/themes.py). One JSON line per file on stdout:
// {"file"} when Marp accepts it, else {"file", "reason", "line", "column"}.
'use strict'
const fs = require('node:fs')
const { ThemeSet } = require('@marp-team/marpit')

for (const file of process.argv.slice(2)) {
  const result = { file }
  try {
    new ThemeSet().add(fs.readFileSync(file, 'utf8'))
  } catch (error) {
    // postcss's CssSyntaxError carries the position; Marpit's own refusals
    // (no @theme name) concern the whole file.
    result.reason = error.reason || error.message || String(error)
    result.line = Number.isInteger(error.line) ? error.line : 1
    result.column = Number.isInteger(error.column) ? error.column : 1
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}
