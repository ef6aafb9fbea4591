"""A promise is written once: its rules checked in Python, its constraints by the INSERT."""

from datetime import date
from decimal import Decimal

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from promises import services
from promises.models import Promise


@time_machine.travel("2026-11-18 15:00Z", tick=False)
def test_making_a_promise_does_not_re_check_the_databases_rules_with_queries(diego, carla):
    with CaptureQueriesContext(connection) as queries:
        services.promise_create(debtor=diego, collector=carla, amount=Decimal("300.00"), due_date=date(2026, 11, 20))
    checks = [q["sql"] for q in queries.captured_queries if '"_check"' in q["sql"] or 'SELECT 1 AS "a"' in q["sql"]]
    assert checks == []
    assert Promise.objects.get().amount == Decimal("300.00")
