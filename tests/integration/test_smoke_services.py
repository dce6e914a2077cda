from tests import factories
from tracker.services.pilots import list_pilot_summaries


def test_pilot_with_hypothesis_is_listed(session):
    factories.measure(session)
    p = factories.pilot(session)
    factories.hypothesis(session, p.id)
    [summary] = list_pilot_summaries(session)
    assert (summary.title, summary.hypotheses, summary.measurements) == (
        "Netwerkbijeenkomsten Noord",
        1,
        0,
    )
