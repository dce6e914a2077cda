"""The pooled forest plot (tracker.charts.pooled_forest_plot): the pilots, the pooled diamond
and the prediction interval, readable without colour and in one language."""

from __future__ import annotations

import pytest

from tracker.analysis.pooling import Study, pool_effects
from tracker.charts import TEXT, pooled_forest_plot

STUDIES = [
    Study("Apeldoorn", -0.30, 0.10),
    Study("Utrecht", -0.10, 0.12),
    Study("Rotterdam", -0.45, 0.20),
    Study("Aa en Hunze", 0.05, 0.15),
]


def traces(fig):
    return {trace.name: trace for trace in fig.data}


def test_pilots_diamond_and_prediction_interval_are_drawn_from_the_result():
    result = pool_effects(STUDIES)
    fig = pooled_forest_plot(result, lang="nl")
    drawn = traces(fig)
    assert set(drawn) == {
        "Schatting per pilot",
        "Gepoold effect",
        "Voorspellingsinterval volgende pilot",
    }
    pilots = drawn["Schatting per pilot"]
    assert list(pilots.x) == [s.estimate for s in STUDIES]
    assert list(pilots.error_x.array) == pytest.approx([1.959963984540054 * s.se for s in STUDIES])
    sizes = list(pilots.marker.size)
    weights = list(result.weights)
    assert sizes.index(max(sizes)) == weights.index(max(weights))  # the heaviest is biggest
    diamond = drawn["Gepoold effect"]
    assert min(diamond.x) == pytest.approx(result.ci_low)
    assert max(diamond.x) == pytest.approx(result.ci_high)
    assert diamond.fillpattern.shape == "x"  # not colour alone
    prediction = drawn["Voorspellingsinterval volgende pilot"]
    assert list(prediction.x) == pytest.approx([result.pi_low, result.pi_high])
    assert prediction.line.dash == "dash"
    assert list(fig.layout.yaxis.ticktext) == [
        "Apeldoorn",
        "Utrecht",
        "Rotterdam",
        "Aa en Hunze",
        "Gepoold effect",
        "Voorspellingsinterval volgende pilot",
    ]
    assert fig.layout.meta["description"].startswith("Gepoold effect van 4 pilots: ")


def test_too_few_pilots_say_how_many_more_are_needed():
    fig = pooled_forest_plot(pool_effects(STUDIES[:2]), lang="nl")
    assert set(traces(fig)) == {"Schatting per pilot"}
    texts = [a.text for a in fig.layout.annotations]
    assert "Nog 1 pilot(s) nodig voor een gepoold effect (2 van de 3)" in texts


@pytest.mark.parametrize("studies", [STUDIES, STUDIES[:1]])
def test_the_english_figure_has_no_dutch_text(studies):
    fig = pooled_forest_plot(pool_effects(studies), lang="en")
    shown = fig.to_json()
    keys = ("pilot_estimates", "pooled", "prediction", "too_few", "describe_pooled")
    for key in keys:
        dutch = TEXT[key]["nl"].split("{")[0].strip()
        assert dutch not in shown, key


def test_the_axis_names_the_scale_when_told():
    from tracker.analysis.pooling import Study, pool_effects
    from tracker.charts import pooled_forest_plot

    result = pool_effects([Study("a", 1.0, 0.5), Study("b", 2.0, 0.5), Study("c", 1.5, 0.4)])
    named = pooled_forest_plot(result, lang="nl", axis_title="Verschil in uren per cliënt")
    assert named.layout.xaxis.title.text == "Verschil in uren per cliënt"
    plain = pooled_forest_plot(result, lang="nl")
    assert plain.layout.xaxis.title.text not in ("", "Verschil in uren per cliënt")
