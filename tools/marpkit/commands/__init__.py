"""One click command per module; each is imported only when invoked."""
