"""``python -m bench [name ...]``: run every benchmark module's ``run()`` (or only the named ones)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from collections.abc import Callable
from pathlib import Path


def benchmarks() -> dict[str, Callable[[], object]]:
    found = {}
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        run = getattr(importlib.import_module(f"bench.{module.name}"), "run", None)
        if callable(run):
            found[module.name] = run
    return found


def main(names: list[str]) -> int:
    available = benchmarks()
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    for name in names or list(available):
        print(f"\n== bench/{name}.py ==", flush=True)
        started = time.perf_counter()
        available[name]()
        print(f"({name}: {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
