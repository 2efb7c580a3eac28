"""`marpkit lint`: rules over the deck model, optionally over Marp's rendered HTML.

Importing this package (or any static rule) must not load playwright, wandb or
rich: `lint --no-render` runs in pre-commit hooks where start-up time matters.
"""
