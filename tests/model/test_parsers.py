"""The small parsers every reader shares: disable comments, snippet references, image paths."""

from __future__ import annotations

import pytest

from marpkit.model.assets import asset_file
from marpkit.model.disable import Disable, parse_disable
from marpkit.snippets.store import SnippetRef, file_key, parse_ref


@pytest.mark.parametrize("content, expected", [
    ("marpkit-disable MK401", Disable(False, frozenset({"MK401"}))),
    (" marpkit-disable mk401,MK402 ", Disable(False, frozenset({"MK401", "MK402"}))),
    ("marpkit-disable", Disable(False, frozenset())),
    ("marpkit-disable MK4", Disable(False, frozenset({"MK4"}))),
    ("marpkit-disable-file MK315", Disable(True, frozenset({"MK315"}))),
    ("marpkit-disable-file", Disable(True, frozenset())),
    ("marpkit-disable:MK401", Disable(False, frozenset({"MK401"}))),
    ("marpkit-disable\nMK401\nMK402", Disable(False, frozenset({"MK401", "MK402"}))),
    ("marpkit-disable because of the table", Disable(False, frozenset())),
])
def test_disable_comments(content, expected):
    assert parse_disable(content) == expected


@pytest.mark.parametrize("content", ["marpkit-disabled MK401", "marpkit-disable-files MK401",
                                     "marpkit-disable-next-line MK401", "marpkit-enable MK401",
                                     "note: marpkit-disable MK401", "", "_class: lead"])
def test_not_disable_comments(content):
    assert parse_disable(content) is None


def test_what_a_disable_silences():
    some = parse_disable("marpkit-disable MK4 MK201")
    assert some.silences("MK401") and some.silences("MK201")
    assert not some.silences("MK501") and not some.silences("MK202")
    assert parse_disable("marpkit-disable").silences("MK999")


@pytest.mark.parametrize("ref, expected", [
    ("m/a.py#init", SnippetRef("m/a.py", "init", True)),
    ("m/a.py", SnippetRef("m/a.py", None, False)),
    ("m/a.py#", SnippetRef("m/a.py", None, True)),
    ("m/a.py#a#b", SnippetRef("m/a.py", "a#b", True)),
    ("#init", SnippetRef("", "init", True)),
    ("", SnippetRef("", None, False)),
])
def test_snippet_references(ref, expected):
    assert parse_ref(ref) == expected


@pytest.mark.parametrize("rel", ["m/a.py", "./m/a.py", "m//a.py", "m\\a.py", "./m/./a.py#r"])
def test_snippet_paths_name_one_file(rel):
    assert parse_ref(rel).file_key == file_key("m/a.py") == "m/a.py"


@pytest.mark.parametrize("src, expected", [
    ("img/a.png", "img/a.png"),
    ("img/a.png?v=2", "img/a.png"),
    ("img/a.png#top", "img/a.png"),
    ("img/a.png?v=2#top", "img/a.png"),
    ("img/a.png#top?v=2", "img/a.png"),
    ("../figures/a b.png", "../figures/a b.png"),
    ("?v=2", ""),
])
def test_image_paths(src, expected):
    assert asset_file(src) == expected
