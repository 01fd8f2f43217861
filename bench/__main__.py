"""``python -m bench``: run every benchmark module's ``run()`` in turn."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])):
        if module.startswith("_"):
            continue
        bench = importlib.import_module(f"bench.{module}")
        if hasattr(bench, "run"):
            print(f"== bench.{module}")
            bench.run()


if __name__ == "__main__":
    main()
