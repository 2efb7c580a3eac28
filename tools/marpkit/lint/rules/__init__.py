"""Rule families, one module each: MK1 front matter, MK2 text, MK3 snippets,
MK4 static layout, MK5 rendered, MK6 course."""
