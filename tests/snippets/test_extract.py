from conftest import write

SEED = """\
---
marp: true
---

# Setup

```python
import wandb
run = wandb.init()
```

---

## Two blocks

```bash
pip install wandb
```

```
plain
```

> ```python
> quoted()
> ```
"""


def test_extract_creates_files_references_them_and_is_idempotent(project, run_cli):
    deck = write(project / "slides" / "05-x.md", SEED)
    before = deck.read_text()
    code, out, _ = run_cli("extract", str(deck))
    assert code == 0, out
    snippets = project / "snippets" / "05-x"
    assert sorted(p.name for p in snippets.iterdir()) == [
        "01-setup.py", "02-two-blocks-1.sh", "02-two-blocks-2.txt"]
    assert (snippets / "01-setup.py").read_text() == "import wandb\nrun = wandb.init()\n"
    after = deck.read_text()
    # Only the fence lines changed, and only by the reference; the quoted fence is left alone.
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [
        ("```python", "```python snippet=05-x/01-setup.py"),
        ("```bash", "```bash snippet=05-x/02-two-blocks-1.sh"),
        ("```", "```text snippet=05-x/02-two-blocks-2.txt"),
    ]
    assert len(before.splitlines()) == len(after.splitlines())
    assert run_cli("sync", "--check")[0] == 0
    assert run_cli("extract", str(deck))[0] == 0
    assert deck.read_text() == after
