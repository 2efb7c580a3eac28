"""`marpkit diff`: the slides at a revision against the slides of the working tree.

revision (git: which commit, its inputs, renames) → sides (each revision's decks
prepared and rendered as the build does) → align (slides paired by identity)
→ verdicts (pixels and causes) → report (HTML, Markdown, JSON, text).
"""
