"""`marpkit lint`: rules over the deck model, optionally over Marp's rendered HTML.

Importing this package (or any static rule) must not load wandb or rich, nor
start a browser: `lint --no-render` runs in pre-commit hooks where start-up
time matters.
"""
