from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

LIMA = ZoneInfo("America/Lima")
# Monday 16 November 2026, 10:00 in Lima.
MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=LIMA)


@pytest.fixture
def clock():
    """Time frozen on a Monday morning in Lima; `clock.move_to(...)` moves it."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller
