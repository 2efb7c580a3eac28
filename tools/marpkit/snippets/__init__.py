"""Snippet files: regions, references from fences, expansion into decks."""
