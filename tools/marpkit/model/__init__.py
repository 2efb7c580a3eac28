"""The deck: Marp-compatible parsing, directives, slides, and loading decks from paths."""
