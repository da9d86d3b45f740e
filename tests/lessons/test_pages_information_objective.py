"""The first two lessons and the home page under AppTest, at default and extreme settings."""
import json
import math

import pytest

from apptest_helpers import assert_clean, open_page, visible_text

IT = "pages/information_theory.py"
GO = "pages/gan_objective.py"


def test_home_page_links_every_lesson():
    at = open_page("pages/home.py")
    assert_clean(at)
    text = visible_text(at)
    assert "Information theory" in str([link.label for link in at.get("page_link")]) or "Information" in text


def test_home_page_draws_the_journey_in_the_lessons_order():
    import re

    from gan_core.lessons import viz
    from pages.ui.chrome import LESSONS

    at = open_page("pages/home.py")
    dot = viz.journey_dot([(lesson.title, lesson.section) for lesson in LESSONS])
    assert at.get("graphviz_chart")[0].proto.spec == dot
    labels = re.findall(r'n(\d+) \[label="(\d+)\. ([^"]+)"\]', dot)
    assert [(int(n), int(k), t) for n, k, t in labels] == [(i, i + 1, les.title) for i, les in enumerate(LESSONS)]
    assert re.findall(r"n(\d+) -> n(\d+);", dot) == [(str(i), str(i + 1)) for i in range(len(LESSONS) - 1)]
    assert dot.count("subgraph cluster_") == len({lesson.section for lesson in LESSONS})
    assert any("min_G" in str(latex.value) for latex in at.latex)


def test_information_theory_defaults():
    at = open_page(IT)
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    # P = (1/2, 1/4, 1/8, 1/8), Q uniform over 4: H(P) = 1.75 bits, H(P,Q) = 2 bits, KL = 0.25 bits
    assert metrics["Entropy H(P)"] == "1.75 bits"
    assert metrics["Cross-entropy H(P, Q)"] == "2 bits"
    assert metrics["KL(P ‖ Q) = H(P,Q) − H(P)"] == "0.25 bits"
    assert metrics["JS(P,Q) − JS(Q,P)"] == "0 bits"


def test_information_theory_in_nats():
    at = open_page(IT)
    at.radio(key="unit").set_value("nats").run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Entropy H(P)"] == f"{1.75 * math.log(2):.4g} nats"


def test_a_zero_in_q_shows_infinity_with_a_reason():
    at = open_page(IT)
    at.slider(key="dq3").set_value(0.0).run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["KL(P ‖ Q) = H(P,Q) − H(P)"] == "∞"
    assert "∞ because" in visible_text(at)


def test_all_zero_weights_give_a_message_not_a_crash():
    at = open_page(IT)
    for i in range(4):
        at.slider(key=f"dp{i}").set_value(0.0)
    at.run()
    assert_clean(at)
    assert any("positive weight" in e.value for e in at.error)


@pytest.mark.parametrize(
    "settings",
    [
        {"p_scale": 0.1, "q_scale": 0.1},  # std at its minimum
        {"p_scale": 3.0, "q_scale": 0.1, "p_loc": 6.0, "q_loc": -6.0},  # far apart, very different widths
        {"q_family": "gaussian", "q_loc": -1.0, "q_scale": 1.0},  # identical distributions
        {"p_family": "uniform", "q_family": "uniform", "p_loc": -5.0, "q_loc": 5.0},  # disjoint supports
        {"q_weight": 0.0},
        {"q_weight": 1.0},
        {"fit_sep": 0.0, "fit_sigma": 0.2},
        {"fit_sep": 8.0, "fit_sigma": 0.2, "fit_weight": 0.95},
    ],
)
@pytest.mark.parametrize("integrand", ["KL(P‖Q)", "Wasserstein-1"])
def test_information_theory_extremes(settings, integrand):
    at = open_page(IT)
    for key, value in settings.items():
        if key.endswith("family"):
            at.selectbox(key=key).set_value(value).run()
        else:
            at.slider(key=key).set_value(value)
    at.selectbox(key="integrand").set_value(integrand)
    at.run()
    assert_clean(at)


def test_disjoint_uniforms_show_js_at_its_ceiling():
    at = open_page(IT)
    at.selectbox(key="p_family").set_value("uniform").run()
    at.selectbox(key="q_family").set_value("uniform").run()
    at.slider(key="p_loc").set_value(-5.0)
    at.slider(key="q_loc").set_value(5.0)
    at.run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["JS as a fraction of its maximum"] == "100.0%"
    rows = at.table[0].value.set_index("measure")["value"]
    assert rows["KL(P ‖ Q)"].startswith("∞")
    assert rows["Total variation δ(P, Q)"] == "1"


def test_gan_objective_identity_holds_on_the_page():
    at = open_page(GO)
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["V(G, D*) by numerical integration"] == metrics["−log 4 + 2·JSD"]


@pytest.mark.parametrize(
    "settings",
    [
        {"data_scale": 0.1, "gen_scale": 0.1},
        {"data_weight": 0.0},
        {"data_weight": 1.0},
        {"theta": 0.0},
        {"theta": 2.0},
        {"theta": -2.0},
        {"theta": 0.05},
    ],
)
def test_gan_objective_extremes(settings):
    at = open_page(GO)
    for key, value in settings.items():
        at.slider(key=key).set_value(value)
    at.run()
    assert_clean(at)


