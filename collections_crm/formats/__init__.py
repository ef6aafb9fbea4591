"""Our date and time formats per language (FORMAT_MODULE_PATH), over Django's own.

One clock per language: every time of day on a page, the reader's and the debtor's, is
written in the same style. Django's English mixes styles on its own ("P": "12:11 a.m.",
"noon", "1 p.m."), so English pages use the 12-hour clock with minutes always shown;
Spanish pages keep the 24-hour clock. Besides Django's names, each module defines the
formats of collections_crm.lib.clock (a weekday with a time, a day with a time).
"""
