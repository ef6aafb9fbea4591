# English: the 12-hour clock everywhere, minutes always shown ("12:00 p.m.", never "noon").
TIME_FORMAT = "g:i a"
DATETIME_FORMAT = "N j, Y, g:i a"
SHORT_DATETIME_FORMAT = "m/d/Y g:i a"

# collections_crm.lib.clock
WEEKDAY_TIME_FORMAT = "D g:i a"  # Wed 10:30 a.m.
DAY_TIME_FORMAT = "l, F j, g:i a"  # Wednesday, November 18, 10:30 a.m.
