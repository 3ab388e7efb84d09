"""Which regression labels to flag: a robust outlier rule on the residuals, stated in full.

1. Residuals r = labels - predictions, rows ordered by prediction.
2. Local centre and scale: for each row, the median m of the residuals of the w rows nearest in
   prediction (w = ceil(N^0.8), the number of points in a kernel smoother's window at the
   optimal bandwidth rate h ~ N^-1/5), and s = 1.4826 × the median of |r - m| over the same
   window (the MAD, a consistent estimate of the standard deviation under Gaussian noise). A
   local scale follows heteroscedastic noise that grows or shrinks with the predicted value.
3. s is at least h / sqrt(12), h the smallest gap between distinct labels: labels recorded on a
   grid of step h carry a rounding error of that standard deviation (Sheppard), so integer or
   tied labels never get a zero scale.
4. Flag |r - m| / s > sqrt(2 ln N), the universal threshold: the largest of N independent
   standard normal deviations stays below it with probability tending to one, so under clean
   Gaussian noise the expected number of flags stays below one.
"""

from __future__ import annotations

import numpy as np

from labelaudit.regression.rank import check_inputs

MAD_TO_SD = 1.482602218505602  # 1 / Phi^-1(3/4)
WINDOW_EXPONENT = 0.8  # window of N^(4/5) rows: the h ~ N^(-1/5) optimal-bandwidth rate


def robust_z_scores(labels, predictions) -> np.ndarray:
    """(N,) |r - m| / s of the rule above (inf where s is 0 and the residual is off-centre)."""
    import pandas as pd

    y, yhat = check_inputs(labels, predictions)
    n = len(y)
    window = min(n, int(np.ceil(n**WINDOW_EXPONENT)))
    order = np.argsort(yhat, kind="stable")
    residual = (y - yhat)[order]
    # Row j's window is sorted positions [start, start + w), kept inside the array; a trailing
    # rolling median ending at start + w - 1 covers exactly it.
    end = np.clip(np.arange(n) - window // 2, 0, n - window) + window - 1
    centre = pd.Series(residual).rolling(window).median().to_numpy()[end]
    deviation = np.abs(residual - centre)
    scale = pd.Series(deviation).rolling(window).median().to_numpy()[end] * MAD_TO_SD
    distinct = np.unique(y)
    step = float(np.min(np.diff(distinct))) if len(distinct) > 1 else 0.0
    scale = np.maximum(scale, step / np.sqrt(12.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, deviation / scale, np.where(deviation > 0, np.inf, 0.0))
    out = np.empty(n)
    out[order] = z
    return out


def threshold(n: int) -> float:
    """The universal threshold sqrt(2 ln N) (at least 0 for tiny N)."""
    return float(np.sqrt(2.0 * np.log(max(n, 1))))


def find_label_issues(labels, predictions) -> np.ndarray:
    """(N,) bool: the rows the rule above flags."""
    z = robust_z_scores(labels, predictions)
    return z > threshold(len(z))
