"""The contact-policy presets as data, seeded by migration 0004 (version 1 of each).

Values, citations and confidence come from /work/shared/domain/contact-rules.md (section 1).
Admins edit the database rows afterwards ("save as new" makes a new version); this module
stays the reference for a fresh database and for the pure-function tests.

Rule kinds and their parameters (see calls.policy.validate_rule):
- window: {"weekdays": [0..6] (Monday=0), "start": "HH:MM", "end": "HH:MM"}; half-open
  [start, end) in the debtor's local time. Windows of one policy add up; windows of
  different layers (preset, overlays, the portfolio's own rules) must all agree.
- holidays: {"country": ISO2, "subdivision": "", "subdivision_by_time_zone": {zone: code}}.
- cap: {"max": n, "period": "day" | "week" | "rolling_days", "days": n (rolling only),
  "scope": "debtor" | "debt", "counts": "all" | "reached_number" | "contact"}; counts the
  debtor's outbound attempts on the rule's channels, across all numbers.
- quiet_after_conversation: {"days": n, "scope": "debtor" | "debt"}: the conversation day is day 1.
- min_gap: {"days": n}: local dates of two attempts on the rule's channels differ by >= n.
- single_channel_per_week: {}: after a right-party contact, the rest of that calendar week
  uses only the channel already used.
- third_party: {}: block = third-party numbers undialable; warn = location only, no disclosure.
- authorised_channels: {}: only channels the debtor authorised (DebtorChannelAuthorisation).
"""

ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]
MON_FRI = [0, 1, 2, 3, 4]
MON_SAT = [0, 1, 2, 3, 4, 5]
MESSAGES = ["sms", "whatsapp", "email"]


def window(weekdays, start, end, citation, confidence="H", mode="block", channels=()):
    return {
        "kind": "window",
        "channels": list(channels),
        "params": {"weekdays": weekdays, "start": start, "end": end},
        "mode": mode,
        "citation": citation,
        "confidence": confidence,
    }


def holidays(country, citation, confidence="H", subdivision_by_time_zone=None):
    return {
        "kind": "holidays",
        "channels": [],
        "params": {"country": country, "subdivision": "", "subdivision_by_time_zone": subdivision_by_time_zone or {}},
        "mode": "block",
        "citation": citation,
        "confidence": confidence,
    }


def rule(kind, citation, confidence="H", mode="block", channels=(), **params):
    return {
        "kind": kind,
        "channels": list(channels),
        "params": params,
        "mode": mode,
        "citation": citation,
        "confidence": confidence,
    }


