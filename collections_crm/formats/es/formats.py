# Spanish: Django's 24-hour clock (TIME_FORMAT "H:i") is kept.

# collections_crm.lib.clock
WEEKDAY_TIME_FORMAT = "D H:i"  # mié 10:30
DAY_TIME_FORMAT = r"l j \d\e F, H:i"  # miércoles 18 de noviembre, 10:30
