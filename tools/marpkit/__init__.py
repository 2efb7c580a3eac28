"""marpkit: keep Marp course decks honest."""

__version__ = "0.1.0"
