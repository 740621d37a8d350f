"""nomenklatura's logic-v2 set up the way Interdict's matcher runs, so a speed comparison is like
for like (used by name_bench.py and screen.py).

logic-v2 memoises per entity (its `lru_cache`s key on the entity id) with room for 1,000 entries
(`nomenklatura.matching.util.MEMO_BATCH`); Interdict memoises per name string with room for
200,000. `widen_caches` gives logic-v2's caches the same room, `Proxies` gives it one entity per
distinct name (the same id whenever the same name comes back, as Interdict's cache sees the same
string), and `clear_caches` empties both engines' per-name caches for a cold pass. Word-level
tables both load once (rigour's name tables, transliterators) are warm for both throughout.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

ROOM = 200_000  # Interdict's per-name caches (interdict.intel.matching)


def available() -> bool:
    try:
        import nomenklatura.matching  # noqa: F401
    except ImportError:
        return False
    return True


def widen_caches(room: int = ROOM) -> int:
    """Replace every bounded lru_cache in nomenklatura.matching by one with `room` entries, in
    every module that holds a reference to it. Returns how many were widened."""
    import nomenklatura.matching  # noqa: F401 - loads the package's modules
    from nomenklatura.matching import LogicV2  # noqa: F401

    modules = [m for name, m in list(sys.modules.items()) if name.startswith("nomenklatura.matching") and m is not None]
    replaced: dict[int, Any] = {}
    for module in modules:
        for name, value in list(vars(module).items()):
            info = getattr(value, "cache_parameters", None)
            if info is None or not hasattr(value, "__wrapped__"):
                continue
            size = info().get("maxsize")
            if size is None or size >= room:
                continue
            if id(value) not in replaced:
                replaced[id(value)] = functools.lru_cache(maxsize=room)(value.__wrapped__)
            setattr(module, name, replaced[id(value)])
    return len(replaced)


def clear_caches() -> None:
    """Empty logic-v2's memoised per-entity work (every lru_cache in nomenklatura.matching)."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("nomenklatura.matching") or module is None:
            continue
        for value in vars(module).values():
            if hasattr(value, "cache_clear") and hasattr(value, "__wrapped__"):
                value.cache_clear()


class Proxies:
    """One FtM entity per distinct (schema, name): the same object, hence the same cache key,
    whenever the name comes back."""

    def __init__(self, prefix: str = "n") -> None:
        self.prefix = prefix
        self.made: dict[tuple[str, str], Any] = {}

    def __call__(self, schema: str, name: str) -> Any:
        from followthemoney import model

        key = (schema, name)
        proxy = self.made.get(key)
        if proxy is None:
            proxy = model.make_entity(schema)
            proxy.id = f"{self.prefix}{len(self.made)}"
            proxy.add("name", name)
            self.made[key] = proxy
        return proxy
