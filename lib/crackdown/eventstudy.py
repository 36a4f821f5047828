"""Event-study engine: day 0 per exchange, normal-return models, abnormal returns, CARs and test statistics.

Everything works on plain pandas/numpy inputs (no data-layer dependency) and is vectorised across
securities and events:

1. :func:`build_panel` turns a wide returns frame (DatetimeIndex x symbols) into per-security arrays of
   returns on the security's *own* exchange sessions (row t = t-th session of that exchange; a missing or
   suspended day is NaN, never 0) with the benchmark's return on the same calendar date alongside.
2. :func:`make_pairs` maps each (security, event) to its day-0 session (:func:`map_event_days`) and position.
3. :func:`fit` estimates the normal-return model for every pair at once from windowed prefix sums (masked,
   nan-aware OLS), so it costs O(pairs), not O(pairs x estimation days).
4. :func:`abnormal_returns`, :func:`car`, :func:`caar_tests`, :func:`long_short` and :func:`placebo_pvalue`
   evaluate any event window from one fit; :func:`run_event_study` ties it together and returns tidy frames.

Relative days count the security's own sessions. Windows are inclusive ``(start, end)`` session offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from crackdown import announce, params, placebo
from crackdown import cumulate as cumulation
from crackdown import returns as gap
from crackdown.calendars import map_event_days, sessions
from crackdown.errors import CrackdownError, unknown_name_error

__all__ = [
    "MODELS",
    "EventStudyResult",
    "Fit",
    "ReturnPanel",
    "CUMULATE",
    "abnormal_returns",
    "ar_matrix",
    "announcement_day0",
    "build_panel",
    "caar_tests",
    "car",
    "fit",
    "long_short",
    "make_pairs",
    "map_event_days",
    "panel_from_securities",
    "placebo_pvalue",
    "run_event_study",
    "to_log_returns",
]

MODELS = ("raw", "market-adjusted", "constant-mean", "market")
DEFAULT_ESTIMATION = (-250, -11)
DEFAULT_WINDOW = (-1, 1)
DEFAULT_MIN_OBS = 100
CUMULATE = ("sum", "compound")  # CAR only, or CAR and BHAR (buy-and-hold abnormal return)
_CHUNK = 4_000  # pairs per block when estimation-window matrices are materialised
_PRODUCT_ROWS = 64  # securities per slice when _window_sums forms a product (stays in the CPU caches)
_BATTERY_CHUNK = 1_000  # pairs per block of the test battery: its working arrays stay in the CPU caches
_BATTERY_SECURITIES = 100  # the battery walks the pairs of this many securities at a time, event by event
_THREADS = 2  # worker threads for the blocked estimation-window pass (numpy releases the GIL)


# --------------------------------------------------------------------------------------------- panel


@dataclass(frozen=True)
class ReturnPanel:
    """Returns on each security's own sessions.

    ``r[t, j]`` is security j's return on the t-th session of its exchange, ``m[t, j]`` its benchmark's return
    on that same calendar date (NaN where the benchmark did not trade or none is set), ``dates[t, k]`` the
    t-th session of exchange ``mics[k]`` (NaT padding). ``f[t, j]`` is the optional second factor's return on
    the same date, treated like ``m`` (None when no security has a second factor; ``factors`` names them).
    """

    symbols: tuple[str, ...]
    exchanges: tuple[str, ...]
    benchmarks: tuple[str | None, ...]
    mics: tuple[str, ...]
    ex_code: np.ndarray
    sessions: dict[str, pd.DatetimeIndex]
    dates: np.ndarray
    r: np.ndarray
    m: np.ndarray
    first_valid: np.ndarray
    last_valid: np.ndarray
    rt: np.ndarray = field(repr=False, default=None)  # r.T, C-contiguous (N, T): fast per-pair gathers
    mt: np.ndarray = field(repr=False, default=None)
    s: np.ndarray | None = field(repr=False, default=None)  # (T, N) sessions spanned (float), or None
    st: np.ndarray | None = field(repr=False, default=None)  # s.T, C-contiguous
    factors: tuple[str | None, ...] | None = None  # second-factor symbol per security (None: none), or None
    f: np.ndarray | None = field(repr=False, default=None)  # (T, N) second factor's returns, or None
    ft: np.ndarray | None = field(repr=False, default=None)  # f.T, C-contiguous

    def __post_init__(self) -> None:
        if self.rt is None:
            object.__setattr__(self, "rt", np.ascontiguousarray(self.r.T))
            object.__setattr__(self, "mt", np.ascontiguousarray(self.m.T))
        if self.s is not None and self.st is None:
            object.__setattr__(self, "st", np.ascontiguousarray(self.s.T))
        if self.f is not None and self.ft is None:
            object.__setattr__(self, "ft", np.ascontiguousarray(self.f.T))

    @property
    def has_factor(self) -> np.ndarray:
        """Per security: whether it has a second factor (all False on a one-factor panel)."""
        if self.factors is None:
            return np.zeros(len(self.symbols), dtype=bool)
        return np.array([b is not None for b in self.factors], dtype=bool)

    def col(self, symbols: Iterable[str], parameter: str = "symbols") -> np.ndarray:
        """Column positions of ``symbols`` (CrackdownError naming ``parameter`` for an unknown one); vectorised
        (a placebo maps a million pairs)."""
        wanted = pd.Index(symbols if isinstance(symbols, (pd.Series, pd.Index, np.ndarray, list, tuple))
                          else list(symbols))
        known = pd.Index(self.symbols)
        last = ~known.duplicated(keep="last")  # build_panel's symbols are unique; else the last one counts
        pos = known[last].get_indexer(wanted)
        pos = np.where(pos >= 0, np.flatnonzero(last)[pos], -1)
        if (pos < 0).any():
            raise unknown_name_error("symbol", wanted[pos < 0][0], self.symbols, parameter)
        return pos.astype(np.int64)


def build_panel(
    returns: pd.DataFrame,
    exchanges: Mapping[str, str],
    benchmarks: Mapping[str, str | None] | str | None = None,
    symbols: Sequence[str] | None = None,
    spans: pd.DataFrame | None = None,
    factors: Mapping[str, str | None] | str | None = None,
) -> ReturnPanel:
    """Build a :class:`ReturnPanel` from a wide returns frame.

    ``returns``: DatetimeIndex x symbol columns (stocks and benchmarks), NaN for missing days.
    ``exchanges``: MIC per symbol. ``benchmarks``: one benchmark symbol for all, a mapping symbol ->
    benchmark (None/"" for none) or None. ``symbols``: the securities to study (default: every symbol of
    ``exchanges`` that has a returns column). ``spans``: sessions spanned by each return, shaped like
    ``returns`` (from :func:`crackdown.returns.gap_returns_by_exchange` / ``load_return_spans``); None means
    every return is a one-session return. A return spanning several sessions (the move across a halt,
    booked on the resumption session) is matched by the benchmark compounded over the same sessions; a
    benchmark's own multi-session return is not used as a daily one. ``factors``: an optional second factor
    per security like ``benchmarks`` (one symbol, a mapping, or None: a one-factor panel), aligned and
    compounded over spans exactly as the benchmark; a security with a factor needs a benchmark.
    """
    if symbols is None:
        symbols = [s for s in exchanges if s in returns.columns]
    symbols = list(dict.fromkeys(symbols))
    if not symbols:
        raise CrackdownError("symbols: no securities to study")
    for s in symbols:
        if s not in returns.columns:
            raise unknown_name_error("symbol", s, returns.columns, "symbols")
        if s not in exchanges:
            raise unknown_name_error("symbol", s, exchanges.keys(), "symbols")
    bench = _benchmarks_for(symbols, benchmarks)
    for b in {b for b in bench if b}:
        if b not in returns.columns:
            raise unknown_name_error("benchmark symbol", b, returns.columns, "benchmark")
    fac = _benchmarks_for(symbols, factors)
    for sym, b, bm in zip(symbols, fac, bench, strict=True):
        if b and b not in returns.columns:
            raise unknown_name_error("factor symbol", b, returns.columns, "factors")
        if b and not bm:
            raise CrackdownError(f"factors: {sym} has a second factor ({b}) but no benchmark")
    has_f = any(fac)
    exch = [exchanges[s] for s in symbols]
    mics = tuple(dict.fromkeys(exch))
    ex_code = np.array([mics.index(e) for e in exch], dtype=np.int64)
    index = pd.DatetimeIndex(returns.index)
    if len(index) == 0:
        raise CrackdownError("returns: empty returns frame")
    sess = {mic: sessions(mic, index.min(), index.max()) for mic in mics}
    n_t = max(len(v) for v in sess.values())
    r = np.full((n_t, len(symbols)), np.nan)
    m = np.full((n_t, len(symbols)), np.nan)
    dates = np.full((n_t, len(mics)), np.datetime64("NaT"), dtype="datetime64[ns]")
    values = returns.to_numpy(dtype=float)
    cidx = returns.columns.get_indexer(symbols)
    bidx = returns.columns.get_indexer([b if b else None for b in bench])  # -1 where no benchmark
    fidx = returns.columns.get_indexer([b if b else None for b in fac])  # -1 where no second factor
    span_values = _span_values(spans, returns)
    s = np.zeros((n_t, len(symbols))) if span_values is not None else None
    bs = np.zeros((n_t, len(symbols))) if span_values is not None else None
    f = np.full((n_t, len(symbols)), np.nan) if has_f else None
    fs = np.zeros((n_t, len(symbols))) if has_f and span_values is not None else None
    for k, mic in enumerate(mics):  # a handful of exchanges
        on = np.flatnonzero(ex_code == k)
        rows = index.get_indexer(sess[mic])  # -1 for sessions absent from the frame: NaN below
        n = len(sess[mic])
        absent = np.flatnonzero(rows < 0)[:, None]
        dates[:n, k] = sess[mic].to_numpy()
        r[:n, on] = values[np.ix_(rows, cidx[on])]
        r[absent, on] = np.nan
        has_b = on[bidx[on] >= 0]
        m[:n, has_b] = values[np.ix_(rows, bidx[has_b])]
        m[absent, has_b] = np.nan
        if span_values is not None:
            s[:n, on] = span_values[np.ix_(rows, cidx[on])]
            bs[:n, has_b] = span_values[np.ix_(rows, bidx[has_b])]
        if f is not None:
            has_f_k = on[fidx[on] >= 0]
            f[:n, has_f_k] = values[np.ix_(rows, fidx[has_f_k])]
            f[absent, has_f_k] = np.nan
            if fs is not None:
                fs[:n, has_f_k] = span_values[np.ix_(rows, fidx[has_f_k])]
    valid = ~np.isnan(r)
    if s is not None:
        s = np.where(valid, np.maximum(s, 1.0), 0.0)
        m = np.where(bs == 1, m, np.nan)  # the benchmark's one-session returns only
        if f is not None:
            f = np.where(fs == 1, f, np.nan)  # the factor's too
        if (s > 1).any():
            m = np.where(s > 1, gap.compound_over_spans(m, s.astype(np.int64)), m)
            if f is not None:
                f = np.where(s > 1, gap.compound_over_spans(f, s.astype(np.int64)), f)
        else:
            s = None
    any_valid = valid.any(axis=0)
    first = np.where(any_valid, valid.argmax(axis=0), n_t)
    last = np.where(any_valid, n_t - 1 - valid[::-1].argmax(axis=0), -1)
    return ReturnPanel(
        tuple(symbols), tuple(exch), tuple(bench), mics, ex_code, sess, dates, r, m, first, last, s=s,
        factors=tuple(fac) if has_f else None, f=f,
    )


def _span_values(spans: pd.DataFrame | None, returns: pd.DataFrame) -> np.ndarray | None:
    """``spans`` aligned on ``returns`` as floats, with a trailing 0 row (for sessions absent from the frame)."""
    if spans is None:
        return None
    if not isinstance(spans, pd.DataFrame):
        raise CrackdownError("spans: expected a frame shaped like the returns (dates x symbols)")
    missing = [c for c in returns.columns if c not in spans.columns]
    if missing:
        raise CrackdownError(f"spans: no column for symbol {missing[0]!r} of the returns")
    aligned = spans.reindex(index=returns.index, columns=returns.columns).to_numpy(dtype=float)
    if np.isnan(aligned).any() or (aligned < 0).any():
        raise CrackdownError("spans: expected a count of sessions >= 0 on every date of the returns")
    return np.vstack([aligned, np.zeros((1, aligned.shape[1]))])


def _benchmarks_for(symbols: list[str], benchmarks) -> list[str | None]:
    if benchmarks is None:
        return [None] * len(symbols)
    if isinstance(benchmarks, str):
        return [benchmarks] * len(symbols)
    out = []
    for s in symbols:
        b = benchmarks.get(s)
        out.append(b if isinstance(b, str) and b else None)
    return out


def panel_from_securities(
    returns: pd.DataFrame,
    securities: pd.DataFrame,
    symbols: Sequence[str],
    benchmark: str | None = None,
    with_benchmark: bool = True,
    spans: pd.DataFrame | None = None,
) -> ReturnPanel:
    """:func:`build_panel` with exchanges and default benchmarks from a securities table (schema columns
    ``symbol``, ``exchange``, ``benchmark_symbol``, optional ``factor_symbol``: a second factor per security,
    e.g. set by :func:`crackdown.reaction.rule_securities` for the two-factor rule); ``benchmark`` overrides
    the per-security benchmark; ``with_benchmark=False`` builds a panel without benchmark (or factor) returns
    (raw and constant-mean models); ``spans``: sessions spanned by each return (see :func:`build_panel`)."""
    sec = securities.set_index("symbol")
    for s in symbols:
        if s not in sec.index:
            raise unknown_name_error("symbol", s, sec.index, "symbols")
    bench = (benchmark or sec["benchmark_symbol"].to_dict()) if with_benchmark else None
    factors = sec["factor_symbol"].to_dict() if with_benchmark and "factor_symbol" in sec else None
    return build_panel(returns, sec["exchange"].to_dict(), bench, symbols, spans, factors)


# --------------------------------------------------------------------------------------------- pairs


def _announcement_columns(events: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray]:
    """Each event's local time (HH:MM or "") and IANA zone: ``time``/``tz`` when the events table has them,
    else ``time_beijing`` in Asia/Shanghai (the current schema), else no time."""
    n = len(events)
    if "time" in events:
        times, zone_col = events["time"], events["tz"] if "tz" in events else None
    elif "time_beijing" in events:
        times, zone_col = events["time_beijing"], None
    else:
        return None, np.full(n, announce.BEIJING, dtype=object)
    zones = np.full(n, announce.BEIJING, dtype=object)
    if zone_col is not None:
        z = zone_col.astype(object).where(zone_col.notna(), "").astype(str).str.strip().to_numpy(dtype=object)
        zones = np.where(z == "", announce.BEIJING, z)
    return times.astype(object).where(times.notna(), "").astype(str).str.strip().to_numpy(dtype=object), zones


def announcement_day0(mic: str, events: pd.DataFrame) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Day 0 on exchange ``mic`` for each event and the rule that set it (:mod:`crackdown.announce`):
    ``close-after-instant`` (the first session closing after the stated time, in its stated zone) or
    ``date-fallback`` (no time: the first session on or after the local date)."""
    return _day0_by_exchange([mic], events)[mic]


