"""The arithmetic of payment scores, on arrays: no database here.

A trained model is a logistic regression (scikit-learn) over standardised features, kept as
plain numbers (means, scales, coefficients, intercept) so that applying it to a million
debtors is one matrix product, and so that each feature's share of a debtor's score (its
coefficient times the debtor's distance from the mean) says why the score is what it is.
A scorecard adds points per feature band; its points turn into a probability the way credit
scorecards do: even odds at one number of points, the odds doubling every so many points.
"""

from dataclasses import dataclass

import numpy as np

REASONS_KEPT = 3


@dataclass(frozen=True)
class Scored:
    probability: np.ndarray  # one per debtor, 0..1
    effects: np.ndarray  # debtors × features: each feature's push on the log-odds


def transform(raw: np.ndarray, logged: list[bool], *, in_place: bool = False) -> np.ndarray:
    """Counts and amounts on a log scale: the tenth payment says less than the first. In place
    when the raw values are not needed again (a million debtors' features are 136 MB)."""
    values = raw if in_place else raw.astype(np.float64, copy=True)
    columns = np.flatnonzero(logged)
    values[:, columns] = np.log1p(np.clip(values[:, columns], 0, None))
    return values


def logistic_fit(values: np.ndarray, paid: np.ndarray, *, seed: int = 19) -> dict:
    """Fits the model on transformed feature values (which it overwrites) and 0/1 outcomes; returns its numbers and
    the AUC on debtors held out of a check fit (at most CHECK_SAMPLE of them drawn, so that a
    million debtors are not copied twice more)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    scale[scale == 0] = 1.0
    standard = values  # overwritten, as logistic_apply does: the caller's transformed copy
    standard -= mean
    standard /= scale
    drawn = np.random.default_rng(seed).permutation(paid.size)[:CHECK_SAMPLE]
    train, held, paid_train, paid_held = train_test_split(
        standard[drawn], paid[drawn], test_size=0.2, random_state=seed, stratify=paid[drawn]
    )
    check = LogisticRegression(max_iter=500).fit(train, paid_train)
    held_out_auc = float(roc_auc_score(paid_held, check.predict_proba(held)[:, 1]))
    del train, held
    model = LogisticRegression(max_iter=500).fit(standard, paid)
    return {
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": model.coef_[0].tolist(),
        "intercept": float(model.intercept_[0]),
        "held_out_auc": held_out_auc,
    }


CHECK_SAMPLE = 200_000


def logistic_apply(parameters: dict, values: np.ndarray) -> Scored:
    """The model on transformed values, which it overwrites with the effects (a million
    debtors' features are 136 MB: no copy is made)."""
    effects = values
    effects -= np.asarray(parameters["mean"])
    effects /= np.asarray(parameters["scale"])
    effects *= np.asarray(parameters["coef"])
    log_odds = parameters["intercept"] + effects.sum(axis=1)
    return Scored(probability=_sigmoid(log_odds), effects=effects)


def scorecard_apply(
    rules: list[tuple[int, float | None, float | None, int]],
    raw: np.ndarray,
    *,
    base_points: int,
    points_at_even_odds: int,
    points_to_double_odds: int,
) -> Scored:
    """Rules are (feature column, from (inclusive, None: no floor), below (exclusive, None: no
    ceiling), points). Each debtor's points are the base plus every rule its values fall in."""
    per_point = np.log(2) / points_to_double_odds  # log-odds a point is worth
    effects = np.zeros(raw.shape, dtype=np.float64)
    for column, low, high, points in rules:
        inside = np.ones(raw.shape[0], dtype=bool)
        if low is not None:
            inside &= raw[:, column] >= low
        if high is not None:
            inside &= raw[:, column] < high
        effects[inside, column] += points * per_point
    log_odds = (base_points - points_at_even_odds) * per_point + effects.sum(axis=1)
    return Scored(probability=_sigmoid(log_odds), effects=effects)


def top_reasons(effects: np.ndarray, kept: int = REASONS_KEPT) -> np.ndarray:
    """Per debtor, the columns of the `kept` features that moved the score most, either way."""
    if effects.shape[1] <= kept:
        return np.argsort(-np.abs(effects), axis=1)
    top = np.argpartition(-np.abs(effects), kept - 1, axis=1)[:, :kept]
    order = np.argsort(-np.abs(np.take_along_axis(effects, top, axis=1)), axis=1)
    return np.take_along_axis(top, order, axis=1)


def auc(paid: np.ndarray, probability: np.ndarray) -> float | None:
    """Area under the ROC curve; None when the outcomes are all alike (it is undefined)."""
    from sklearn.metrics import roc_auc_score

    if paid.min(initial=0) == paid.max(initial=0):
        return None
    return float(roc_auc_score(paid, probability))


@dataclass(frozen=True)
class Decile:
    decile: int  # 10: the likeliest payers
    debtors: int
    predicted: float  # mean probability
    actual: float  # share that paid
    recovered: float  # amount paid in the window


def deciles(probability: np.ndarray, paid: np.ndarray, recovered: np.ndarray) -> list[Decile]:
    """Debtors in ten bands of equal size by score, the likeliest payers last; ties keep their order."""
    if probability.size == 0:
        return []
    order = np.argsort(probability, kind="stable")
    bands = np.array_split(order, 10)
    found = []
    for number, band in enumerate(bands, start=1):
        if band.size:
            found.append(
                Decile(
                    decile=number,
                    debtors=int(band.size),
                    predicted=float(probability[band].mean()),
                    actual=float(paid[band].mean()),
                    recovered=float(recovered[band].sum()),
                )
            )
    return found


def _sigmoid(log_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -30, 30)))
