"""The Export page, run by AppTest against a real database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set): scopes, tables, formats, small-number protection, downloads."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from tests import factories
from tests.app.test_pages import world  # noqa: F401  (the two-pilot fixture)
from tests.app_helpers import open_page
from tracker.db import session_scope
from tracker.io.export_files import export_files
from tracker.services.access import system
from tracker.services.exports import ExportRequest, ExportScope, build_export, export_about
from tracker.services.journal import add_observation

EXPORT = "pages/export.py"


def made_files(at) -> dict[str, bytes]:
    """The files the page made for its download buttons (kept in the session)."""
    _, made = at.session_state["export-files"]
    return {item.name: item.data for item in made["files"]}


def labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def make(at, *, tables: list[str] | None = None, fmt: str | None = None):
    if tables is not None:
        at.multiselect(key="export-tables").set_value(tables).run()
    if fmt is not None:
        at.radio(key="export-format").set_value(fmt).run()
    at.button(key="export-make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_one_pilot_results_as_csv_equal_what_the_service_writes(world, engine):  # noqa: F811
    at = open_page(EXPORT, role="analyst", pilot="netwerk-noord")
    assert at.selectbox(key="export-pilot").value == "netwerk-noord"
    assert not at.get("download_button")  # nothing is made before it is asked for
    make(at, tables=["results"], fmt="csv")
    assert labels(at) == ["Download netwerk-noord-results.csv"]
    request = ExportRequest(tables=("results",), scope=ExportScope(pilot="netwerk-noord"))
    with session_scope(engine) as session:
        tables = build_export(session, request, actor=system("test"))
    expected = export_files(tables, "csv", about=export_about(request), stem="netwerk-noord")
    assert made_files(at) == {f.name: f.data for f in expected}
    frame = pd.read_csv(io.BytesIO(made_files(at)["netwerk-noord-results.csv"]))
    assert list(frame["hypothesis"]) == ["H1"]
    assert frame.loc[0, "verdict"] in {"supported", "partly_supported", "inconclusive"}
    assert "p_adjusted" in frame.columns and "details.method" in frame.columns


def test_every_table_of_a_pilot_and_all_of_them_as_one_zip(world):  # noqa: F811
    at = make(open_page(EXPORT, role="analyst", pilot="netwerk-noord"), fmt="csv-nl")
    names = [
        "pilots",
        "areas",
        "hypotheses",
        "amendments",
        "measures",
        "measurements",
        "interventions",
        "results",
    ]
    assert labels(at) == [f"Download netwerk-noord-{n}.csv" for n in names] + [
        "Download alle bestanden (zip)"
    ]
    measurements = made_files(at)["netwerk-noord-measurements.csv"]
    assert measurements.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    text = measurements.decode("utf-8-sig").split("\r\n")
    assert text[0].startswith('"pilot";"measure";"period"')
    assert len(text) == 1 + 36 + 1  # header, 36 months, the final line end
    summary = at.dataframe[0].value
    assert dict(zip(summary["Tabel"], summary["Rijen"], strict=True))["Metingen"] == 36


def test_a_selection_exports_only_the_matching_pilots(world):  # noqa: F811
    at = open_page(EXPORT, role="analyst")
    at.radio(key="export-scope").set_value("filter").run()
    at.multiselect(key="export-municipalities").set_value(["Utrecht"]).run()
    make(at, tables=["pilots"], fmt="xlsx")
    assert labels(at) == ["Download proeftuin.xlsx"]
    pilots = pd.read_excel(io.BytesIO(made_files(at)["proeftuin.xlsx"]), sheet_name="pilots")
    assert list(pilots["pilot"]) == ["mentoren-zuid"]


def test_the_journal_leaves_only_when_ticked(world, engine):  # noqa: F811
    with session_scope(engine) as session:
        add_observation(
            session,
            world["noord"],
            {"date": "2021-03-01", "kind": "cause", "text": "=ZEER GEHEIM"},
            actor=factories.ACTOR,
        )
    at = make(open_page(EXPORT, role="admin", pilot="netwerk-noord"), fmt="datapackage")
    package = zipfile.ZipFile(io.BytesIO(made_files(at)["netwerk-noord.zip"]))
    assert "observations.csv" not in package.namelist()
    at.checkbox(key="export-observations").check().run()
    at.button(key="export-make").click().run()
    package = zipfile.ZipFile(io.BytesIO(made_files(at)["netwerk-noord.zip"]))
    journal = package.read("observations.csv").decode("utf-8")
    assert '"\'=ZEER GEHEIM"' in journal  # in the file, and never as a formula


def test_small_numbers_are_left_out_and_counted_when_asked(world, engine):  # noqa: F811
    with session_scope(engine) as session:
        factories.measure(session, code="meldingen", name="Meldingen", kind="count")
        from tracker.services.measurement_entry import save_measurement

        save_measurement(
            session,
            world["noord"],
            "meldingen",
            period=pd.Timestamp("2021-02-01").date(),
            count=3,
            exposure=1200,
            actor=factories.ACTOR,
        )
    at = open_page(EXPORT, role="analyst", pilot="netwerk-noord")
    at.checkbox(key="export-suppress").check().run()
    assert at.number_input(key="export-threshold").value == 5
    make(at, tables=["measurements"], fmt="csv-nl")
    text = made_files(at)["netwerk-noord-measurements.csv"].decode("utf-8-sig")
    assert '"meldingen";2021-02-01;;"pilot";;;;"<5";"1200";;"count"' in text
    assert "1 cel(len) met een aantal onder 5 weggelaten." in [c.value for c in at.caption]


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_the_page_refuses_roles_that_may_not_export(world, role):  # noqa: F811
    at = open_page(EXPORT, role=role)
    assert not at.get("download_button")
    assert [e.value[:43] for e in at.error] == ["Deze pagina is niet beschikbaar voor uw rol"]
    with pytest.raises(KeyError):
        at.button(key="export-make")