PRESETS = {
    "us_regf": {
        "kind": "preset",
        "name": "United States: Regulation F (FDCPA)",
        "citation": "12 CFR 1006.6, .14(b), .18(e), .26, .30(a), .34, .38, .100",
        "confidence": "H",
        "rules": [
            window(
                ALL_DAYS, "08:00", "21:00", "12 CFR 1006.6(b)(1)(i): before 08:00 or after 21:00 presumed inconvenient"
            ),
            # Calls that do not connect to the dialed number (busy, not in service) are excluded;
            # an unanswered call that rings or reaches voicemail counts.
            rule(
                "cap",
                "12 CFR 1006.14(b)(2)(i)(A): more than 7 calls in 7 consecutive days, per person and debt; exclusions 1006.14(b)(3)",
                channels=["voice"],
                max=7,
                period="rolling_days",
                days=7,
                scope="debt",
                counts="reached_number",
            ),
            rule(
                "quiet_after_conversation",
                "12 CFR 1006.14(b)(2)(i)(B): no call within 7 days after a telephone conversation (conversation day = day 1)",
                channels=["voice"],
                days=7,
                scope="debt",
            ),
            rule(
                "third_party",
                "12 CFR 1006.10 and FDCPA 804: third parties only for location information, without revealing the debt",
                mode="warn",
            ),
        ],
    },
    "us_ma": {
        "kind": "overlay",
        "name": "Massachusetts overlay on Regulation F",
        "citation": "940 CMR 7.04(1)(f); 209 CMR 18.16(1)(d)",
        "confidence": "H",
        "rules": [
            rule(
                "cap",
                "940 CMR 7.04(1)(f); 209 CMR 18.16(1)(d): at most 2 creditor-initiated communications (calls, texts) per 7 days per debt",
                channels=["voice", "sms"],
                max=2,
                period="rolling_days",
                days=7,
                scope="debt",
                counts="all",
            ),
        ],
    },
    "pe": {
        "kind": "preset",
        "name": "Peru: Consumer Code, arts. 61–62",
        "citation": "Ley 29571 arts. 61–62",
        "confidence": "H",
        "rules": [
            # The article says "visitas o llamadas"; messages follow the same hours conservatively.
            window(
                MON_FRI,
                "07:00",
                "20:00",
                "Ley 29571 art. 62(b): no visits or calls 20:00–07:00, Saturdays, Sundays or holidays",
            ),
            holidays("PE", "Ley 29571 art. 62(b): no visits or calls on holidays"),
            rule(
                "third_party",
                "Ley 29571 art. 61–62; Indecopi Res. 0410-2021/SPC (calls to third parties)",
                confidence="M",
            ),
        ],
    },
    "cl": {
        "kind": "preset",
        "name": "Chile: Law 19.496, art. 37",
        "citation": "Ley 19.496 art. 37 as amended by Ley 21.320 (DO 20-04-2021)",
        "confidence": "H",
        "rules": [
            window(MON_SAT, "08:00", "20:00", "Ley 19.496 art. 37 (Ley 21.320): Monday to Saturday 08:00–20:00"),
            holidays("CL", "Ley 19.496 art. 37 (Ley 21.320): días hábiles, excluding holidays"),
            # SERNAC counts "effective contacts": an unanswered call is not a phone contact.
            rule(
                "cap",
                "Ley 19.496 art. 37 (Ley 21.320): at most one phone contact or visit per week",
                channels=["voice", "visit"],
                max=1,
                period="week",
                scope="debtor",
                counts="contact",
            ),
            rule(
                "cap",
                "Ley 19.496 art. 37 (Ley 21.320): at most two other actions (mail, SMS, e-mail, messaging) per week",
                channels=[*MESSAGES, "letter"],  # letters since v2 (calls migration 0014)
                max=2,
                period="week",
                scope="debtor",
                counts="all",
            ),
            rule(
                "min_gap",
                "Ley 19.496 art. 37 (Ley 21.320): the two other actions at least two days apart",
                channels=[*MESSAGES, "letter"],
                days=2,
            ),
            rule("third_party", "Ley 19.496 art. 37: no communications to third parties revealing the arrears"),
        ],
    },
    "co": {
        "kind": "preset",
        "name": "Colombia: Law 2300 of 2023",
        "citation": "Ley 2300 de 2023 (arts. 1–3ff); SFC CE 048/2008",
        "confidence": "H",
        "rules": [
            window(MON_FRI, "07:00", "19:00", "Ley 2300 de 2023 art. 3: Monday to Friday 07:00–19:00"),
            window([5], "08:00", "15:00", "Ley 2300 de 2023 art. 3: Saturday 08:00–15:00"),
            holidays("CO", "Ley 2300 de 2023 art. 3: no contact on Sundays and holidays"),
            # The stricter reading (vendors ship it too): at most one attempt a day on any channel.
            rule(
                "cap",
                "Ley 2300 de 2023 art. 3: not more than once on the same day",
                max=1,
                period="day",
                scope="debtor",
                counts="all",
            ),
            rule(
                "single_channel_per_week",
                "Ley 2300 de 2023 art. 3: after a direct contact, not through several channels in the same week",
            ),
            rule("authorised_channels", "Ley 2300 de 2023 art. 2: only channels the consumer expressly authorised"),
            rule(
                "third_party", "Ley 2300 de 2023: no contact with personal references or others outside the obligation"
            ),
        ],
    },
    "mx_fin": {
        "kind": "preset",
        "name": "Mexico: CONDUSEF (financial entities)",
        "citation": "Disposiciones CONDUSEF despachos de cobranza (DOF 07-10-2014); CPF art. 284 Bis",
        "confidence": "H",
        "rules": [
            window(
                ALL_DAYS,
                "07:00",
                "22:00",
                "Disposiciones CONDUSEF despachos de cobranza (DOF 07-10-2014): 07:00–22:00 in the debtor's zone",
            ),
            rule(
                "third_party",
                "Disposiciones CONDUSEF (DOF 07-10-2014): no collecting from references; only avales and obligados solidarios",
            ),
        ],
    },
    "mx_com": {
        "kind": "preset",
        "name": "Mexico: PROFECO (commercial creditors)",
        "citation": "PROFECO disposiciones (as reported by PROFECO/press 2025)",
        "confidence": "M",
        "rules": [
            window(
                MON_FRI, "07:00", "22:00", "PROFECO disposiciones (2025): Monday to Friday 07:00–22:00", confidence="M"
            ),
            rule(
                "third_party",
                "PROFECO disposiciones (2025): debtor, aval or obligado solidario only",
                confidence="M",
            ),
        ],
    },
    "es": {
        "kind": "preset",
        "name": "Spain: conservative reference hours",
        "citation": "TRLGDCU 96; LCD 3/1991 art. 29; CP 172 ter; LOPDGDD art. 20; AEPD E-13222-2021",
        "confidence": "M",
        "rules": [
            window(
                MON_FRI,
                "09:00",
                "21:00",
                "TRLGDCU art. 96.2 (reference for recobro, not binding as such): 09:00–21:00, no weekends",
                confidence="L",
            ),
            holidays(
                "ES",
                "TRLGDCU art. 96.2 (reference): no calls on holidays",
                confidence="L",
                subdivision_by_time_zone={"Atlantic/Canary": "CN", "Africa/Ceuta": "CE"},
            ),
            # No numeric legal cap: an internal one warns before insistence becomes acoso.
            rule(
                "cap",
                "CP art. 172 ter; LCD 3/1991 art. 29: insistent contact may be harassment (internal cap)",
                confidence="L",
                mode="warn",
                channels=["voice"],
                max=3,
                period="day",
                scope="debtor",
                counts="all",
            ),
            rule(
                "third_party",
                "AEPD E-13222-2021: third parties only to locate the debtor, without disclosing the debt",
                mode="warn",
            ),
        ],
    },
    "ar": {
        "kind": "preset",
        "name": "Argentina: conservative reference hours",
        "citation": "Ley 24.240 art. 8 bis; CABA Ley 6171 (mod. 6271); BCRA PUSF §2.6",
        "confidence": "L",
        "rules": [
            window(
                MON_FRI, "09:00", "20:00", "No national window; conservative reference (CABA bill 2018)", confidence="L"
            ),
            holidays("AR", "Conservative: no collection calls on holidays", confidence="L"),
            rule(
                "third_party", "CABA Ley 6171 (mod. 6271): no contact with anyone other than the debtor", confidence="M"
            ),
        ],
    },
    "ec": {
        "kind": "preset",
        "name": "Ecuador: Consumer Protection Law, art. 49",
        "citation": "Ley Orgánica de Defensa del Consumidor art. 49 (reform Feb 2022)",
        "confidence": "M",
        "rules": [
            window(MON_FRI, "07:00", "20:00", "LODC art. 49 (2022): Monday to Friday 07:00–20:00", confidence="M"),
            holidays("EC", "LODC art. 49 (2022): no contact on weekends or holidays", confidence="M"),
            rule(
                "cap",
                "LODC art. 49 (2022): at most one collection contact a day (call, SMS or e-mail)",
                confidence="M",
                max=1,
                period="day",
                scope="debtor",
                counts="all",
            ),
            rule("third_party", "LODC art. 49 (2022): only debtor, co-debtor or guarantor", confidence="M"),
        ],
    },
}
