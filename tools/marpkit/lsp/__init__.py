"""`marpkit lsp`: the linter, the snippet resolver and the check cache, inside an editor.

A Language Server over stdio (pygls + lsprotocol). It parses with the same deck
model, resolves with the same snippet store and lints with the same rule
registry as the CLI; this package only translates between them and the
protocol. One module per capability: diagnostics, actions, navigation,
completion.
"""
