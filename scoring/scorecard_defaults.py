"""The default scorecard's points: made by data migration 0002 when the app is installed, and
again by the scoring when a database has none (deleted, or a test database emptied between tests).
Why each rule: migration 0002's docstring."""

DEFAULT_SCORECARD = {
    "name": "Default scorecard",
    "base_points": 40,
    "points_at_even_odds": 60,
    "points_to_double_odds": 20,
}

# (feature, from (inclusive, None: no floor), below (None: no ceiling), points)
DEFAULT_RULES = [
    ("days_past_due", None, 30, 20),
    ("days_past_due", 30, 90, 10),
    ("days_past_due", 180, None, -15),
    ("days_since_payment", None, 30, 20),
    ("days_since_payment", 30, 90, 10),
    ("days_since_payment", 365, None, -10),
    ("share_paid_90d", 0.1, None, 10),
    ("promises_kept", 1, None, 10),
    ("promises_broken", 2, None, -10),
    ("open_promise", 1, None, 15),
    ("right_party_90d", 1, None, 10),
    ("days_since_right_party", 365, None, -10),
    ("usable_phones", None, 1, -20),
    ("objection_heard", 1, None, -5),
    ("hardship_heard", 1, None, -5),
    ("on_hold", 1, None, -30),
]
