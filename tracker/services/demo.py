"""The five demonstration pilots: load ``experiments/*.toml`` and their CSVs, once.

``load_demo`` is idempotent: a pilot whose slug is already in the database is skipped and
reported as already present, so ``make setup`` can run it every time. Everything it loads is
fictitious (the files say so at the top; see data/demo/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from tracker.config import PROJECT_ROOT
from tracker.io import pilot_file as pf
from tracker.models import Role
from tracker.services import accounts, organisations, pilot_files, pilots
from tracker.services.access import Actor
from tracker.services.verdicts import refresh_verdicts

DEMO_COMMENT = "Fictieve demonstratiegegevens — geen echte personen of organisaties"
EXPERIMENTS_DIR = "experiments"
DEMO_DATA_DIR = "data/demo"

# The fictitious organisation that owns every demo pilot and account (each pilot keeps its own
# municipality): one portfolio that the demo accounts of every role can see.
DEMO_ORGANISATION = {"name": "Demo-organisatie (fictief)", "cbs_code": "GM9999"}
# (e-mail, name, role, password). The passwords are public on purpose: the login page shows
# them, but only while the database holds the demo pilots (``demo_loaded``).
DEMO_USERS: tuple[tuple[str, str, Role, str], ...] = (
    ("officer@demo.proeftuin.example", "Demo beleidsmedewerker", Role.officer, "proeftuin-officer"),
    ("manager@demo.proeftuin.example", "Demo manager", Role.manager, "proeftuin-manager"),
    ("analyst@demo.proeftuin.example", "Demo analist", Role.analyst, "proeftuin-analyst"),
    ("admin@demo.proeftuin.example", "Demo beheerder", Role.admin, "proeftuin-admin"),
)


@dataclass(frozen=True)
class DemoPilotResult:
    """What happened to one demo pilot file."""

    file: str
    slug: str
    status: str  # "loaded" | "already present"
    pilot_id: int
    hypotheses: int = 0
    measurements: int = 0

    def summary(self, lang: str = "nl") -> str:
        if self.status == "loaded":
            if lang == "en":
                return (
                    f"{self.slug}: loaded ({self.hypotheses} hypotheses, "
                    f"{self.measurements} measurements)"
                )
            return (
                f"{self.slug}: geladen ({self.hypotheses} hypothesen, {self.measurements} metingen)"
            )
        return f"{self.slug}: already present" if lang == "en" else f"{self.slug}: al aanwezig"


@dataclass(frozen=True)
class DemoLoadReport:
    pilots: tuple[DemoPilotResult, ...] = field(default_factory=tuple)
    users_created: int = 0

    @property
    def loaded(self) -> int:
        return sum(1 for p in self.pilots if p.status == "loaded")

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.pilots if p.status != "loaded")

    def to_dict(self) -> dict[str, Any]:
        return {
            "pilots": [asdict(p) for p in self.pilots],
            "users_created": self.users_created,
            "loaded": self.loaded,
            "skipped": self.skipped,
        }

    def summary(self, lang: str = "nl") -> str:
        if lang == "en":
            return (
                f"Demo: {self.loaded} pilots loaded, {self.skipped} already present, "
                f"{self.users_created} demo users created."
            )
        return (
            f"Demo: {self.loaded} pilots geladen, {self.skipped} al aanwezig, "
            f"{self.users_created} demogebruikers aangemaakt."
        )


def demo_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """The demo pilot files, in name order (the order they are loaded in)."""
    return sorted((root / EXPERIMENTS_DIR).glob("*.toml"))


def demo_loaded(session: Session, *, root: Path = PROJECT_ROOT) -> bool:
    """True when every pilot in ``experiments/`` is in the database (and there is at least one)."""
    slugs = [pf.slug_of(path) for path in demo_files(root)]
    if not slugs:
        return False
    return all(s is not None and pilots.find_pilot_by_slug(session, s) for s in slugs)


def ensure_demo_users(session: Session, *, actor: Actor) -> int:
    """The demo organisation and one account per role, with the demo passwords. Returns the
    number of accounts created (an existing demo account without a password gets its own)."""
    org = organisations.get_or_create_organisation(
        session, name=DEMO_ORGANISATION["name"], cbs_code=DEMO_ORGANISATION["cbs_code"], actor=actor
    )
    assert org.id is not None
    created = 0
    for email, name, role, password in DEMO_USERS:
        user = organisations.get_user_by_email(session, email)
        if user is None:
            created += 1
            organisations.get_or_create_user(
                session,
                organisation_id=org.id,
                email=email,
                display_name=name,
                role=role,
                actor=actor,
                password_hash=accounts.hash_password(password),
            )
        elif user.password_hash is None:
            accounts.set_password(session, email, password, actor=actor)
    return created


def load_demo(
    session: Session,
    *,
    actor: Actor,
    root: Path = PROJECT_ROOT,
    progress: Callable[[DemoPilotResult], None] | None = None,
) -> DemoLoadReport:
    """Load every ``experiments/*.toml`` with its measurement CSV, skipping pilots present.

    Runs in the caller's transaction: when one file is refused, nothing is kept. ``progress``
    is called after each pilot (the CLI prints a line). Every loaded pilot ends with a stored
    verdict per hypothesis (``tracker.services.verdicts``).
    """
    users = ensure_demo_users(session, actor=actor)
    results = []
    for path in demo_files(root):
        pilot = pf.read(path)
        existing = pilots.find_pilot_by_slug(session, pilot.slug)
        if existing is not None:
            assert existing.id is not None
            result = DemoPilotResult(path.name, pilot.slug, "already present", existing.id)
        else:
            csv = pilot_files.data_path(pilot, path, root=root)
            imported = pilot_files.import_pilot(session, pilot, actor=actor, source=path.name)
            rows = (
                pilot_files.import_measurement_file(session, imported.pilot_id, csv, actor=actor)
                if csv is not None
                else 0
            )
            if not rows:
                # An import that stores rows refreshes the verdicts itself; without data the
                # pilot's hypotheses still get their (insufficient_data) rows.
                refresh_verdicts(session, imported.pilot_id)
            result = DemoPilotResult(
                path.name, pilot.slug, "loaded", imported.pilot_id, imported.hypotheses, rows
            )
        results.append(result)
        if progress is not None:
            progress(result)
    return DemoLoadReport(pilots=tuple(results), users_created=users)
