"""Two writers at the same time: the harness every concurrency test shares."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.db import make_engine, session_scope
from tracker.errors import ConflictError, LockedError

REFUSALS: Mapping[type[Exception], str] = MappingProxyType(
    {ConflictError: "conflict", LockedError: "locked"}
)


def race(
    engine: Engine,
    attempts: Mapping[str, Callable[[Session], Any]],
    *,
    pause_on: str,
    when: str,
    refusals: Mapping[type[Exception], str] = REFUSALS,
) -> dict[str, Any]:
    """Run two writers, "A" and "B", at the same time in two engines (two connection pools) on
    ``engine``'s database; each runs its attempt in its own ``session_scope``.

    Writer A is held at its first statement that starts with ``pause_on`` (case-insensitive;
    ``when`` = "before" or "after" it runs) while writer B runs; then A continues.
    Returns each writer's outcome: "saved", the name ``refusals`` gives its error ("conflict"
    or "locked" unless told otherwise), or the unexpected exception itself.
    """
    url = engine.url.render_as_string(hide_password=False)
    engines = {"A": make_engine(url), "B": make_engine(url)}
    held, release = threading.Event(), threading.Event()

    @event.listens_for(engines["A"], f"{when}_cursor_execute")
    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(pause_on.upper()) and not held.is_set():
            held.set()
            release.wait(10)

    outcomes: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            with session_scope(engines[name]) as session:
                attempts[name](session)
            outcomes[name] = "saved"
        except Exception as exc:  # reported by the caller's assertion, not swallowed
            outcomes[name] = next(
                (label for kind, label in refusals.items() if isinstance(exc, kind)), exc
            )

    a = threading.Thread(target=run, args=("A",))
    b = threading.Thread(target=run, args=("B",))
    a.start()
    a.join(0.01)
    while a.is_alive() and not held.wait(0.05):
        pass
    assert held.is_set(), f"writer A ended before its pause point: {outcomes}"
    b.start()
    b.join(0.5)  # B either finishes or is waiting for A's lock; it must not fail meanwhile
    release.set()
    a.join(20)
    b.join(20)
    for eng in engines.values():
        eng.dispose()
    return outcomes
