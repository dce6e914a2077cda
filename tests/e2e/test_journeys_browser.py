"""Journeys in a real browser: an officer registers a pilot and enters its data, a manager
filters the portfolio and opens a shared link, and a reader switches the app to English.

The database is SQLite, seeded through the services with a continuous measure and two pilots
(Amsterdam and Utrecht, with data, an intervention, a journal note and verdicts). The manager
and language journeys share one `streamlit run` for the module; the officer journey and the
export check each get a server of their own that has only run the overview, as just after a
restart, so that what they see does not depend on which pages other tests opened first.
Each step saves a screenshot in artifacts/e2e/journey-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    NOORD,
    assert_no_message_keys,
    choose_in_multiselect,
    choose_in_selectbox,
    column_header,
    grid_cell,
    main_area,
    monthly_csv,
    open_and_wait,
    open_expanders,
    running_app,
    seed_two_pilots,
    set_date,
    set_text,
    settle,
    shoot,
    squash,
    wait_quiet,
)
from tracker.analysis.verdict import VERDICTS

pytestmark = pytest.mark.e2e

NEW_TITLE = "Buurtcirkels Oost"
NEW_SLUG = "buurtcirkels-oost"
MEASURE_OPTION = "Eén-op-één-contacten per maand (contacten)"


@pytest.fixture(scope="module")
def app_url(chromium, tmp_path_factory) -> Iterator[str]:
    """The app on two seeded pilots, for the manager and language journeys."""
    with running_app(chromium, tmp_path_factory.mktemp("journeys"), seed_two_pilots) as base:
        yield base


@pytest.fixture
def fresh_app_url(chromium, tmp_path_factory) -> Iterator[str]:
    """A server of its own that has run only the overview, as just after a restart (the
    codebook holds one continuous measure: "Eén-op-één-contacten per maand")."""
    with running_app(chromium, tmp_path_factory.mktemp("fresh"), seed_two_pilots) as base:
        yield base


def _no_exception(page) -> None:
    """A Python exception in the app shows as an stException box; a journey never sees one."""
    expect(page.get_by_test_id("stException")).to_have_count(0)


# --- 1. officer: new pilot → data → verdict -------------------------------------------------


def _add_hypothesis(
    page, *, if_text: str, then_text: str, because: str, delta: str, relative: bool
) -> None:
    main = main_area(page)
    set_text(page, "Als we …", if_text, scope=main)
    set_text(page, "dan …", then_text, scope=main)
    set_text(page, "omdat …", because, scope=main)
    choose_in_selectbox(page, "Verwachte richting", "daling", scope=main)
    set_text(page, "Kleinste betekenisvolle effect (δ)", delta, scope=main)
    if relative:
        label = "δ is een percentage van de nulmeting"
        main.get_by_test_id("stCheckbox").filter(has_text=label).click()  # as a reader does
        expect(main.get_by_label(label)).to_be_checked()
    main.get_by_role("button", name="Hypothese toevoegen").click()
    settle(page)


def test_officer_registers_a_pilot_uploads_data_and_reads_the_verdict(
    page, fresh_app_url, tmp_path
):
    main = main_area(page)
    app_url = fresh_app_url

    # Step 1: context. The intervention started in the past, so registration will be late.
    open_and_wait(page, f"{app_url}/nieuwe-pilot", role="officer")
    expect(main.get_by_text("Stap 1 van 3: context")).to_be_visible()
    set_text(page, "Titel", NEW_TITLE, scope=main)
    set_text(page, "Gemeente", "Amsterdam", scope=main)
    set_text(page, "CBS-gemeentecode (GM + 4 cijfers)", "GM0363", scope=main)
    choose_in_multiselect(page, "Domeinen (meer dan één mag)", "Wmo", scope=main)
    set_date(page, "Start nulmeting", dt.date(2020, 1, 1), scope=main)
    set_date(page, "Start interventie", dt.date(2021, 1, 1), scope=main)
    set_date(page, "Einde evaluatie", dt.date(2022, 12, 31), scope=main)
    assert_no_message_keys(page)
    shoot(page, "journey-officer-1-context")
    main.get_by_role("button", name="Volgende").click()
    settle(page)
    _no_exception(page)
    expect(main.get_by_text("Stap 2 van 3: hypothesen")).to_be_visible()
    assert_no_message_keys(page)

    # Step 2: two hypotheses on the codebook's measure.
    expect(main.get_by_role("combobox", name="Indicator uit het codeboek")).to_have_value(
        MEASURE_OPTION
    )
    _add_hypothesis(
        page,
        if_text="we buurtcirkels starten",
        then_text="daalt het aantal contacten met het wijkteam",
        because="buren elkaar helpen",
        delta="10",
        relative=True,
    )
    expect(main.get_by_text("H1", exact=True)).to_be_visible()
    choose_in_selectbox(page, "Opzet", "voor-en-na", scope=main)
    settle(page)
    _add_hypothesis(
        page,
        if_text="we vrijwilligers trainen",
        then_text="daalt het aantal contacten blijvend",
        because="vrijwilligers vragen eerder oppakken",
        delta="3",
        relative=False,
    )
    expect(main.get_by_text("H2", exact=True)).to_be_visible()
    shoot(page, "journey-officer-2-hypotheses")
    main.get_by_role("button", name="Volgende").click()
    settle(page)

    # Step 3: review and register.
    expect(main.get_by_text("Stap 3 van 3: controleren en vastleggen")).to_be_visible()
    expect(main.get_by_role("heading", name=NEW_TITLE)).to_be_visible()
    assert_no_message_keys(page)
    shoot(page, "journey-officer-3-review")
    main.get_by_role("button", name="Pilot aanmaken en hypothesen vastleggen").click()
    settle(page)
    _no_exception(page)
    expect(main.get_by_text(f"Pilot ‘{NEW_TITLE}’ is aangemaakt en 2 hypothese(n)")).to_be_visible()
    shoot(page, "journey-officer-4-registered")

    # The link opens the new pilot; its hypotheses are locked and marked as registered late.
    main.get_by_role("link", name="Open de pilot").click()
    settle(page)
    expect(page).to_have_url(re.compile(rf"/pilot\?.*pilot={NEW_SLUG}"))
    expect(main.get_by_role("heading", name=NEW_TITLE, level=1)).to_be_visible()
    expect(main.get_by_text("Te laat vastgelegd", exact=False)).to_have_count(2)

    # Metingen: a broken file is refused with one line per bad row, and nothing is saved.
    main.get_by_role("tab", name="Metingen").click()
    settle(page)
    broken = tmp_path / "kapot.csv"
    broken.write_text("period,value\n2020-01-01,50\n2020-13-01,49\n2020-03-01,veel\n")
    # The tidy-file uploader (the tab also has one for CBS StatLine files).
    uploader = (
        main.get_by_test_id("stFileUploader")
        .filter(has_text="Kies een bestand")
        .get_by_test_id("stFileUploaderDropzoneInput")
    )
    uploader.set_input_files(broken)
    settle(page)
    main.get_by_role("button", name="Alles opslaan").click()
    settle(page)
    expect(main.get_by_text("2 fout(en) in kapot.csv; er is niets opgeslagen")).to_be_visible()
    errors = main.get_by_test_id("stDataFrame").last
    expect(column_header(errors, "Rij")).to_have_count(1)
    expect(column_header(errors, "Kolom")).to_have_count(1)
    expect(grid_cell(errors, "3")).to_have_count(1)
    expect(grid_cell(errors, "4")).to_have_count(1)
    expect(grid_cell(errors, "veel")).to_have_count(1)
    shoot(page, "journey-officer-5-upload-errors")

    # A good file: 24 months, 2020-01 … 2021-12, with a clear drop from 2021-01 on.
    good = tmp_path / "metingen.csv"
    good.write_text(
        monthly_csv(dt.date(2020, 1, 1), 24, level=50, jump=-10, start=dt.date(2021, 1, 1))
    )
    uploader.set_input_files(good)
    settle(page)
    main.get_by_role("button", name="Alles opslaan").click()
    settle(page)
    _no_exception(page)
    expect(main.get_by_text("metingen.csv: 24 metingen toegevoegd")).to_be_visible()
    shoot(page, "journey-officer-6-upload-saved")

    # Analyse: a verdict in words for each hypothesis, and the charts.
    main.get_by_role("tab", name="Analyse").click()
    settle(page)
    expect(page).to_have_url(re.compile(r"tab=Analyse"))
    panel = main.get_by_role("tabpanel")
    expect(panel.get_by_text(re.compile(r"^Ondersteund\."))).to_have_count(2)
    expect(panel.locator(".js-plotly-plot")).to_have_count(3)  # forest plot, H1 and H2 series
    assert_no_message_keys(page)
    shoot(page, "journey-officer-7-analysis")


def test_analyst_downloads_the_results_csv_and_pandas_reads_it(page, fresh_app_url):
    """Export right after a restart (its texts must not depend on another page having run):
    the analyst chooses a pilot, makes the export and downloads the results and measurements."""
    main = main_area(page)
    open_and_wait(page, f"{fresh_app_url}/export", role="analyst")
    _no_exception(page)
    expect(main.get_by_role("heading", name="Export", level=1)).to_be_visible()
    shoot(page, "journey-export-1-first-page-after-restart")
    assert_no_message_keys(page)
    choose_in_selectbox(page, "Kies een pilot", "Netwerkbijeenkomsten Noord", scope=main)
    settle(page)
    expect(page).to_have_url(re.compile(rf"pilot={NOORD}"))  # a shareable address
    main.get_by_role("button", name="Export maken").click()
    settle(page)
    _no_exception(page)
    shoot(page, "journey-export-2-files-ready")
    with page.expect_download() as download:
        main.get_by_role("button", name=f"Download {NOORD}-results.csv").click()
    assert download.value.suggested_filename == f"{NOORD}-results.csv"
    results = pd.read_csv(download.value.path())
    assert list(results["pilot"]) == [NOORD]
    assert list(results.columns[:4]) == ["pilot", "hypothesis", "measure", "is_primary"]
    assert results.loc[0, "verdict"] in VERDICTS
    assert 0 <= results.loc[0, "p_value"] <= 1 and results.loc[0, "n_after"] > 0
    with page.expect_download() as download:
        main.get_by_role("button", name=f"Download {NOORD}-measurements.csv").click()
    measurements = pd.read_csv(download.value.path(), parse_dates=["period"])
    assert len(measurements) == 36  # the seeded months
    assert measurements["value"].dtype == "float64"
    assert_no_message_keys(page)


# --- 2. manager: filter the portfolio, open a shared link -----------------------------------


def test_manager_filters_by_municipality_and_opens_a_shared_link(page, app_url, fresh_page):
    main = main_area(page)
    open_and_wait(page, app_url, role="manager")
    expect(grid_cell(main, "Netwerkbijeenkomsten Noord")).to_have_count(1)
    expect(grid_cell(main, "Mentoren Zuid")).to_have_count(1)
    shoot(page, "journey-manager-1-overview")

    choose_in_multiselect(page, "Gemeente", "Utrecht", scope=main)
    settle(page)
    _no_exception(page)
    expect(page).to_have_url(re.compile(r"[?&]gemeente=Utrecht(&|$)"))
    expect(grid_cell(main, "Mentoren Zuid")).to_have_count(1)
    expect(grid_cell(main, "Netwerkbijeenkomsten Noord")).to_have_count(0)
    expect(grid_cell(main, "Utrecht")).to_have_count(1)
    expect(grid_cell(main, "Amsterdam")).to_have_count(0)
    expect(main.get_by_text(re.compile(r"^1 van \d+ pilots$"))).to_be_visible()
    shoot(page, "journey-manager-2-filtered")

    # The filtered address, opened by a colleague, shows the same selection.
    colleague = fresh_page()
    open_and_wait(colleague, page.url, role="manager")
    expect(grid_cell(main_area(colleague), "Mentoren Zuid")).to_have_count(1)
    expect(grid_cell(main_area(colleague), "Netwerkbijeenkomsten Noord")).to_have_count(0)

    # A shared link to a pilot's analysis opens that pilot on that tab.
    shared = fresh_page()
    open_and_wait(shared, f"{app_url}/pilot?pilot={NOORD}&tab=Analyse", role="manager")
    _no_exception(shared)
    there = main_area(shared)
    expect(there.get_by_role("heading", name="Netwerkbijeenkomsten Noord", level=1)).to_be_visible()
    expect(shared.locator('[role="tab"][aria-selected="true"]')).to_have_text("Analyse")
    expect(there.get_by_role("tabpanel").locator(".js-plotly-plot")).to_have_count(2)
    shoot(shared, "journey-manager-3-shared-link")


# --- 4. officer: lessons → override with a reason → publish → PDF -----------------------------


def test_officer_edits_the_recommendation_publishes_and_downloads_the_pdf(
    page, fresh_app_url, tmp_path
):
    from pypdf import PdfReader

    main = main_area(page)
    open_and_wait(page, f"{fresh_app_url}/pilot?pilot={NOORD}&tab=Lessen", role="officer")
    _no_exception(page)
    expect(page.locator('[role="tab"][aria-selected="true"]')).to_have_text("Lessen")
    expect(
        main.get_by_role("heading", name="Lessen uit de pilot: Netwerkbijeenkomsten Noord")
    ).to_be_visible()
    for heading in ("3. Wat er gebeurde", "8. Aanbeveling"):
        expect(main.get_by_role("heading", name=heading)).to_be_visible()
    shoot(page, "journey-lessons-1-draft")

    main.get_by_text("Aanvullen", exact=True).click()
    wait_quiet(page)
    options = main.get_by_role("radiogroup")
    proposed = options.locator("label:has(input:checked)").inner_text().strip()
    assert proposed in ("opschalen", "bijstellen", "stoppen", "doorgaan met meten"), proposed
    choice = "bijstellen" if proposed != "bijstellen" else "stoppen"
    options.get_by_text(choice, exact=True).click()
    reason = "De wethouder wil de aanpak eerst in een tweede wijk bijsturen."
    main.get_by_label("Reden (verplicht als u afwijkt van het voorstel)", exact=True).fill(reason)
    main.get_by_role("button", name="Concept opslaan").click()
    settle(page)
    _no_exception(page)
    expect(main.get_by_text("Concept opgeslagen.")).to_be_visible()
    expect(
        main.get_by_text(
            f"De beleidsmedewerker wijkt af van het voorstel ({proposed})", exact=False
        )
    ).to_be_visible()
    shoot(page, "journey-lessons-2-overridden")

    main.get_by_role("button", name="Publiceren").click()
    settle(page)
    _no_exception(page)
    expect(main.get_by_text("Versie 1 is gepubliceerd.")).to_be_visible()
    expect(main.get_by_text(re.compile(r"^Deze versie is bevroren"))).to_be_visible()
    shoot(page, "journey-lessons-3-published")

    with page.expect_download() as caught:
        main.get_by_role("button", name="PDF").click()
    download = caught.value
    assert download.suggested_filename == f"lessen-{NOORD}-v1.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    text = squash(" ".join(p.extract_text() for p in PdfReader(saved).pages))
    assert "8. Aanbeveling" in text
    assert f"Besluit: {choice}." in text and reason in text
    assert "Gepubliceerde versie 1" in text


# --- 3. language: every fixed label in English ----------------------------------------------

# The pages' fixed texts: headings, tabs, buttons, expanders, widget labels, table headers
# (the hidden grid behind Streamlit's canvas table), navigation, alerts, captions, paragraphs
# and the text in the Plotly charts. Only what is visible counts (not the hidden tabs).
_VISIBLE_TEXTS_JS = """(root) => {
    const seen = (e) => e.checkVisibility({ visibilityProperty: true, opacityProperty: false });
    const out = [];
    const add = (kind, e, text) => {
        const t = (text ?? e.innerText ?? e.textContent ?? "").replace(/\\s+/g, " ").trim();
        if (t) out.push([kind, t]);
    };
    const visible = (selector, kind) => root.querySelectorAll(selector).forEach(
        (e) => { if (seen(e)) add(kind, e); });
    visible("h1, h2, h3, h4, h5, h6", "heading");
    visible('[role="tab"]', "tab");
    visible("button", "button");
    visible('[data-testid="stExpander"] summary', "expander");
    visible('[data-testid="stWidgetLabel"]', "label");
    visible('[data-testid="stSidebarNav"] a, [data-testid="stNavSectionHeader"]', "navigation");
    visible('[data-testid="stAlert"], [data-testid="stCaptionContainer"]', "message");
    visible('[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li',
        "text");
    visible('[data-testid="stProgress"]', "progress");
    visible(".js-plotly-plot text", "chart");
    root.querySelectorAll('[role="columnheader"]').forEach((e) => {
        const table = e.closest('[data-testid="stDataFrame"]');
        if (!table || seen(table)) add("table header", e, e.textContent);
    });
    return out;
}"""


def _visible_texts(page) -> list[tuple[str, str]]:
    """The texts on screen. Streamlit's table keeps only the columns in view in its hidden
    grid, so each table is also scrolled to its right end and read again."""
    texts = [tuple(item) for item in page.locator("body").evaluate(_VISIBLE_TEXTS_JS)]
    scrollers = page.locator('[data-testid="stDataFrame"] .dvn-scroller')
    if scrollers.count():
        scrollers.evaluate_all("els => els.forEach((e) => { e.scrollLeft = e.scrollWidth; })")
        wait_quiet(page)
        texts += [tuple(item) for item in page.locator("body").evaluate(_VISIBLE_TEXTS_JS)]
        scrollers.evaluate_all("els => els.forEach((e) => { e.scrollLeft = 0; })")
    return list(dict.fromkeys(texts))


def _catalogue() -> dict[str, dict[str, str]]:
    """Every interface text, Dutch and English: the app's message catalogue (filled when the
    tracker.ui modules are imported) and the chart texts of tracker.charts."""
    import tracker.ui
    import tracker.ui.codebook_view
    import tracker.ui.new_pilot_view
    import tracker.ui.pilot_view
    import tracker.ui.portfolio_view  # noqa: F401
    from tracker import charts
    from tracker.i18n import MESSAGES

    texts = {key: entry for key, entry in MESSAGES.items() if key.startswith("ui.")}
    for name, table in vars(charts).items():
        if isinstance(table, dict) and all(
            isinstance(v, dict) and {"nl", "en"} <= set(v) for v in table.values()
        ):
            texts |= {f"charts.{name}.{key}": entry for key, entry in table.items()}
    return texts


def _pattern(text: str) -> re.Pattern[str]:
    """A catalogue text as it reads on screen: markdown marks gone, placeholders any text."""
    plain = squash(text.replace("**", ""))
    return re.compile(".+?".join(re.escape(part) for part in re.split(r"\{\w+\}", plain)))


def _shown(pattern: re.Pattern[str], texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in texts if pattern.fullmatch(text)]


def _assert_english(texts: list[tuple[str, str]], expected_keys: list[str], where: str) -> None:
    """No text on screen is a Dutch catalogue text; the English texts of ``expected_keys``
    (keys or key prefixes ending in '.') are all on screen."""
    catalogue = _catalogue()
    english = {squash(entry["en"].replace("**", "")) for entry in catalogue.values()}
    dutch_left = {
        key: found
        for key, entry in catalogue.items()
        if entry["nl"] != entry["en"] and squash(entry["nl"].replace("**", "")) not in english
        if (found := _shown(_pattern(entry["nl"]), texts))
    }
    assert not dutch_left, f"Dutch texts left on the English {where}: {dutch_left}"
    keys = [
        key
        for wanted in expected_keys
        for key in sorted(catalogue)
        if key == wanted or (wanted.endswith(".") and key.startswith(wanted))
    ]
    missing = {
        key: catalogue[key]["en"]
        for key in keys
        if not _shown(_pattern(catalogue[key]["en"]), texts)
    }
    assert not missing, f"English texts missing on the {where}: {missing}\nshown: {texts}"


OVERVIEW_KEYS = [
    "ui.nav.",
    "ui.language.label",
    "ui.home.title",
    "ui.home.intro",
    "ui.home.how",
    "ui.home.loop",
    "ui.home.pilots",
    "ui.portfolio.filters",
    "ui.portfolio.municipality",
    "ui.portfolio.domain",
    "ui.portfolio.status",
    "ui.portfolio.strategy",
    "ui.portfolio.count",
    "ui.portfolio.col.",
    "ui.portfolio.charts",
]
PILOT_KEYS = [
    "ui.nav.",
    "ui.pilot.choose",
    "ui.tab.",
    "ui.hyp.heading",
    "ui.hyp.facts",
    "ui.hyp.registered",
    "ui.hyp.late",
    "ui.hyp.amend",
    "ui.hyp.amend_field",
    "ui.hyp.amend_value",
    "ui.hyp.amend_reason",
    "ui.m.measure",
    "ui.m.form",
    "ui.m.grid",
    "ui.m.grid_save",
    "ui.m.upload",
    "ui.m.file_help",
    "ui.m.file",
    "ui.m.period",
    "ui.m.group",
    "ui.m.value",
    "ui.m.area",
    "ui.m.replace",
    "ui.m.save",
    "ui.i.add",
    "ui.i.date",
    "ui.i.title",
    "ui.i.kind",
    "ui.i.status",
    "ui.i.description",
    "ui.o.add",
    "ui.o.kind",
    "ui.o.text",
    "ui.o.hypothesis",
    "ui.a.method",
    "ui.a.forest",
    "ui.a.numbers",
    "ui.l.version",
    "ui.l.download",
    "ui.l.edit",
    "ui.l.publish",
    "report.s.",
]
NEW_PILOT_KEYS = [
    "ui.nav.",
    "ui.np.step",
    "ui.np.title",
    "ui.np.aim",
    "ui.np.municipality",
    "ui.np.municipality_code",
    "ui.np.domains",
    "ui.np.areas",
    "ui.np.partners",
    "ui.np.strategy",
    "ui.np.baseline_start",
    "ui.np.intervention_start",
    "ui.np.evaluation_end",
    "ui.np.next",
]
TAB_KEYS = ["setup", "measurements", "interventions", "journal", "analysis", "lessons", "history"]


def test_reader_switches_to_english_and_every_fixed_label_follows(page, app_url):
    catalogue = _catalogue()
    sidebar = page.get_by_test_id("stSidebar")
    main = main_area(page)

    # Overview: switch with the sidebar selector.
    open_and_wait(page, app_url)
    expect(main.get_by_role("heading", name=catalogue["ui.home.title"]["nl"])).to_be_visible()
    choose_in_selectbox(page, "Taal / Language", "English", scope=sidebar)
    settle(page)
    expect(page).to_have_url(re.compile(r"[?&]lang=en(&|$)"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(main.get_by_role("heading", name=catalogue["ui.home.title"]["en"])).to_be_visible()
    expect(main.locator(".js-plotly-plot")).to_have_count(2)
    open_expanders(page)
    assert_no_message_keys(page)
    _assert_english(_visible_texts(page), OVERVIEW_KEYS, "overview")
    shoot(page, "journey-language-1-overview-en")

    # Pilot page, through the navigation; the language stays.
    sidebar.get_by_role("link", name=catalogue["ui.nav.pilot"]["en"], exact=True).click()
    settle(page)
    choose_in_selectbox(page, catalogue["ui.pilot.choose"]["en"], "Netwerkbijeenkomsten Noord")
    settle(page)
    expect(page).to_have_url(re.compile(rf"pilot={NOORD}"))
    expect(page).to_have_url(re.compile(r"[?&]lang=en(&|$)"))
    texts = []
    for name in TAB_KEYS:
        main.get_by_role("tab", name=catalogue[f"ui.tab.{name}"]["en"], exact=True).click()
        settle(page)
        _no_exception(page)
        open_expanders(page)
        assert_no_message_keys(page)
        texts += _visible_texts(page)
        shoot(page, f"journey-language-2-pilot-{name}-en")
    _assert_english(texts, PILOT_KEYS, "pilot page")

    # New pilot, step 1.
    sidebar.get_by_role("link", name=catalogue["ui.nav.new_pilot"]["en"], exact=True).click()
    settle(page)
    expect(main.get_by_role("heading", name=catalogue["ui.nav.new_pilot"]["en"])).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]lang=en(&|$)"))
    open_expanders(page)
    assert_no_message_keys(page)
    _assert_english(_visible_texts(page), NEW_PILOT_KEYS, "new-pilot page")
    shoot(page, "journey-language-3-new-pilot-en")