def _day0_by_exchange(mics: Iterable[str], events: pd.DataFrame) -> dict[str, tuple[pd.DatetimeIndex, np.ndarray]]:
    """:func:`announcement_day0` for several exchanges, reading the times and their rule once."""
    times, zones = _announcement_columns(events)
    instants = announce.announcement_instants(events["date"], times, zones)
    rule = np.where(instants.isna(), announce.RULE_FALLBACK, announce.RULE_CLOSE)
    return {mic: (announce.day0(mic, events["date"], times, zones), rule) for mic in mics}


def make_pairs(panel: ReturnPanel, events: pd.DataFrame, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Map (event, security) pairs to day 0 on the security's own exchange (:func:`announcement_day0`).

    ``events``: event_id, date (local date of the announcement), and either ``time`` (HH:MM) with ``tz``
    (IANA zone; empty means Asia/Shanghai) or ``time_beijing`` (HH:MM Beijing time), both optional.
    ``pairs``: optional frame with event_id and symbol columns (default: every event x every panel symbol).
    Returns event_id, symbol, exchange, day0, col, pos0 (day 0's position in the exchange's session array)
    and rule (``close-after-instant`` or ``date-fallback``).
    """
    events = events.drop_duplicates("event_id").reset_index(drop=True)
    if pairs is None:
        ev = np.repeat(np.arange(len(events)), len(panel.symbols))
        col = np.tile(np.arange(len(panel.symbols)), len(events))
    else:
        codes = pd.Index(events["event_id"])
        ev = codes.get_indexer(pairs["event_id"])
        if (ev < 0).any():
            raise unknown_name_error("event", pairs["event_id"][ev < 0].iloc[0], codes, "event")
        col = panel.col(pairs["symbol"])
    pos0 = np.empty(len(ev), dtype=np.int64)
    day0 = np.empty(len(ev), dtype="datetime64[ns]")
    rule_at = np.zeros(len(ev), dtype=np.int64)  # position in rules: the rule of (exchange, event)
    rules = [announce.RULE_FALLBACK]
    ex = panel.ex_code[col]
    used = [mic for k, mic in enumerate(panel.mics) if (ex == k).any()]
    by_exchange = _day0_by_exchange(used, events) if used else {}
    for k, mic in enumerate(panel.mics):  # a handful of exchanges
        here = ex == k
        if not here.any():
            continue
        d0, how = by_exchange[mic]
        d0 = d0.to_numpy()
        day0[here] = d0[ev[here]]
        rule_at[here] = len(rules) + ev[here]
        rules.extend(how)
        sess = panel.sessions[mic].to_numpy()
        pos = np.searchsorted(sess, d0[ev[here]], side="left")
        found = (pos < len(sess)) & (sess[np.minimum(pos, len(sess) - 1)] == d0[ev[here]])
        pos0[here] = np.where(found, pos, -1)  # -1: day 0 outside the returns' date range
    return pd.DataFrame(
        {
            "event_id": _take_labels(events["event_id"].to_numpy(), ev),
            "symbol": _take_labels(np.asarray(panel.symbols, dtype=object), col),
            "exchange": _take_labels(np.asarray(panel.exchanges, dtype=object), col),
            "day0": day0,
            "col": col,
            "pos0": pos0,
            "rule": _take_labels(np.asarray(rules, dtype=object), rule_at),
        }
    )


def _take_labels(values: np.ndarray, idx: np.ndarray):
    """``values[idx]`` as a frame column: for text labels, pandas' text column is built from the few distinct
    labels and then repeated (inferring it from the repeated Python strings costs far more)."""
    if len(idx) == 0 or values.dtype != object or not all(isinstance(v, str) for v in values):
        return values[idx]
    return pd.Series(values).array.take(idx)


# ----------------------------------------------------------------------------------------------- fit


@dataclass(frozen=True)
class Fit:
    """Normal-return model fitted for every (event, security) pair; evaluate windows with :func:`car` etc.

    ``pairs`` holds event_id, symbol, exchange, day0, col, pos0 and the parameters alpha, beta, sigma, n_est
    (AR = r - alpha - beta * benchmark for every model), plus xbar/sxx (benchmark mean and centred sum of
    squares in the estimation window, for the forecast-error correction) and df (residual degrees of freedom).
    A two-factor fit (the market model on a panel with a second factor, :func:`fit`) adds has_factor, beta2
    (AR = r - alpha - beta * benchmark - beta2 * factor), zbar, szz and sxz (the factor's mean, centred sum
    of squares and centred cross-product with the benchmark); pairs without a factor have beta2 = 0.
    ``dropped`` lists pairs removed with ``errors="drop"`` and why.
    """

    panel: ReturnPanel
    pairs: pd.DataFrame
    model: str
    estimation: tuple[int, int]
    min_obs: int
    dropped: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["event_id", "symbol", "reason"])
    )

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The pair columns as numpy arrays (cached)."""
        cached = self.__dict__.get("_arrays")
        if cached is None:
            cached = {
                c: self.pairs[c].to_numpy()
                for c in ("col", "pos0", "alpha", "beta", "sigma", "n_est", "xbar", "sxx", "df", *_FACTOR_COLUMNS)
                if c in self.pairs
            }
            object.__setattr__(self, "_arrays", cached)
        return cached

    @property
    def two_factor(self) -> bool:
        """Whether the fit has a second regressor (the market model on a panel with a second factor)."""
        return "beta2" in self.pairs

    @property
    def params(self) -> pd.DataFrame:
        """Tidy parameter table: event_id, symbol, exchange, day0, alpha, beta, (beta2,) sigma, n_est."""
        return self.pairs[
            ["event_id", "symbol", "exchange", "day0", "alpha", "beta", *(["beta2"] if self.two_factor else []),
             "sigma", "n_est"]
        ].copy()


_FACTOR_COLUMNS = ("has_factor", "beta2", "zbar", "szz", "sxz")  # the two-factor fit's extra pair columns


def _check_window(window: Sequence[int], parameter: str) -> tuple[int, int]:
    try:
        a, b = (int(w) for w in window)
    except (TypeError, ValueError):
        raise CrackdownError(f"{parameter}: expected two integers START END, got {window!r}") from None
    if a > b:
        raise CrackdownError(f"{parameter}: start {a} is after end {b}")
    return a, b


def _check_overlap(estimation: tuple[int, int], window: tuple[int, int]) -> None:
    if estimation[1] >= window[0] and window[1] >= estimation[0]:
        raise CrackdownError(
            f"estimation: window {estimation[0]}..{estimation[1]} overlaps the event window "
            f"{window[0]}..{window[1]}; end the estimation window before the event window starts"
        )


def _model_series(
    panel: ReturnPanel, model: str
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The dependent series y, the regressor x (market model) and the second regressor z (market model on a
    panel with a second factor; NaN for securities without one) as (N, T) arrays on own sessions."""
    if model not in MODELS:
        raise unknown_name_error("model", model, MODELS, "model")
    if model in ("market-adjusted", "market") and np.isnan(panel.mt).all():
        raise CrackdownError(f"benchmark: model {model!r} needs a benchmark return series")
    if model == "market-adjusted":
        return panel.rt - panel.mt, None, None
    if model == "market":
        return panel.rt, panel.mt, panel.ft
    return panel.rt, None, None


def _window_sums(
    arrays: list[np.ndarray | tuple[np.ndarray, np.ndarray]], pos0: np.ndarray, col: np.ndarray, a: int, b: int
) -> list[np.ndarray]:
    """Sum of each (N, T) array over sessions pos0+a..pos0+b of row col, via prefix sums (NaN already zeroed).

    An item may be a pair of arrays: their elementwise product, formed a few rows at a time into the prefix-sum
    buffer's rows (no full-size temporary); a boolean array counts its True days.
    """
    n_rows, n_t = (arrays[0][0] if isinstance(arrays[0], tuple) else arrays[0]).shape
    lo = np.clip(pos0 + a, 0, n_t) + col * (n_t + 1)
    hi = np.clip(pos0 + b + 1, 0, n_t) + col * (n_t + 1)
    out = []
    c = np.zeros((n_rows, n_t + 1))  # one buffer for every array (first column stays 0)
    flat = c.ravel()
    for arr in arrays:
        if isinstance(arr, tuple):
            for r0 in range(0, n_rows, _PRODUCT_ROWS):
                rows = slice(r0, r0 + _PRODUCT_ROWS)
                np.cumsum(np.multiply(arr[0][rows], arr[1][rows]), axis=1, out=c[rows, 1:])
        else:
            np.cumsum(arr, axis=1, out=c[:, 1:])  # contiguous rows: fast
        out.append(flat[hi] - flat[lo])
    return out


def fit(
    panel: ReturnPanel,
    pairs: pd.DataFrame,
    model: str = "market",
    estimation: Sequence[int] = DEFAULT_ESTIMATION,
    min_obs: int = DEFAULT_MIN_OBS,
    errors: str = "raise",
) -> Fit:
    """Fit the normal-return model on each pair's estimation window (sessions relative to day 0).

    Models: ``raw`` (AR = r), ``market-adjusted`` (AR = r - benchmark), ``constant-mean`` (AR = r - mean of r
    in the estimation window), ``market`` (OLS of r on the benchmark). sigma is the residual standard error
    (ddof 2 for the market model, 1 otherwise); returns spanning several sessions (gap-aware panels) are left
    out of the estimation window. On a panel with a second factor (``ReturnPanel.f``) the market model of a
    security that has one is the two-factor model r = alpha + beta * benchmark + beta2 * factor + e (OLS with
    intercept, solved in closed form from centred window sums for all pairs at once; sigma with ddof 3; a
    day counts when r, benchmark and factor all have a return); securities without one keep the one-factor
    fit. The other models ignore the second factor. A pair needs ``min_obs`` valid estimation days and day 0
    inside the security's price coverage; otherwise CrackdownError, or with ``errors="drop"`` the pair is
    removed and listed in ``Fit.dropped``.
    """
    est = _check_window(estimation, "estimation")
    if est[1] >= 0:
        raise CrackdownError(f"estimation: window {est[0]}..{est[1]} must end before day 0")
    if int(min_obs) < 3:
        raise CrackdownError(f"min_obs: need at least 3 estimation observations, got {min_obs}")
    if errors not in ("raise", "drop"):
        raise CrackdownError(f"errors: expected 'raise' or 'drop', got {errors!r}")
    y, x, z = _model_series(panel, model)
    col, pos0 = pairs["col"].to_numpy(), pairs["pos0"].to_numpy()
    valid = ~np.isnan(y) if x is None else ~(np.isnan(y) | np.isnan(x))
    if z is not None:
        valid &= ~np.isnan(z) | ~panel.has_factor[:, None]  # a factor's missing day is missing for its securities
    if panel.st is not None:
        valid &= panel.st <= 1  # a return across a halt neither inflates sigma nor tilts beta
    y0 = np.where(valid, y, 0.0)
    factor_cols: dict[str, np.ndarray] = {}
    if z is not None:
        x0, z0 = np.where(valid, x, 0.0), np.where(valid & ~np.isnan(z), z, 0.0)
        n, sy, sx, sz, syy, sxx_r, szz_r, sxy_r, szy_r, sxz_r = _window_sums(
            [valid, y0, x0, z0, (y0, y0), (x0, x0), (z0, z0), (x0, y0), (z0, y0), (x0, z0)], pos0, col, *est
        )
        has = panel.has_factor[col]
        with np.errstate(invalid="ignore", divide="ignore"):
            ybar, xbar, zbar = sy / n, sx / n, sz / n
            sxx, szz, sxz = sxx_r - n * xbar**2, szz_r - n * zbar**2, sxz_r - n * xbar * zbar
            sxy, szy, syy_c = sxy_r - n * xbar * ybar, szy_r - n * zbar * ybar, syy - n * ybar**2
            det = sxx * szz - sxz**2
            b1_two, b2_two = (szz * sxy - sxz * szy) / det, (sxx * szy - sxz * sxy) / det
            b1_one = sxy / sxx
            beta = np.where(has, b1_two, b1_one)
            beta2 = np.where(has, b2_two, 0.0)
            alpha = ybar - beta * xbar - beta2 * zbar
            ssr = np.maximum(syy_c - beta * sxy - beta2 * szy, 0.0)
            df = n - 2 - has
            sigma = np.sqrt(ssr / df)
        nan = np.full_like(ybar, np.nan)
        factor_cols = {"has_factor": has, "beta2": beta2, "zbar": np.where(has, zbar, nan),
                       "szz": np.where(has, szz, nan), "sxz": np.where(has, sxz, nan)}
    elif x is None:
        n, sy, syy = _window_sums([valid, y0, (y0, y0)], pos0, col, *est)
        ybar = np.divide(sy, n, out=np.full_like(sy, np.nan), where=n > 0)
        ss = np.maximum(syy - n * ybar**2, 0.0)
        sigma = np.sqrt(np.divide(ss, n - 1, out=np.full_like(ss, np.nan), where=n > 1))
        alpha = ybar if model == "constant-mean" else np.zeros_like(ybar)
        beta = np.full_like(ybar, 1.0 if model == "market-adjusted" else 0.0)
        xbar, sxx, df = np.full_like(ybar, np.nan), np.full_like(ybar, np.nan), n - 1
    else:
        x0 = np.where(valid, x, 0.0)
        n, sy, sx, syy, sxx_r, sxy_r = _window_sums(
            [valid, y0, x0, (y0, y0), (x0, x0), (x0, y0)], pos0, col, *est
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            ybar, xbar = sy / n, sx / n
            sxx = sxx_r - n * xbar**2
            beta = (sxy_r - n * xbar * ybar) / sxx
            alpha = ybar - beta * xbar
            ssr = np.maximum(syy - n * ybar**2 - beta * (sxy_r - n * xbar * ybar), 0.0)
            sigma = np.sqrt(ssr / (n - 2))
        df = n - 2
    out = pairs.copy()
    out["alpha"], out["beta"], out["sigma"], out["n_est"] = alpha, beta, sigma, n.round().astype(np.int64)
    out["xbar"], out["sxx"], out["df"] = xbar, sxx, df
    for c, v in factor_cols.items():
        out[c] = v
    reason = _invalid_reasons(panel, out, est, int(min_obs), model)
    bad = reason.notna().to_numpy()
    if bad.any() and errors == "raise":
        raise CrackdownError(reason[bad].iloc[0])
    dropped = pd.DataFrame(
        {"event_id": out["event_id"][bad], "symbol": out["symbol"][bad], "reason": reason[bad]}
    )
    out = out[~bad].reset_index(drop=True)
    return Fit(panel, out, model, est, int(min_obs), dropped.reset_index(drop=True))


def _invalid_reasons(
    panel: ReturnPanel, p: pd.DataFrame, est: tuple[int, int], min_obs: int, model: str
) -> pd.Series:
    """Why each pair cannot be used (None where fine): coverage first, then too few observations."""
    col, pos0 = p["col"].to_numpy(), p["pos0"].to_numpy()
    first, last = panel.first_valid[col], panel.last_valid[col]
    outside = (pos0 < first) | (pos0 > last)
    few = p["n_est"].to_numpy() < min_obs
    degenerate = (model == "market") & ~(p["sxx"].to_numpy() > 0)
    collinear = np.zeros(len(p), dtype=bool)
    if "has_factor" in p:  # benchmark and factor (near-)collinear: no unique two-factor fit
        sxx, szz, sxz = (p[c].to_numpy() for c in ("sxx", "szz", "sxz"))
        with np.errstate(invalid="ignore"):
            collinear = p["has_factor"].to_numpy() & ~(sxx * szz - sxz**2 > 1e-10 * sxx * szz)
        collinear &= ~degenerate
    reason = pd.Series(None, dtype=object, index=p.index)
    bad = outside | few | degenerate | collinear
    if not bad.any():
        return reason
    b = p[bad]
    ex = panel.ex_code[col[bad]]
    n_t = panel.dates.shape[0]
    lo = pd.Series(panel.dates[np.clip(first[bad], 0, n_t - 1), ex]).dt.strftime("%Y-%m-%d")
    hi = pd.Series(panel.dates[np.clip(last[bad], 0, n_t - 1), ex]).dt.strftime("%Y-%m-%d")
    cov = (lo + ".." + hi).where(last[bad] >= 0, "none").to_numpy()
    who = (
        b["symbol"].astype(str)
        + " / event "
        + b["event_id"].astype(str)
        + " (day 0 "
        + b["day0"].dt.strftime("%Y-%m-%d")
        + ")"
    ).to_numpy()
    msg = np.where(
        outside[bad],
        "event: day 0 of " + who + " is outside the price coverage " + cov,
        np.where(
            few[bad],
            "min_obs: "
            + who
            + " has only "
            + b["n_est"].astype(str).to_numpy()
            + f" valid returns in the estimation window {est[0]}..{est[1]}; need min_obs={min_obs}",
            np.where(
                collinear[bad],
                "factors: " + who + " has a constant second factor or one collinear with its benchmark in the "
                f"estimation window {est[0]}..{est[1]}",
                "benchmark: " + who + " has a constant benchmark return in the estimation window",
            ),
        ),
    )
    reason[bad] = msg
    return reason


# ------------------------------------------------------------------------------------- window gathers


def _gather(arr: np.ndarray, pos0: np.ndarray, col: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """arr[pos0 + offset, col] as a (pairs, offsets) matrix; NaN/NaT outside the array."""
    idx = pos0[:, None] + offsets[None, :]
    ok = (idx >= 0) & (idx < arr.shape[0])
    out = arr[np.clip(idx, 0, arr.shape[0] - 1), col[:, None]]
    out[~ok] = np.datetime64("NaT") if out.dtype.kind == "M" else np.nan
    return out


def _flat_index(
    n_t: int, pos0: np.ndarray, col: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Flat positions of (col, pos0 + offset) in a C-contiguous (N, T) array, and the out-of-range mask
    (None when every position is inside)."""
    base = pos0 + col * n_t
    idx = base[:, None] + offsets[None, :]
    if len(pos0) == 0 or (pos0.min() + offsets.min() >= 0 and pos0.max() + offsets.max() < n_t):
        return idx, None
    rel = pos0[:, None] + offsets[None, :]
    outside = (rel < 0) | (rel >= n_t)
    idx[outside] = 0
    return idx, outside


def _gather_t(arr_t: np.ndarray, flat: np.ndarray, outside: np.ndarray | None) -> np.ndarray:
    out = np.take(arr_t.ravel(), flat)
    if outside is not None:
        out[outside] = np.nan
    return out


def _ar_matrix(f: Fit, offsets: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Abnormal returns of pairs ``rows`` at relative days ``offsets`` (pairs x offsets).

    On a gap-aware panel a return spanning s sessions has expected return s * alpha + beta * (benchmark over
    the same sessions) (:func:`crackdown.returns.expected_over_spans`), and spanning returns on estimation
    days (offsets up to the estimation window's end) are NaN, as in the fit.
    """
    a = f.arrays
    col, pos0, alpha, beta = (a[k][rows] for k in ("col", "pos0", "alpha", "beta"))
    flat, outside = _flat_index(f.panel.rt.shape[1], pos0, col, offsets)
    ar = _gather_t(f.panel.rt, flat, outside)
    if f.panel.st is None:
        ar -= alpha[:, None]
    else:
        span = _gather_t(f.panel.st, flat, outside)
        ar -= alpha[:, None] * np.maximum(span, 1.0)
        est = np.asarray(offsets) <= f.estimation[1]
        if est.any():
            ar[:, est] = np.where(span[:, est] > 1, np.nan, ar[:, est])
    if f.model not in ("raw", "constant-mean"):
        m = _gather_t(f.panel.mt, flat, outside)
        m *= beta[:, None]
        ar -= m
    if f.two_factor:  # AR = r - alpha - beta * benchmark - beta2 * factor (factor over the same span)
        has, beta2 = a["has_factor"][rows], a["beta2"][rows]
        z = _gather_t(f.panel.ft, flat, outside)
        ar -= np.where(has[:, None], beta2[:, None] * z, 0.0)
    return ar


def ar_matrix(f: Fit, offsets: np.ndarray) -> np.ndarray:
    """Abnormal returns AR = r - alpha - beta * benchmark (- beta2 * factor on a two-factor fit) of every pair
    of ``f`` at ``offsets`` sessions from
    day 0 (pairs x offsets; NaN outside the returns or on days without a return). On a gap-aware panel see
    :func:`_ar_matrix` for returns spanning several sessions."""
    return _ar_matrix(f, np.asarray(offsets))


def _span_matrix(f: Fit, offsets: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray | None:
    """Sessions spanned by each pair's return at ``offsets`` (pairs x offsets); None on a daily panel."""
    if f.panel.st is None:
        return None
    a = f.arrays
    return _gather_t(f.panel.st, *_flat_index(f.panel.st.shape[1], a["pos0"][rows], a["col"][rows], offsets))


def _sar_matrix(f: Fit, offsets: np.ndarray, ar: np.ndarray) -> np.ndarray:
    """Standardised ARs with the out-of-sample forecast-error correction (Patell 1976).

    For a return spanning s sessions (sum of s one-session forecast errors) the variance factor is
    s + s^2 / n + (m_s - s xbar)^2 / Sxx (market model; m_s the benchmark over the span), s + s^2 / n
    (constant mean) or s; with s = 1 these are Patell's 1 + 1/n + (m - xbar)^2 / Sxx. With a second factor
    z the quadratic form is two-dimensional: s + s^2 / n + d' S^-1 d, d = (m_s - s xbar, z_s - s zbar) and
    S the centred cross-product matrix of (benchmark, factor) in the estimation window.
    """
    p = f.arrays
    n, sigma = p["n_est"][:, None].astype(float), p["sigma"][:, None]
    span = _span_matrix(f, offsets)
    s = 1.0 if span is None else np.maximum(span, 1.0)
    if f.model == "market":
        where = _flat_index(f.panel.mt.shape[1], p["pos0"], p["col"], offsets)
        m = _gather_t(f.panel.mt, *where)
        c = s + s * s / n + (m - s * p["xbar"][:, None]) ** 2 / p["sxx"][:, None]
        if f.two_factor:
            d1 = m - s * p["xbar"][:, None]
            d2 = _gather_t(f.panel.ft, *where) - s * p["zbar"][:, None]
            sxx, szz, sxz = (p[k][:, None] for k in ("sxx", "szz", "sxz"))
            with np.errstate(invalid="ignore"):
                quad = (szz * d1**2 - 2 * sxz * d1 * d2 + sxx * d2**2) / (sxx * szz - sxz**2)
            c = np.where(p["has_factor"][:, None], s + s * s / n + quad, c)
    elif f.model == "constant-mean":
        c = s + s * s / n
    else:
        c = np.ones_like(n) * s
    return ar / (sigma * np.sqrt(c))


def _event_offsets(f: Fit, window: Sequence[int]) -> np.ndarray:
    w = _check_window(window, "window")
    _check_overlap(f.estimation, w)
    return np.arange(w[0], w[1] + 1)


def abnormal_returns(f: Fit, window: Sequence[int] = DEFAULT_WINDOW) -> pd.DataFrame:
    """Tidy abnormal returns: event_id, symbol, exchange, rel_day, date, ar, sar, alpha, beta, (beta2 on a
    two-factor fit,) sigma, n_est.

    One row per pair and relative day of ``window``; ar is NaN on days without a return (suspensions).
    """
    offsets = _event_offsets(f, window)
    p = f.pairs
    ar = _ar_matrix(f, offsets)
    sar = _sar_matrix(f, offsets, ar)
    dates = _gather(f.panel.dates, p["pos0"].to_numpy(), f.panel.ex_code[p["col"].to_numpy()], offsets)
    k = len(offsets)
    labels = (
        p[["event_id", "symbol", "exchange"]].take(np.repeat(np.arange(len(p)), k)).reset_index(drop=True)
    )
    a = f.arrays
    return labels.assign(
        rel_day=np.tile(offsets, len(p)),
        date=dates.ravel(),
        ar=ar.ravel(),
        sar=sar.ravel(),
        alpha=np.repeat(a["alpha"], k),
        beta=np.repeat(a["beta"], k),
        **({"beta2": np.repeat(a["beta2"], k)} if f.two_factor else {}),
        sigma=np.repeat(a["sigma"], k),
        n_est=np.repeat(a["n_est"], k),
    )


def _resumption_after(f: Fit, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """For pairs suspended at the end of a window ending on ``end``: the first return after the window whose
    span starts inside it (the move across the halt, booked on the resumption session), as (offset, AR, SAR,
    span) per pair (NaN where there is none); None on a daily panel."""
    if f.panel.st is None:
        return None
    longest = int(np.nanmax(f.panel.st)) if f.panel.st.size else 1
    ext = np.arange(end + 1, end + 1 + max(longest - 1, 1))
    ar = _ar_matrix(f, ext)
    span = _span_matrix(f, ext)
    ok = ~np.isnan(ar)
    first = ok.argmax(axis=1)
    rows = np.arange(len(ar))
    take = ok[rows, first] & (ext[first] - span[rows, first] + 1 <= end)
    sar = _sar_matrix(f, ext, ar)
    nan = np.full(len(ar), np.nan)
    return (np.where(take, ext[first], nan), np.where(take, ar[rows, first], nan),
            np.where(take, sar[rows, first], nan), np.where(take, span[rows, first], nan))


def _car_arrays(f: Fit, window: Sequence[int], cumulate_rule: str = "sum") -> dict[str, np.ndarray]:
    offsets = _event_offsets(f, window)
    ar = _ar_matrix(f, offsets)
    sar = _sar_matrix(f, offsets, ar)
    span = _span_matrix(f, offsets)
    after = _resumption_after(f, int(offsets[-1]))
    a = f.arrays
    r = None
    if cumulate_rule == "compound":
        r = _gather_t(f.panel.rt, *_flat_index(f.panel.rt.shape[1], a["pos0"], a["col"], offsets))
    if after is not None:  # a halt over the window's end: its move (booked after the window) counts, flagged
        ext_off, ext_ar, ext_sar, ext_span = after
        ar, sar = np.column_stack([ar, ext_ar]), np.column_stack([sar, ext_sar])
        span = np.column_stack([span, ext_span])
        if r is not None:
            pos = np.where(np.isnan(ext_off), 0, ext_off).astype(np.int64)
            r_ext = f.panel.rt[a["col"], np.clip(a["pos0"] + pos, 0, f.panel.rt.shape[1] - 1)]
            r = np.column_stack([r, np.where(np.isnan(ext_off), np.nan, r_ext)])
    car_, n_days = cumulation.car(ar)
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = np.where(n_days > 0, np.nansum(sar, axis=1) / np.sqrt(n_days), np.nan)
    out = {"offsets": offsets, "ar": ar, "car": car_, "scar": scar, "n_days": n_days}
    has = ~np.isnan(ar)
    if span is None:
        out["max_span"] = (n_days > 0).astype(np.int64)
        out["starts_before"] = np.zeros(len(ar), dtype=bool)
        out["ends_after"] = np.zeros(len(ar), dtype=bool)
    else:
        s = np.where(has, span, 0.0)
        day = np.column_stack([np.broadcast_to(offsets, (len(ar), len(offsets))), after[0]])
        out["max_span"] = s.max(axis=1, initial=0).astype(np.int64)
        with np.errstate(invalid="ignore"):
            out["starts_before"] = (has & (day - s + 1 < offsets[0])).any(axis=1)
        out["ends_after"] = ~np.isnan(after[1])
    if r is not None:
        out["bhar"], out["n_days_bhar"] = cumulation.bhar(r, r - ar)
    return out


def car(
    f: Fit, windows: Sequence[int] | Iterable[Sequence[int]] = DEFAULT_WINDOW, cumulate: str = "sum"
) -> pd.DataFrame:
    """Cumulative abnormal returns per pair and window.

    ``windows``: one ``(start, end)`` or several. Columns event_id, symbol, exchange, day0, (rule, when the
    pairs carry the day-0 rule), window, start, end, car (sum of the available daily ARs; NaN if none), scar
    (sum of standardised ARs / sqrt(n_days)), n_days (days with a return), max_span (the most sessions one
    return in the window spans: 1 for daily returns, more for a move across a halt) and starts_before (a
    return in the window spans sessions before the window's first one, so the move includes pre-window
    days) and ends_after (the security was suspended at the window's end and the move across the halt,
    booked on the first session after the window, is counted: its return starts inside the window; e.g.
    Hikvision suspended on days 0 and +1 of the Oct-2019 Entity List event, resuming on day +2). The last two
    only arise on gap-aware panels.

    ``cumulate="compound"`` adds bhar (buy-and-hold abnormal return: prod(1 + R) - prod(1 + E) over the days
    with a return, E = R - AR the model's expected return; :func:`crackdown.cumulate.bhar`) and n_days_bhar.
    BHAR needs simple returns: for log returns use :func:`crackdown.cumulate.log_car_to_simple` of the CAR.
    """
    if cumulate not in CUMULATE:
        raise unknown_name_error("cumulation", cumulate, CUMULATE, "cumulate")
    base = [c for c in ("event_id", "symbol", "exchange", "day0", "rule") if c in f.pairs]
    frames = []
    for w in _as_windows(windows):  # a handful of windows
        a = _car_arrays(f, w, cumulate)
        extra = {"bhar": a["bhar"], "n_days_bhar": a["n_days_bhar"]} if cumulate == "compound" else {}
        frames.append(
            f.pairs[base].assign(
                window=f"{w[0]}..{w[1]}",
                start=int(w[0]),
                end=int(w[1]),
                car=a["car"],
                scar=a["scar"],
                n_days=a["n_days"],
                max_span=a["max_span"],
                starts_before=a["starts_before"],
                ends_after=a["ends_after"],
                **extra,
            )
        )
    return pd.concat(frames, ignore_index=True)


def _as_windows(windows) -> list[tuple[int, int]]:
    windows = list(windows)
    if len(windows) == 2 and all(isinstance(w, (int, np.integer)) for w in windows):
        return [_check_window(windows, "window")]
    return [_check_window(w, "window") for w in windows]


# ------------------------------------------------------------------------------------------ test battery


def _blocks(n: int, size: int = _CHUNK) -> Iterator[np.ndarray]:
    for start in range(0, n, size):  # blocks of pairs bound memory; each block is vectorised
        yield np.arange(start, min(start + size, n))


_SIGN = np.int64(-(2**63))


def _sorted_ranks(a: np.ndarray, valid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's sort order (NaN last) and the average-tie ranks (1..M) of the values in that order; positions
    M+1.. (the NaN) get their position number. ``valid``: ~isnan(a) when already at hand.

    Fast path: one sort of 64-bit keys per row, the value's order-preserving bit pattern with its lowest bits
    replaced by its column, so the sorted keys carry the order. Rows where two neighbouring keys lie within
    twice that many bits (a tie, -0.0 next to 0.0, or values a few hundred ulps apart) are ranked exactly by
    :func:`_exact_sorted_ranks`.
    """
    n_rows, k = a.shape
    valid = ~np.isnan(a) if valid is None else valid
    clean = bool(valid.all())
    bits = max(int(k - 1).bit_length(), 1)
    low = np.int64((1 << bits) - 1)
    column = np.arange(k, dtype=np.int64)
    bits_of = np.ascontiguousarray(a, dtype=np.float64).view(np.int64)
    key = bits_of >> 63
    key |= _SIGN
    key ^= bits_of  # as unsigned integers these keys sort like the values (IEEE 754)
    key &= ~low
    key |= column
    if not clean:  # NaN: the largest keys, so they sort last
        np.putmask(key, ~valid, np.int64(-1) & ~low | column)  # values repeat per row: the column
    ordered = key.view(np.uint64)
    ordered.sort(axis=1)
    step = ordered[:, 1:] - ordered[:, :-1]  # sorted: no wrap-around
    near = step <= np.uint64(2 * low + 1)  # neighbouring high bits equal or adjacent
    if not clean:
        near &= np.arange(1, k) < valid.sum(axis=1)[:, None]  # NaN placeholders share their high bits
    order = key & low
    ranks = np.broadcast_to(np.arange(1.0, k + 1), (n_rows, k))
    exact = np.flatnonzero(near.any(axis=1))
    if len(exact):
        exact_order, exact_ranks = _exact_sorted_ranks(a[exact])
        order[exact] = exact_order
        ranks = ranks.copy()
        ranks[exact] = exact_ranks
    return order, ranks


def _exact_sorted_ranks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_sorted_ranks` by argsort, averaging the positions of tied values."""
    n_rows, k = a.shape
    valid = ~np.isnan(a)
    s = np.sort(a, axis=1)  # the sorted values (NaN last): to find ties
    last = s[np.arange(n_rows), np.maximum(valid.sum(axis=1) - 1, 0)]
    if np.isposinf(last).any():  # a +inf value would tie with the NaN placeholders below
        order = np.argsort(a, axis=1)
    else:  # NaN as +inf: the same order, and numpy's vectorised argsort (several times faster than with NaN)
        order = np.argsort(np.where(valid, a, np.inf), axis=1)
    ranks = np.broadcast_to(np.arange(1.0, k + 1), (n_rows, k))
    tied = (s[:, 1:] == s[:, :-1]).any(axis=1)  # NaN == NaN is False
    if tied.any():  # average the positions of tied values, only in rows that have ties
        t = s[tied]
        start = np.ones(t.shape, dtype=bool)
        start[:, 1:] = t[:, 1:] != t[:, :-1]
        gid = np.cumsum(start.ravel()) - 1
        pos = np.broadcast_to(np.arange(1.0, k + 1), t.shape).ravel()
        avg = np.bincount(gid, weights=pos) / np.bincount(gid)
        ranks = ranks.copy()
        ranks[tied] = avg[gid].reshape(t.shape)
    return order, ranks


def _rank_rows(a: np.ndarray, keep_nan: bool = True) -> np.ndarray:
    """Average-tie ranks (1..M) of the non-NaN values in each row; NaN stays NaN (else: undefined)."""
    order, ranks = _sorted_ranks(a)
    out = np.empty_like(a)
    np.put_along_axis(out, order, ranks, axis=1)
    if keep_nan:
        out[np.isnan(a)] = np.nan
    return out


def _rank_day_sums(a: np.ndarray, valid: np.ndarray, m_ok: np.ndarray, clean: bool) -> np.ndarray:
    """Per column (day): the sum over rows of rank / (1 + M_i) - 1/2 (Corrado-Zivney standardised ranks, M_i the
    row's valid values; NaN days count 0). Summed through the sort order (no scatter back to the days); the
    rows are added in order, as a column sum would."""
    order, ranks = _sorted_ranks(a, valid)
    u = ranks * (1.0 / (1 + m_ok))[:, None]
    u -= 0.5
    if not clean:  # NaN sorts last: positions M_i.. of the order are the missing days
        u[np.arange(a.shape[1]) >= m_ok[:, None]] = 0.0
    return np.bincount(order.ravel(), weights=u.ravel(), minlength=a.shape[1])


def _block_stats(f: Fit, rows: np.ndarray, groups: np.ndarray, days: np.ndarray, n_est_days: int) -> dict:
    """Accumulators over one block of pairs ``rows`` with group codes ``groups`` (a group is one (event,
    exchange, day 0) and lies inside one event)."""
    a = _ar_matrix(f, days, rows)
    valid = ~np.isnan(a)
    clean = bool(valid.all())  # no missing day in the block: skip the masking passes
    a0 = a if clean else np.where(valid, a, 0.0)
    e0, ok = a0[:, :n_est_days], valid[:, :n_est_days]
    n_ok = np.full(len(a), n_est_days) if clean else ok.sum(axis=1)
    m_ok = np.full(len(a), a.shape[1]) if clean else valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_pos = np.count_nonzero(e0 > 0, axis=1) / n_ok
        unit = e0 - (e0.sum(axis=1) / n_ok)[:, None]
    if not clean:
        unit *= ok
    norm = np.sqrt(np.einsum("ij,ij->i", unit, unit))
    has = norm > 0
    unit /= np.where(has, norm, 1.0)[:, None]  # unit-norm residual deviations (zero rows stay zero)
    seg_start = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])  # runs of one group
    seg_g = groups[seg_start]
    return {
        "share_pos": share_pos,
        "seg_g": seg_g,
        "unit_sum": np.add.reduceat(unit, seg_start, axis=0),
        "unit_sq": np.add.reduceat(has.astype(float), seg_start),
        "port_sum": a0.sum(axis=0),
        "cnt": np.full(a.shape[1], len(a)) if clean else valid.sum(axis=0),
        "rank_sum": _rank_day_sums(a, valid, m_ok, clean),
    }


@dataclass(frozen=True)
class _EstimationStats:
    share_pos: np.ndarray  # per pair: share of positive estimation ARs
    unit_sum: np.ndarray  # per event: summed unit-norm estimation deviations (relative days)
    unit_sq: np.ndarray  # per event: pairs with a non-zero deviation vector
    group_sum: np.ndarray  # the same per (event, exchange, day 0) group
    group_sq: np.ndarray
    group_ex: np.ndarray  # exchange code and day-0 position of each group
    group_pos0: np.ndarray
    port_sum: np.ndarray  # per relative day (estimation then event days): summed ARs and counts
    cnt: np.ndarray
    rank_sum: np.ndarray
    n_est_days: int


def _estimation_stats(f: Fit, rows: np.ndarray, window: tuple[int, int], events: np.ndarray,
                      n_events: int) -> _EstimationStats:
    """One pass over the estimation-window residuals of pairs ``rows`` (in blocks, two threads).

    Returns per-pair share of positive estimation ARs, per-event and per-(event, exchange, day 0) summed
    unit-norm residual vectors (for the average cross-correlation, within events and across overlapping
    windows), per-relative-day portfolio sums/counts (estimation + event days) and Corrado standardised-rank
    day sums/counts. Blocks are combined in order, so results are deterministic.
    """
    est = np.arange(f.estimation[0], f.estimation[1] + 1)
    days = np.concatenate([est, np.arange(window[0], window[1] + 1)])
    n_est_days = len(est)
    ex = f.panel.ex_code[f.arrays["col"][rows]]
    pos0 = f.arrays["pos0"][rows]
    order = np.lexsort((pos0, ex, events))  # by event, then exchange and day 0
    keys = np.stack([events[order], ex[order], pos0[order]], axis=1)
    new = np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)] if len(keys) else np.array([], dtype=bool)
    groups = np.cumsum(new) - 1
    n_groups = int(groups[-1]) + 1 if len(groups) else 0
    first = np.flatnonzero(new)
    group_of = np.empty(len(rows), dtype=np.int64)
    group_of[order] = groups
    col = f.arrays["col"][rows]
    # walk a few securities at a time, group by group: their overlapping windows stay in the CPU caches
    walk = np.lexsort((col, group_of, col // _BATTERY_SECURITIES))
    rows_walk, groups_walk = rows[walk], group_of[walk]
    blocks = list(_blocks(len(rows), _BATTERY_CHUNK))
    share_pos = np.empty(len(rows))
    group_sum = np.zeros((n_groups, n_est_days))
    group_sq = np.zeros(n_groups)
    port_sum, cnt, rank_sum = np.zeros(len(days)), np.zeros(len(days)), np.zeros(len(days))
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:  # numpy releases the GIL in sorts and gathers
        parts = pool.map(lambda b: _block_stats(f, rows_walk[b], groups_walk[b], days, n_est_days), blocks)
        for b, part in zip(blocks, parts, strict=True):  # combine in block order: deterministic
            share_pos[walk[b]] = part["share_pos"]
            np.add.at(group_sum, part["seg_g"], part["unit_sum"])  # a group can recur in a block
            np.add.at(group_sq, part["seg_g"], part["unit_sq"])
            port_sum += part["port_sum"]
            cnt += part["cnt"]
            rank_sum += part["rank_sum"]
    group_event = keys[first, 0] if n_groups else np.array([], dtype=np.int64)
    unit_sum = np.zeros((n_events, n_est_days))
    unit_sq = np.zeros(n_events)
    np.add.at(unit_sum, group_event, group_sum)  # groups x days: small
    np.add.at(unit_sq, group_event, group_sq)
    return _EstimationStats(share_pos, unit_sum, unit_sq, group_sum, group_sq,
                            keys[first, 1] if n_groups else group_event,
                            keys[first, 2] if n_groups else group_event,
                            port_sum, cnt, rank_sum, n_est_days)


def _avg_cross_correlation(unit_sum: np.ndarray, unit_sq: np.ndarray, n: int) -> float:
    """Average pairwise correlation of estimation residuals over all N(N-1) ordered pairs; pairs of different
    events count as uncorrelated (with one shared event this is Kolari-Pynnonen's r-bar)."""
    if n < 2:
        return np.nan
    within = ((unit_sum**2).sum(axis=1) - unit_sq).sum()
    return float(within / (n * (n - 1)))


def _overlap_cross_correlation(f: Fit, st: _EstimationStats, window: tuple[int, int], n: int) -> float:
    """r-bar of :func:`crackdown.inference.kolari_pynnonen`: rho_ij * d_ij / sqrt(W_i W_j) averaged over all
    N(N-1) ordered pairs, rho_ij the correlation of estimation ARs on common calendar dates and d_ij the
    window dates pairs i and j share (W_i: pair i's window dates).

    Pairs of one (event, exchange, day 0) group share every date, so the sum over pairs reduces to groups:
    sum_{g,h} <S_g, S_h> o_gh - sum_i |u_i|^2 |v_i|^2, with S_g the group's summed unit deviations placed on
    calendar dates and o_gh the groups' window overlap; it costs O(groups x dates), not O(N^2).
    """
    if n < 2 or len(st.group_sq) == 0:
        return np.nan
    pos_est = np.arange(f.estimation[0], f.estimation[1] + 1)
    pos_win = np.arange(window[0], window[1] + 1)
    est_dates = _gather(f.panel.dates, st.group_pos0, st.group_ex, pos_est)
    win_dates = _gather(f.panel.dates, st.group_pos0, st.group_ex, pos_win)
    ok_e, ok_w = ~np.isnat(est_dates), ~np.isnat(win_dates)
    axis_e, idx_e = np.unique(est_dates[ok_e], return_inverse=True)
    axis_w, idx_w = np.unique(win_dates[ok_w], return_inverse=True)
    g_e, g_w = np.nonzero(ok_e)[0], np.nonzero(ok_w)[0]
    placed = np.zeros((len(st.group_sq), len(axis_e)))
    placed[g_e, idx_e] = st.group_sum[ok_e]
    v = np.zeros((len(st.group_sq), len(axis_w)))
    v[g_w, idx_w] = 1.0
    width = v.sum(axis=1, keepdims=True)
    v = np.divide(v, np.sqrt(width), out=np.zeros_like(v), where=width > 0)
    gram = placed @ placed.T
    share = v @ v.T
    diag = (st.group_sq * (width[:, 0] > 0)).sum()  # |u_i|^2 |v_i|^2 = 1 for every pair with a deviation
    return float(((gram * share).sum() - diag) / (n * (n - 1)))


def _group_tests(f: Fit, rows: np.ndarray, window: tuple[int, int], cars: dict[str, np.ndarray]) -> dict:
    car_all, scar_all = cars["car"][rows], cars["scar"][rows]
    keep = ~np.isnan(car_all) & ~np.isnan(scar_all)
    rows, car_i, scar_i = rows[keep], car_all[keep], scar_all[keep]
    n = len(rows)
    out: dict[str, float] = {"n": n}
    if n == 0:
        return out
    ev_codes, events = _event_codes(f.pairs["event_id"].to_numpy()[rows])
    est = _estimation_stats(f, rows, window, events, len(ev_codes))
    share_pos, usum, usq, n_est_days = est.share_pos, est.unit_sum, est.unit_sq, est.n_est_days
    psum, pcnt, rsum, rcnt = est.port_sum, est.cnt, est.rank_sum, est.cnt
    w = window[1] - window[0] + 1
    sd = car_i.std(ddof=1) if n > 1 else np.nan
    caar = car_i.mean()
    out["caar"] = caar
    out["t_cs"] = caar / (sd / np.sqrt(n))
    out["p_cs"] = 2 * stats.t.sf(abs(out["t_cs"]), n - 1) if n > 1 else np.nan
    dof = f.pairs["df"].to_numpy()[rows].astype(float)
    out["patell_z"] = scar_i.sum() / np.sqrt((dof / (dof - 2)).sum())
    out["p_patell"] = 2 * stats.norm.sf(abs(out["patell_z"]))
    bmp = scar_i.mean() * np.sqrt(n) / scar_i.std(ddof=1) if n > 1 else np.nan
    out["bmp_t"], out["p_bmp"] = bmp, 2 * stats.t.sf(abs(bmp), n - 1) if n > 1 else np.nan
    rbar = _avg_cross_correlation(usum, usq, n)
    kp = bmp * np.sqrt((1 - rbar) / (1 + (n - 1) * rbar)) if n > 1 else np.nan
    out["rbar"], out["kp_t"], out["p_kp"] = rbar, kp, 2 * stats.t.sf(abs(kp), n - 1) if n > 1 else np.nan
    rbar_o = _overlap_cross_correlation(f, est, window, n)
    kp_o = bmp * np.sqrt((1 - rbar_o) / (1 + (n - 1) * rbar_o)) if n > 1 else np.nan
    out["rbar_overlap"], out["kp_overlap_t"] = rbar_o, kp_o
    out["p_kp_overlap"] = 2 * stats.t.sf(abs(kp_o), n - 1) if n > 1 else np.nan
    kbar = np.divide(rsum, rcnt, out=np.full_like(rsum, np.nan), where=rcnt > 0)
    s_k = np.sqrt(np.nanmean(kbar**2))
    corrado = np.nansum(kbar[n_est_days:]) / (np.sqrt(w) * s_k)
    out["corrado_t"], out["p_corrado"] = corrado, 2 * stats.norm.sf(abs(corrado))
    p_hat = np.nanmean(share_pos)
    n_pos = int((car_i > 0).sum())
    gs = (n_pos - n * p_hat) / np.sqrt(n * p_hat * (1 - p_hat))
    out["n_pos"], out["p_hat"], out["gsign_z"], out["p_gsign"] = n_pos, p_hat, gs, 2 * stats.norm.sf(abs(gs))
    pbar = np.divide(psum, pcnt, out=np.full_like(psum, np.nan), where=pcnt > 0)
    out.update(_portfolio(pbar[:n_est_days], pbar[n_est_days:], w))
    return out


def _portfolio(est_series: np.ndarray, event_series: np.ndarray, w: int, prefix: str = "portfolio") -> dict:
    """Portfolio CAR over the event days with SE = sd(estimation-window portfolio AR) * sqrt(W)."""
    est_series = est_series[~np.isnan(est_series)]
    sd = est_series.std(ddof=1) if len(est_series) > 1 else np.nan
    car_ = np.nansum(event_series) if (~np.isnan(event_series)).any() else np.nan
    se = sd * np.sqrt(w)
    t = car_ / se
    return {
        f"{prefix}_car": car_,
        f"{prefix}_se": se,
        f"{prefix}_t": t,
        f"p_{prefix}": 2 * stats.t.sf(abs(t), len(est_series) - 1) if len(est_series) > 1 else np.nan,
    }


def _event_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids.astype(str), return_inverse=True)``: the distinct event ids as text, sorted, and each
    pair's position among them; the few distinct ids are found first (hashing), then converted and sorted."""
    codes, distinct = pd.factorize(ids, use_na_sentinel=False)
    names, position = np.unique(np.asarray(distinct).astype(str), return_inverse=True)
    return names, position[codes]


def _group_rows(f: Fit, groups) -> dict[str, np.ndarray]:
    """Row indices of each group: None -> one group 'all'; mapping name -> symbols; Series per pair."""
    if groups is None:
        return {"all": np.arange(len(f.pairs))}
    if isinstance(groups, pd.Series):
        labels = groups.reindex(f.pairs.index).to_numpy()
        return {str(g): np.flatnonzero(labels == g) for g in pd.unique(labels[pd.notna(labels)])}
    sym = f.pairs["symbol"].to_numpy()
    out = {}
    for name, members in groups.items():
        members = [members] if isinstance(members, str) else list(members)
        for s in members:
            if s not in f.panel.symbols:
                raise unknown_name_error("symbol", s, f.panel.symbols, f"groups[{name}]")
        out[str(name)] = np.flatnonzero(np.isin(sym, members))
    return out


def caar_tests(f: Fit, window: Sequence[int] = DEFAULT_WINDOW, groups=None) -> pd.DataFrame:
    """CAAR and the test battery per group for one event window.

    Columns: group, window, n, caar, t_cs/p_cs (cross-sectional t), patell_z/p_patell (Patell 1976),
    bmp_t/p_bmp (Boehmer-Musumeci-Poulsen 1991), rbar, kp_t/p_kp (Kolari-Pynnonen 2010 adjusted BMP),
    rbar_overlap, kp_overlap_t/p_kp_overlap (the same with cross-event correlation where event windows
    share calendar dates, :func:`crackdown.inference.kolari_pynnonen`),
    corrado_t/p_corrado (Corrado 1989 rank, Cowan 1992 multi-day form, Corrado-Zivney standardised ranks over
    the estimation and event days), n_pos, p_hat, gsign_z/p_gsign (generalized sign, Cowan 1992),
    portfolio_car/se/t/p (equal-weighted portfolio, SE from the estimation-window series). p-values are
    two-sided. ``groups``: None (all pairs), mapping name -> symbols, or a Series of labels aligned to
    ``f.pairs``.

    Definitions (N pairs with a CAR, W event days, SAR = AR / (sigma * sqrt(forecast-error factor))):
    SCAR_i = sum of SAR_i over the window / sqrt(W_i); Patell Z = sum SCAR_i / sqrt(sum df_i / (df_i - 2));
    BMP t = mean(SCAR) * sqrt(N) / sd(SCAR); KP t = BMP t * sqrt((1 - rbar) / (1 + (N - 1) rbar)), where rbar
    averages the Pearson correlations of estimation residuals over all N(N-1) ordered pairs, pairs of
    different events counting as 0 (so with one shared event it is Kolari-Pynnonen's rbar; days missing for
    one security count as zero deviations); Corrado t = sum over the window of Kbar_t / (sqrt(W) S_K), with
    Kbar_t the mean over pairs of rank/(1 + M_i) - 1/2 and S_K = sqrt(mean over ranked days of Kbar_t^2);
    generalized sign Z = (n_pos - N p_hat) / sqrt(N p_hat (1 - p_hat)), p_hat = mean share of positive
    estimation ARs. A CAR sums the available daily ARs (suspended days are skipped, see ``n_days`` in
    :func:`car`).
    """
    w = _check_window(window, "window")
    cars = _car_arrays(f, w)
    rows = []
    for name, idx in _group_rows(f, groups).items():  # a handful of groups
        rows.append({"group": name, "window": f"{w[0]}..{w[1]}", **_group_tests(f, idx, w, cars)})
    return pd.DataFrame(rows)


def long_short(
    f: Fit, long: Iterable[str], short: Iterable[str], window: Sequence[int] = DEFAULT_WINDOW
) -> pd.DataFrame:
    """Long-short portfolio CAR (equal-weighted ``long`` minus equal-weighted ``short``) per event and pooled.

    For each event, the daily long-short AR is the mean AR of the long leg minus that of the short leg; the
    pooled row ("all") averages the daily series over events with both legs. SE = sd of the estimation-window
    long-short series (ddof 1) * sqrt(W); t with (estimation days - 1) degrees of freedom.
    """
    w = _check_window(window, "window")
    g = _group_rows(f, {"long": long, "short": short})
    if len(g["long"]) == 0 or len(g["short"]) == 0:
        raise CrackdownError("groups: long-short needs pairs in both legs")
    days = np.concatenate([np.arange(f.estimation[0], f.estimation[1] + 1), _event_offsets(f, w)])
    n_est = f.estimation[1] - f.estimation[0] + 1
    ev_codes, ev = _event_codes(f.pairs["event_id"].to_numpy())
    legs = []
    for rows in (g["long"], g["short"]):
        a = _ar_matrix(f, days, rows)
        ok = ~np.isnan(a)
        s = np.zeros((len(ev_codes), len(days)))
        c = np.zeros((len(ev_codes), len(days)))
        np.add.at(s, ev[rows], np.where(ok, a, 0.0))
        np.add.at(c, ev[rows], ok)
        legs.append(np.divide(s, c, out=np.full_like(s, np.nan), where=c > 0))
    ls = legs[0] - legs[1]
    both = ~np.isnan(ls).all(axis=1)
    series = np.vstack([ls[both], np.nanmean(ls[both], axis=0, keepdims=True)])
    labels = [*ev_codes[both], "all"]
    rows = [
        {
            "event_id": lab,
            "window": f"{w[0]}..{w[1]}",
            **_portfolio(s[:n_est], s[n_est:], len(days) - n_est, "ls"),
        }
        for lab, s in zip(labels, series, strict=True)
    ]
    return pd.DataFrame(rows).rename(columns={"ls_car": "car", "ls_se": "se", "ls_t": "t", "p_ls": "p"})


# ------------------------------------------------------------------------------------------------ placebo


def placebo_pvalue(
    f: Fit,
    window: Sequence[int] = DEFAULT_WINDOW,
    n: int = 1000,
    seed: int = 0,
    group: Iterable[str] | None = None,
    exclude_days: int | None = None,
    avoid: Iterable | None = None,
    coverage: str = "all",
    pool: str = "regime",
) -> dict:
    """Placebo p-values of a group's CAAR from ``n`` random non-event dates (deterministic for ``seed``).

    Each replication draws, with ``numpy.random.default_rng(seed)``, one random calendar session per event of
    the group (keeping the group's (security, event) structure), maps it to each exchange's first session on or
    after it, refits the same model on the pseudo-events and records the CAAR. Candidate dates leave room for
    the estimation and event windows inside the price coverage of every security (``coverage="all"``) or of
    at least one (``"any"``; then securities without data at a drawn date drop out of that replication), and
    lie more than ``exclude_days`` sessions (default: window half-width + 5) from the group's real events'
    day 0 and from any date in ``avoid`` (e.g. every event date of the project). Pseudo pairs with too few
    estimation observations are dropped. ``pool="regime"`` (default) draws each event's dates only among the
    candidates within 6 months whose benchmark volatility tercile matches the event's day 0
    (:func:`crackdown.placebo.regime_eligible`; the benchmark is that of the group's first security, or its
    own returns without one); ``pool="uniform"`` draws from every candidate. Returns caar, p_two_sided
    ((1 + #|placebo| >= |caar|) / (1 + n_valid)), p_lower, p_upper, their Monte-Carlo standard errors
    (``*_mc_se``), n_placebo, pool, regime_months (the months span each event's regime candidates came from;
    None for the uniform pool) and the placebo CAARs.
    """
    w = _check_window(window, "window")
    if int(n) < 1:
        raise CrackdownError(f"n: need at least one placebo draw, got {n}")
    rows = _group_rows(f, None if group is None else {"g": group})
    rows = rows["all"] if group is None else rows["g"]
    if len(rows) == 0:
        raise CrackdownError("group: no pairs in the placebo group")
    p = f.pairs.iloc[rows]
    actual = np.nanmean(_car_arrays(f, w)["car"][rows])
    if coverage not in ("all", "any"):
        raise CrackdownError(f"coverage: expected 'all' or 'any', got {coverage!r}")
    if exclude_days is not None:
        params.integer("exclude_days", exclude_days, 0)  # negative: real event dates could be drawn as placebos
    cands = _placebo_candidates(f, p, w, exclude_days, avoid, coverage)
    ev_codes, ev = _event_codes(p["event_id"].to_numpy())
    placebo.check_pool(pool)
    bench = None
    if pool == "regime":
        first = int(p["col"].iloc[0])
        bench = placebo.benchmark_series(f.panel, first, "m")
        if bench.isna().all():
            bench = placebo.benchmark_series(f.panel, first, "r")
    day0 = p.groupby(p["event_id"].astype(str))["day0"].min().reindex(ev_codes)
    draws, months = placebo.draw_pool(pool, cands, int(n), day0, seed, bench)
    per_block = max(1, _CHUNK * 10 // len(p))
    caars = np.full(int(n), np.nan)
    for blk in _blocks(int(n), per_block):  # blocks of replications; each block vectorised
        rep = np.repeat(blk, len(p))
        d = draws[rep, np.tile(ev, len(blk))]
        pseudo = placebo.pseudo_pairs(f.panel, np.tile(p["col"].to_numpy(), len(blk)), d, event_id=rep)
        pf = fit(f.panel, pseudo, f.model, f.estimation, f.min_obs, errors="drop")
        c = _car_arrays(pf, w)["car"]
        ok = ~np.isnan(c)
        rid = pf.pairs["event_id"].to_numpy().astype(np.int64)
        sums = np.bincount(rid[ok], weights=c[ok], minlength=int(n))
        cnts = np.bincount(rid[ok], minlength=int(n))
        caars[blk] = np.where(cnts[blk] > 0, sums[blk] / np.maximum(cnts[blk], 1), np.nan)
    return {"caar": actual, **placebo.placebo_p_values(actual, caars), "pool": pool, "regime_months": months,
            "placebo_caars": caars}


def _placebo_candidates(
    f: Fit, p: pd.DataFrame, w: tuple[int, int], exclude_days: int | None, avoid, coverage: str
) -> np.ndarray:
    panel = f.panel
    union = placebo.session_union(panel)
    col = np.unique(p["col"].to_numpy())
    ex = panel.ex_code[col]
    n_t = panel.dates.shape[0]
    lo = panel.dates[np.clip(panel.first_valid[col] - f.estimation[0], 0, n_t - 1), ex]
    hi = panel.dates[np.clip(panel.last_valid[col] - w[1], 0, n_t - 1), ex]
    lo, hi = (lo.max(), hi.min()) if coverage == "all" else (lo.min(), hi.max())
    ok = (union >= lo) & (union <= hi)
    gap = exclude_days if exclude_days is not None else max(abs(w[0]), abs(w[1])) + 5
    real = placebo.with_avoided(p["day0"].to_numpy(), avoid)
    cands = union[ok & placebo.away_from_events(union, real, gap)].to_numpy()
    if len(cands) < 20:
        raise CrackdownError(
            f"coverage: only {len(cands)} placebo candidate dates leave room for the estimation window "
            f"{f.estimation[0]}..{f.estimation[1]} inside the coverage of {coverage} securities; "
            "try coverage='any' or fewer securities"
        )
    return cands


# -------------------------------------------------------------------------------------------- one call


@dataclass(frozen=True)
class EventStudyResult:
    """Tidy outputs of :func:`run_event_study`: ``ar`` (daily ARs), ``car`` (per pair and window), ``caar``
    (group tests per window), ``params`` (model parameters per pair), ``dropped`` and the ``fit`` for reuse."""

    ar: pd.DataFrame
    car: pd.DataFrame
    caar: pd.DataFrame
    params: pd.DataFrame
    dropped: pd.DataFrame
    fit: Fit


def run_event_study(
    returns: pd.DataFrame,
    securities: pd.DataFrame,
    events: pd.DataFrame,
    symbols: Sequence[str],
    event_ids: Sequence[str] | None = None,
    model: str = "market",
    estimation: Sequence[int] = DEFAULT_ESTIMATION,
    window: Sequence[int] = DEFAULT_WINDOW,
    windows: Iterable[Sequence[int]] | None = None,
    min_obs: int = DEFAULT_MIN_OBS,
    benchmark: str | None = None,
    groups: Mapping[str, Iterable[str]] | None = None,
    errors: str = "raise",
    pairs: pd.DataFrame | None = None,
    spans: pd.DataFrame | None = None,
    cumulate: str = "sum",
) -> EventStudyResult:
    """Full event study: day 0 per exchange, model fit, ARs over ``window``, CARs over ``windows`` (default
    just ``window``) and group CAAR tests per window.

    ``returns``: wide returns frame (symbols and their benchmarks); ``securities``: symbol, exchange,
    benchmark_symbol; ``events``: event_id, date, optional time_beijing (and date_precision: month-only dates
    are rejected). ``benchmark`` overrides each security's benchmark_symbol. ``pairs`` (event_id, symbol)
    restricts the study to those combinations (default: every event x every symbol). ``spans``: sessions
    spanned by each return for gap-aware returns (:func:`build_panel`). ``cumulate``: ``sum`` (CAR) or
    ``compound`` (CAR and BHAR, :func:`car`).
    """
    ev = _select_events(events, event_ids)
    needs_benchmark = model in ("market", "market-adjusted")
    if cumulate not in CUMULATE:
        raise unknown_name_error("cumulation", cumulate, CUMULATE, "cumulate")
    panel = panel_from_securities(
        returns, securities, symbols, benchmark, with_benchmark=needs_benchmark, spans=spans
    )
    pairs = make_pairs(panel, ev, pairs)
    w = _check_window(window, "window")
    est = _check_window(estimation, "estimation")
    all_windows = [w] if windows is None else _as_windows(windows)
    for win in all_windows:
        _check_overlap(est, win)
    f = fit(panel, pairs, model, est, min_obs, errors)
    if f.pairs.empty:
        raise CrackdownError(f.dropped["reason"].iloc[0] if len(f.dropped) else "symbols: no pairs to study")
    caar = pd.concat([caar_tests(f, win, groups) for win in all_windows], ignore_index=True)
    return EventStudyResult(
        abnormal_returns(f, w), car(f, all_windows, cumulate), caar, f.params, f.dropped, f
    )


def _select_events(events: pd.DataFrame, event_ids: Sequence[str] | None) -> pd.DataFrame:
    if event_ids is not None:
        known = events["event_id"].astype(str)
        for e in event_ids:
            if e not in set(known):
                raise unknown_name_error("event", e, known, "event")
        events = events[known.isin(list(event_ids))]
    if "date_precision" in events:
        coarse = events["date_precision"].astype(str).ne("day")
        if coarse.any():
            raise CrackdownError(
                f"event: {events['event_id'][coarse].iloc[0]} has only a month-precision date; "
                "an event study needs the day"
            )
    if events.empty:
        raise CrackdownError("event: no events selected")
    return events.reset_index(drop=True)


def to_log_returns(returns: pd.DataFrame) -> pd.DataFrame:
    """Log returns log(1 + r) from simple returns (NaN stays NaN)."""
    return np.log1p(returns)
