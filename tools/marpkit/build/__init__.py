"""The build stage: expand decks, convert with Marp CLI, publish atomically."""
