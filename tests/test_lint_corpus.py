"""The 27 real decks in ../shared/corpus: static lint runs clean of false MK1xx alarms.

Each expected MK1xx finding below is something really wrong with that deck
(see the comments); anything else MK1xx reports is a false alarm.
"""

from __future__ import annotations

import time

from conftest import ROOT, shared_path
from marpkit.config import load_project
from marpkit.lint import engine
from marpkit.lint.settings import load_settings

EXPECTED_MK1 = {
    # Themes the decks use but do not ship (Marp falls back to the default theme).
    ("002-python-course-session01.md", "MK105"), ("003-pycon2021-typing.md", "MK105"),
    ("006-theme-chen-test.md", "MK105"), ("007-monokai-classic-demo.md", "MK105"),
    ("008-academic-theme-demo-ja.md", "MK105"), ("009-osc21do-typing-ja.md", "MK105"),
    ("011-lab-theme-sample-ja.md", "MK105"), ("019-template-commented-cheatsheet-ja.md", "MK105"),
    ("020-marp-tutorial-quoted-true-zh.md", "MK105"), ("021-marp-basics-yoimiya-zh.md", "MK105"),
    ("022-beamer-containers-zh.md", "MK105"), ("023-langchain-meetup-ja.md", "MK105"),
    ("024-rose-pine-template.md", "MK105"),
    # `$$` math with no `math:` directive (warning: the engine is left to Marp's default).
    ("004-pymat-python-ecosystem-pt.md", "MK110"), ("010-palestras-modelo-setext.md", "MK110"),
    ("012-metaplex-testslides.md", "MK110"), ("022-beamer-containers-zh.md", "MK110"),
    # A zero-width space before the closing `---`: the front matter never closes as meant.
    ("015-zwsp-frontmatter-demo-fr.md", "MK101"),
    # A doctoc block before the front matter: Marp sees no front matter at all.
    ("016-doctoc-before-frontmatter.md", "MK102"),
    # No closing `---`: the title slide's headings are read as YAML comments.
    ("017-unclosed-frontmatter.md", "MK111"),
}


def test_corpus_static_lint():
    corpus = shared_path("corpus", "decks")
    decks = sorted(corpus.glob("*.md"))
    assert len(decks) == 27
    project = load_project(ROOT)
    start = time.perf_counter()
    found = engine.run(project, load_settings({}), decks, render=False).findings
    elapsed = time.perf_counter() - start
    mk1 = {(f.path.rsplit("/", 1)[-1], f.code) for f in found if f.code.startswith("MK1")}
    assert mk1 == EXPECTED_MK1
    assert elapsed < 3.0  # bench/bench_lint.py holds the real 1 s budget for a fresh process
