"""Run in every Python interpreter a snippet starts (check/descendants.py puts
this folder on their PYTHONPATH): record there what the snippet's own process records."""

try:
    from marpkit.check.descendants import start

    start()
except Exception:  # noqa: BLE001 - recording must never stop the snippet's child
    pass