def test_gan_objective_identical_and_disjoint_distributions():
    at = open_page(GO)
    at.selectbox(key="data_family").set_value("uniform").run()
    at.selectbox(key="gen_family").set_value("uniform").run()
    at.slider(key="data_loc").set_value(-4.0)
    at.slider(key="gen_loc").set_value(4.0)
    at.run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["V(G, D*) by numerical integration"] == "0 nats"  # -log 4 + 2 log 2
    at.slider(key="gen_loc").set_value(-4.0)
    at.slider(key="gen_scale").set_value(at.slider(key="data_scale").value)
    at.run()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["V(G, D*) by numerical integration"] == f"{-math.log(4):.4g} nats"


def test_disjoint_supports_section_reports_flat_js_and_unit_w1_slope():
    at = open_page(GO)
    at.slider(key="theta").set_value(1.5).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["KL(P‖Q)"] == "∞"
    assert metrics["JS(P, Q)"] == f"{math.log(2):.4g} nats"
    assert metrics["W1(P, Q)"] == "1.5"
    assert metrics["dJS/dθ (finite difference)"] == "0 nats per unit θ"
    assert metrics["dW1/dθ (finite difference)"] == "1 per unit θ"


def test_presenter_mode_and_permalink_render_without_error():
    at = open_page(GO)
    at.toggle(key="present").set_value(True).run()
    assert_clean(at)
    assert any(button.label == "Leave presenter mode" for button in at.button)
    at.button(key="leave_presenter").click().run()
    assert at.toggle(key="present").value is False


def test_mode_collapse_is_not_presented_as_reverse_kls_doing_and_cites_the_tutorial():
    """Issue 20 item 10: Goodfellow's NIPS 2016 tutorial (5.1.1): maximum-likelihood GANs collapse too."""
    at = open_page(IT)
    text = visible_text(at)
    assert "root of mode collapse" not in text and "the seed of mode collapse" not in text
    assert "https://arxiv.org/abs/1701.00160" in text and "5.1.1" in text
    assert "maximum-likelihood" in text


def test_the_fit_is_described_with_the_optimiser_the_code_uses(monkeypatch):
    """Issue 20 item 15: the text said L-BFGS while fit_gaussian ran BFGS."""
    from scipy import optimize

    from gan_core.lessons import toy1d

    used = []
    real = optimize.minimize
    monkeypatch.setattr(optimize, "minimize", lambda *a, **k: used.append(k["method"]) or real(*a, **k))
    toy1d.fit_gaussian(toy1d.discretise(toy1d.Toy1D("mixture", -2.0, 0.7, 0.5, 2.0, 0.7)), "reverse")
    assert set(used) == {"BFGS"}
    text = visible_text(open_page(IT))
    assert "(BFGS with the exact gradient" in text and "L-BFGS" not in text


def test_total_variation_has_no_unit_not_probability():
    """Issue 20 item 13: TV is a difference of probabilities without a logarithm; no unit, not 'probability'."""
    at = open_page(IT)
    units = at.table[0].value.set_index("measure")["unit"]
    assert units["Total variation δ(P, Q)"] == "no unit (no logarithm)"
    assert units["KL(P ‖ Q)"] == "bits"


def trace_names(at) -> list:
    return [trace.get("name") for chart in at.get("plotly_chart") for trace in json.loads(chart.proto.spec)["data"]]


def test_infinite_points_are_labelled_by_the_density_that_is_zero():
    """Issue 20 item 14: KL(Q||P) is infinite where P = 0 < Q, and the legend must say so."""
    at = open_page(IT)
    at.selectbox(key="p_family").set_value("uniform").run()
    at.selectbox(key="integrand").set_value("KL(Q‖P)").run()
    assert_clean(at)
    names = trace_names(at)
    assert "infinite here (P = 0 < Q)" in names and "infinite here (Q = 0 < P)" not in names
    at.selectbox(key="p_family").set_value("gaussian").run()
    at.selectbox(key="q_family").set_value("uniform").run()
    at.selectbox(key="integrand").set_value("KL(P‖Q)").run()
    names = trace_names(at)
    assert "infinite here (Q = 0 < P)" in names and "infinite here (P = 0 < Q)" not in names


def test_touching_uniforms_at_theta_one_tenth_show_the_computed_js_and_tv():
    """Issue 20 item 15: at θ = 0.10 the grid uniforms (51 points each, endpoints included) share one point,
    so JS = (50/51) log 2 and TV = 50/51 (counting the 50 unshared points of each), not log 2 and 1."""
    at = open_page(GO)
    at.slider(key="theta").set_value(0.1).run()
    assert_clean(at)
    text = visible_text(at)
    assert f"JS = {50 / 51 * math.log(2):.4g} nats (98.0% of log 2)" in text
    assert f"total variation = {50 / 51:.4g} (98.0% of its maximum 1)" in text
    assert "share 1 grid point" in text and "not yet at their maxima" in text
    at.slider(key="theta").set_value(0.5).run()
    text = visible_text(at)
    assert f"JS = {math.log(2):.4g} nats (100.0% of log 2)" in text and "share no grid point" in text
