"""The settings object the app runs with: the core settings and every channel module's own
(``chalicelib/adapters/channels/registry.py`` lists them), composed into one class.

Read lazily through :func:`get_settings` (never at import time): Chalice's test client and the
local runner set environment variables after modules are imported.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, cast

from chalicelib.adapters.channels.registry import settings_classes
from chalicelib.settings import CoreSettings

if TYPE_CHECKING:
    # For type checkers the composed class is the core one; modules read their own part
    # through chalicelib.adapters.channels.base.part, which checks it at run time.
    Settings = CoreSettings
else:
    Settings = cast(type[CoreSettings], type("Settings", (CoreSettings, *settings_classes()), {}))


@lru_cache(maxsize=1)
def get_settings() -> CoreSettings:
    return Settings()
