"""pages.ui.figures.figure and plot: cached figures are built once, thinned once, and never changed."""
import json

import numpy as np
from streamlit.testing.v1 import AppTest

from gan_core.lessons import viz


def _args(theta_now=1.0):
    thetas = np.linspace(-3.0, 3.0, 2001)  # long enough to be thinned for display
    return thetas, thetas ** 2, np.minimum(np.abs(thetas), np.log(2)), np.abs(thetas), theta_now, "nats"


def test_figure_is_built_once_per_distinct_arguments_and_thinned():
    from pages.ui.figures import figure

    first = figure(viz.sweep_figure, *_args())
    assert figure(viz.sweep_figure, *_args()) is first  # equal arguments (new arrays): the cached figure
    other = figure(viz.sweep_figure, *_args(theta_now=2.0))
    assert other is not first

    direct = viz.thin_lines(viz.sweep_figure(*_args()))
    assert len(first.data) == len(direct.data)
    for cached, built in zip(first.data, direct.data):
        assert len(cached.x) <= viz.DISPLAY_POINTS or (cached.mode and "markers" in cached.mode)
        np.testing.assert_array_equal(np.asarray(cached.x), np.asarray(built.x))
        np.testing.assert_array_equal(np.asarray(cached.y), np.asarray(built.y))


def _presenter_script():
    import numpy as np
    import streamlit as st

    from gan_core.lessons import viz
    from pages.ui.figures import figure, plot

    st.session_state["present"] = st.session_state.get("present_on", False)
    thetas = np.linspace(-3.0, 3.0, 2001)
    fig = figure(viz.sweep_figure, thetas, thetas ** 2, np.abs(thetas), np.abs(thetas), 1.0, "nats")
    st.session_state["height_before"] = fig.layout.height
    plot(fig, key="shared")
    st.session_state["height_after"] = fig.layout.height


def test_presenter_mode_enlarges_a_copy_and_leaves_the_shared_figure_alone():
    at = AppTest.from_function(_presenter_script)
    at.run()
    assert not at.exception
    normal = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]

    at.session_state["present_on"] = True
    at.run()
    assert not at.exception
    big = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert big["font"]["size"] == 20 and big["height"] > normal["height"]
    # The cached figure itself kept its size, on this run and for the next visitor.
    assert at.session_state["height_before"] == at.session_state["height_after"] == normal["height"]
    at.session_state["present_on"] = False
    at.run()
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["height"] == normal["height"]


def _titled_script():
    import plotly.graph_objects as go
    import streamlit as st

    from gan_core.lessons import viz
    from pages.ui.figures import plot

    fig = viz.layout(go.Figure(go.Scatter(x=[0, 1], y=[0, 1], name="a legend entry")),
                     "A long title that ran off the chart's edge and under its legend at 1280 pixels")
    plot(fig, key="titled")
    st.session_state["title_after"] = fig.layout.title.text


def test_a_charts_title_is_text_above_it_and_the_figure_keeps_its_own():
    at = AppTest.from_function(_titled_script)
    at.run()
    assert not at.exception
    title = "A long title that ran off the chart's edge and under its legend at 1280 pixels"
    assert any(title in m.value and "gan-chart-title" in m.value for m in at.markdown)
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert "text" not in layout.get("title", {})  # not drawn inside the figure, where it was cut
    assert layout["margin"]["t"] >= 30  # room for the legend above the plot
    assert at.session_state["title_after"] == title  # the (shared) figure is unchanged: downloads keep it
