"""The calls of a debtor's story: working-hours moments, unanswered attempts, conversations."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from calls.models import Call
from debtors.models import Phone

from .common import Case
from .conversations import (
    COMMITMENT_NOTES,
    DEFAULT_STANCE,
    NO_COMMITMENT_REASONS,
    NO_CONTACT_OUTCOME,
    OBJECTIONS,
    SITUATIONS,
    STANCE_BY_COMMITMENT,
    STANCE_NOTES,
    THIRD_PARTY_NOTES,
    UNREACHABLE_PHONE_STATUSES,
)


class CallHistoryMixin:
    """Calls for PortfolioSeeder: relies on its rng, now and _add()."""

    def _moment(self, case: Case, days_ago: int) -> datetime:
        """A working-hours moment (Mon–Sat, 09:00–19:30 local) `days_ago` days back, before now."""
        day = case.today - timedelta(days=days_ago)
        minute = self.rng.randrange(630)
        while True:
            if day.weekday() == 6:
                day -= timedelta(days=1)
            moment = datetime.combine(day, time(9), tzinfo=case.zone) + timedelta(minutes=minute)
            if moment < self.now - timedelta(minutes=15):
                return moment
            # Later today has not happened yet: the same time on the day before.
            day -= timedelta(days=1)

    def _between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    # --- Calls ----------------------------------------------------------------------------

    def _call(self, case: Case, **values) -> dict:
        ended_at = values["started_at"] + values["duration"]
        return self._add(
            Call, debtor_id=case.debtor["id"], collector_id=case.collector.pk, created_at=ended_at, **values
        )

    def _no_contact(self, case: Case, days_ago: int) -> dict:
        """An attempt that did not reach the debtor (or reached someone else)."""
        rng = self.rng
        phones = case.own_phones if not case.other_phones or rng.random() < 0.8 else case.other_phones
        phone = rng.choice(phones)
        if phone["status"] == Phone.Status.WRONG_NUMBER:
            outcome = Call.Outcome.WRONG_NUMBER
        elif phone["status"] == Phone.Status.DISCONNECTED:
            outcome = Call.Outcome.DISCONNECTED
        else:
            outcome = NO_CONTACT_OUTCOME.pick(rng)
        notes = ""
        if outcome == Call.Outcome.THIRD_PARTY:
            seconds, notes = rng.randint(30, 150), rng.choice(THIRD_PARTY_NOTES)
        elif outcome == Call.Outcome.VOICEMAIL:
            seconds = rng.randint(15, 60)
        else:
            seconds = rng.randint(0, 45)
        return self._call(
            case,
            phone_id=phone["id"],
            started_at=self._moment(case, days_ago),
            duration=timedelta(seconds=seconds),
            outcome=outcome,
            notes=notes,
        )

    def _attempts(self, case: Case, *, before_days_ago: int, up_to: int) -> None:
        """Up to `up_to` unanswered attempts in the days before a conversation."""
        days_ago = before_days_ago
        for _ in range(self.rng.randint(0, up_to)):
            days_ago += self.rng.randint(1, 4)
            if days_ago > case.span:
                return
            self._no_contact(case, days_ago)

    def _conversation(self, case: Case, days_ago: int, commitment: str, *, callback_at: datetime | None = None) -> dict:
        """A right-party call, with the debtor's stance and the commitment it ended with."""
        rng = self.rng
        reachable = [p for p in case.own_phones if p["status"] not in UNREACHABLE_PHONE_STATUSES]
        phone = rng.choice(reachable or case.own_phones)
        phone["status"] = Phone.Status.VALID  # a conversation proves the number works
        stance = STANCE_BY_COMMITMENT.get(commitment, DEFAULT_STANCE).pick(rng)
        stance_reason = ""
        if stance == Call.Stance.OBJECTION:
            stance_reason = rng.choice(OBJECTIONS)
        elif stance == Call.Stance.SITUATION:
            stance_reason = rng.choice(SITUATIONS)
        no_commitment_reason = rng.choice(NO_COMMITMENT_REASONS) if commitment == Call.Commitment.NONE else ""
        notes = " ".join(filter(None, (STANCE_NOTES.get(stance_reason), COMMITMENT_NOTES.get(commitment))))
        started_at = self._moment(case, days_ago)
        # Documents, a consultation or another commitment are followed up on an agreed day.
        follow_up_on = None
        if commitment in Call.DATED_COMMITMENTS:
            follow_up_on = started_at.astimezone(case.zone).date() + timedelta(days=rng.randint(2, 5))
        return self._call(
            case,
            phone_id=phone["id"],
            direction=Call.Direction.INBOUND if rng.random() < 0.1 else Call.Direction.OUTBOUND,
            started_at=started_at,
            duration=timedelta(seconds=rng.randint(90, 720)),
            outcome=Call.Outcome.RIGHT_PARTY,
            stance=stance,
            stance_reason=stance_reason,
            commitment=commitment,
            no_commitment_reason=no_commitment_reason,
            callback_at=callback_at,
            follow_up_on=follow_up_on,
            notes=notes or no_commitment_reason,
        )
