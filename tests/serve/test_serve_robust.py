"""`marpkit serve` keeps to its own folders and says what is wrong with a theme."""

from __future__ import annotations

import time

import pytest

from conftest import (
    BROKEN_THEME,
    GOOD_THEME,
    Serving,
    make_project,
    needs_marp,
    tmpfs,
    write,
)

pytestmark = pytest.mark.integration


def test_serve_previews_with_a_read_only_build_folder(tmp_path):
    needs_marp()
    make_project(tmp_path)
    with tmpfs(tmp_path / "build", read_only=True):
        server = Serving(tmp_path)  # listening: the preview is not written into build/
        try:
            assert "Traceback" not in server.output
        finally:
            server.close()


def test_a_broken_theme_is_reported_where_it_breaks(tmp_path):
    needs_marp()
    make_project(tmp_path)
    theme = write(tmp_path / "themes" / "course.css", GOOD_THEME)
    server = Serving(tmp_path)
    try:
        server.wait_for_output("preview updated", count=2)
        server.wait_for_output("Ctrl-C to stop")
        time.sleep(1.0)  # the watcher starts right after that line
        theme.write_text(BROKEN_THEME)
        out = server.wait_for_output("themes/course.css:2:1: MK903")
        assert "themes/course.css:2:1: MK903 Marp cannot use this theme: Unclosed block" in out
        assert "    at " not in out and "Traceback" not in out
    finally:
        server.close()
