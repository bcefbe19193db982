"""The fit figure a user puts next to their data: readable ticks, legends off the data, and the fitted
parameters (with standard errors and units) written on it."""

import numpy as np
import pytest

from spinbath.analysis import TauData, fit_relaxation, parse_model
from spinbath.analysis.fit_plot import plot_fit
from spinbath.plotting import capture_figure, plt

from figure_checks import figure_problems

TRUE = dict(tau0=1e-11, U_eff=1760.0, C=1e-6, n=3.0, tau_QTM=1e3)


@pytest.mark.parametrize("T_range", [(2.0, 100.0), (2.0, 9.0), (10.0, 300.0)])
def test_fit_figure_ticks_do_not_overprint_and_parameters_are_shown(T_range):
    T = np.geomspace(*T_range, 30)
    tau = parse_model("orbach+raman+qtm").tau(TRUE, T) * np.exp(0.05 * np.random.default_rng(1).standard_normal(T.size))
    result = fit_relaxation(TauData(T=T, tau=tau, err=0.05 * tau), "orbach+raman+qtm")
    with capture_figure() as cap:
        plot_fit(result, "fit.png")
    fig = cap.figure
    try:
        assert figure_problems(fig) == []
        text = "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and callable(a.get_text))
                         if isinstance(t.get_text(), str))
        assert "fitted parameters" in text
        for name, e in result.parameters.items():
            assert r"\pm" in text
        u = result.parameters["U_eff"]
        # U_eff as on the figure: value and error to the error's second significant digit, in K.
        assert f"{u.value:.0f}"[:2] in text and "K" in text
    finally:
        plt.close(fig)
