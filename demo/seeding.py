"""Demo data for `manage.py seed_demo`: role-based logins, three portfolios and their history.

Everything comes from seeded ``random.Random`` streams and from the moment the command
runs: two runs produce the same people with the same stories, and the dates always look
current (promises due this week, callbacks due today, arrears in every aging bucket).
Rows are generated one chunk of debtors at a time and written table by table (COPY on
PostgreSQL), so memory stays flat and a million debtors take minutes.
"""

from __future__ import annotations

import bisect
import csv
import functools
import io
import itertools
import json
import operator
import random
import unicodedata
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from calls.models import Call, FollowUp
from collections_crm.lib.background import OneInFlight
from collections_crm.lib.timezones import zone_for
from collections_crm.users.models import Role, Team, User
from collections_crm.users.services import user_create
from debtors.models import Creditor, Debt, Debtor, Phone, Portfolio
from debtors.services import debtor_queue_figures_refresh
from promises import rules as promise_rules
from promises.models import Arrangement, Payment, PaymentAllocation, Promise, PromiseEvent, PromiseRules

DEMO_PASSWORD = "demo-cobranza-2026"
DEMO_SEED = 2026
DEFAULT_DEBTOR_COUNT = 3000
# Debtors generated, held in memory and written together.
CHUNK_DEBTORS = 5000
# Ids kept in reserve per table between chunks on PostgreSQL: more rows than a chunk
# makes of any table (a chunk that needs more reserves more, at the cost of a wait).
ID_RESERVE = 5 * CHUNK_DEBTORS
# What created follow-ups and judged promises in the demo history, where a job would have.
JOB_NAME = "seed_demo"


class Weighted:
    """Values with weights, picked with one draw (random.choices re-sums the weights on every call)."""

    def __init__(self, pairs):
        pairs = list(pairs)
        self.values = tuple(value for value, _ in pairs)
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


# --- Logins ---------------------------------------------------------------------------

DEMO_TEAM_NAME = "Lima"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    first_name: str
    last_name: str


DEMO_LOGINS = (
    DemoLogin("ana", Role.ADMIN, "Ana", "Álvarez"),
    DemoLogin("sofia", Role.SUPERVISOR, "Sofía", "Salazar"),
    DemoLogin("carla", Role.COLLECTOR, "Carla", "Cobos"),
    DemoLogin("carlos", Role.COLLECTOR, "Carlos", "Cruz"),
    DemoLogin("camila", Role.COLLECTOR, "Camila", "Castro"),
)
COLLECTOR_USERNAMES = tuple(login.username for login in DEMO_LOGINS if login.role == Role.COLLECTOR)


def demo_users_ensure() -> tuple[dict[str, User], int]:
    """Get or create the demo logins and team Lima; return the users by name and how many are new.

    A login that already exists is left exactly as it is (password, team, role): someone
    may have changed it on purpose.
    """
    existing = {user.username: user for user in User.objects.filter(username__in=[x.username for x in DEMO_LOGINS])}
    users: dict[str, User] = {}
    team = Team.objects.filter(name=DEMO_TEAM_NAME).first()
    created = 0
    for login in DEMO_LOGINS:
        user = existing.get(login.username)
        if user is None:
            user = user_create(
                username=login.username,
                password=DEMO_PASSWORD,
                role=login.role,
                first_name=login.first_name,
                last_name=login.last_name,
                team=team if login.role == Role.COLLECTOR else None,
            )
            created += 1
        users[login.username] = user
        if login.role == Role.SUPERVISOR and team is None:
            # Collectors come after the supervisor in DEMO_LOGINS, so they find the team.
            team = Team.objects.create(name=DEMO_TEAM_NAME, supervisor=user)
    return users, created


# --- National ids ---------------------------------------------------------------------

SPAIN_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
CURP_STATES = ("DF", "MC", "NL", "JC", "PL", "VZ", "GT", "BC", "QR", "CH", "SL", "OC", "YN", "MN")
VOWELS = "AEIOU"
CONSONANTS = "BCDFGHJKLMNPQRSTVWXYZ"
# Birth dates are counted back from a fixed day, not from today, so a debtor's ids
# do not change from one day to the next.
BIRTH_REFERENCE_DAY = date(2026, 1, 1)


@dataclass(frozen=True)
class Person:
    given_names: str
    surnames: tuple[str, ...]
    female: bool
    born: date
    language: str

    @property
    def full_name(self) -> str:
        return " ".join((self.given_names, *self.surnames))


@functools.cache  # names come from small pools
def ascii_upper(text: str) -> str:
    """Upper case without accents ("Ñ" kept), as identity documents spell names."""
    text = text.upper().replace("Ñ", "\0")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text.replace("\0", "Ñ")


def _first_internal(word: str, letters: str) -> str:
    return next((ch for ch in word[1:] if ch in letters), "X")


@functools.cache  # names come from small pools
def _curp_name_parts(surnames: tuple[str, ...], given_names: str) -> tuple[str, str]:
    """The CURP's four initial letters and three internal consonants for a name (Ñ counts as X)."""
    first_surname, second_surname = (ascii_upper(s).replace("Ñ", "X") for s in surnames)
    given = ascii_upper(given_names).replace("Ñ", "X").split()
    # The instructions skip a leading José or María when the person has another name.
    name = given[1] if len(given) > 1 and given[0] in ("JOSE", "MARIA") else given[0]
    initials = first_surname[0] + _first_internal(first_surname, VOWELS) + second_surname[0] + name[0]
    consonants = "".join(_first_internal(word, CONSONANTS) for word in (first_surname, second_surname, name))
    return initials, consonants


def peru_dni(rng: random.Random, person: Person) -> str:
    return f"{rng.randint(10_000_000, 79_999_999):08d}"


CURP_VALUES = {ch: value for value, ch in enumerate(CURP_ALPHABET)}


def curp_check_digit(first_17: str) -> str:
    """RENAPO's check digit: weights 18 down to 2 over the first 17 characters."""
    total = sum(CURP_VALUES[ch] * (18 - position) for position, ch in enumerate(first_17))
    return str((10 - total % 10) % 10)


def mexico_curp(rng: random.Random, person: Person) -> str:
    """A CURP built from the person's names, birth date and sex, with a valid check digit."""
    initials, consonants = _curp_name_parts(person.surnames, person.given_names)
    born = person.born
    body = (
        f"{initials}{born.year % 100:02d}{born.month:02d}{born.day:02d}{'M' if person.female else 'H'}"
        f"{rng.choice(CURP_STATES)}{consonants}"
        # RENAPO uses a digit for people born before 2000 and a letter after.
        f"{rng.randrange(10) if born.year < 2000 else rng.choice('ABCDEFGHIJ')}"
    )
    return body + curp_check_digit(body)


def spain_nif(rng: random.Random, person: Person) -> str:
    """A DNI number with its check letter; foreign residents (English speakers here) get an NIE."""
    if person.language == "en":
        prefix = rng.randrange(3)  # X, Y, Z stand for 0, 1, 2 in the check
        number = rng.randrange(10_000_000)
        return f"{'XYZ'[prefix]}{number:07d}{SPAIN_NIF_LETTERS[int(f'{prefix}{number:07d}') % 23]}"
    number = rng.randint(1_000_000, 79_999_999)
    return f"{number:08d}{SPAIN_NIF_LETTERS[number % 23]}"


# --- Phone numbers ---------------------------------------------------------------------
# E.164 strings drawn from each national numbering plan; the tests check every number
# against the `phonenumbers` metadata for its country.


def _digits(rng: random.Random, count: int) -> str:
    return f"{int(rng.random() * 10**count):0{count}d}"


def peru_mobile(rng: random.Random, zone: str) -> str:
    return "+519" + _digits(rng, 8)


def peru_landline(rng: random.Random, zone: str) -> str:
    # Lima: area code 1, then seven digits starting 2–7.
    return f"+511{rng.randint(2, 7)}{_digits(rng, 6)}"


MEXICO_AREA_CODES = {
    "America/Mexico_City": ("55", "55", "55", "81", "33", "222", "442", "477"),
    "America/Tijuana": ("664",),
    "America/Cancun": ("998",),
}


def mexico_number(rng: random.Random, zone: str) -> str:
    """Ten digits, area code first; since 2019 mobiles and landlines share the format."""
    area = rng.choice(MEXICO_AREA_CODES[zone])
    return f"+52{area}{_digits(rng, 10 - len(area))}"


def spain_mobile(rng: random.Random, zone: str) -> str:
    if rng.random() < 0.08:
        return f"+347{rng.randint(1, 4)}{_digits(rng, 7)}"
    return "+346" + _digits(rng, 8)


SPAIN_LANDLINE_PREFIXES = {
    "Europe/Madrid": ("91", "91", "93", "93", "96", "954", "944", "983"),
    "Atlantic/Canary": ("928", "922"),
}


def spain_landline(rng: random.Random, zone: str) -> str:
    prefix = rng.choice(SPAIN_LANDLINE_PREFIXES[zone])
    return f"+34{prefix}{_digits(rng, 9 - len(prefix))}"


# --- Markets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    name: str
    code: str  # prefix of the account reference
    low: int  # original amount range, in the portfolio's currency
    high: int
    weight: int


@dataclass(frozen=True)
class Market:
    """One country's portfolio and the pools its debtors are drawn from."""

    country: str
    creditor: str
    portfolio: str
    currency: str
    time_zones: tuple[tuple[str, int], ...]  # (zone, weight); the first is the portfolio default
    preset: str
    share: float  # of --debtors
    external_prefix: str
    products: tuple[Product, ...]
    round_to: Decimal  # debtors promise round figures
    male_names: tuple[str, ...]
    female_names: tuple[str, ...]
    surnames: tuple[str, ...]
    email_domains: tuple[str, ...]
    english_rate: float
    national_id: Callable[[random.Random, Person], str]
    mobile: Callable[[random.Random, str], str]  # (rng, time zone) → E.164
    landline: Callable[[random.Random, str], str]

    @property
    def default_time_zone(self) -> str:
        return self.time_zones[0][0]


def _pool(names: str) -> tuple[str, ...]:
    """A pool of names written as one comma-separated string (given names may be compound)."""
    return tuple(name.strip() for name in names.split(","))


ENGLISH_MALE_NAMES = _pool("Oliver, James, George, William, Thomas, Harry, Jack, Daniel")
ENGLISH_FEMALE_NAMES = _pool("Emma, Charlotte, Sophie, Amelia, Lucy, Hannah, Grace, Chloe")
ENGLISH_SURNAMES = _pool("Smith, Jones, Taylor, Brown, Wilson, Evans, Walker, Wright, Hughes, Clarke")

PERU = Market(
    country="PE",
    creditor="Banco Andino",
    portfolio="Tarjetas y préstamos Lima 2026",
    currency="PEN",
    time_zones=(("America/Lima", 1),),
    preset="pe",
    share=0.40,
    external_prefix="BA",
    products=(
        Product("Tarjeta de crédito", "TC", 400, 18_000, 55),
        Product("Préstamo personal", "PP", 1_500, 35_000, 35),
        Product("Crédito vehicular", "CV", 12_000, 60_000, 10),
    ),
    round_to=Decimal("10"),
    male_names=_pool(
        "José, Luis, Carlos, Jorge, Juan, Miguel, César, Víctor, Julio, Manuel, Alberto, Raúl, Percy, Wilmer, "
        "Edwin, Jhon, Renzo, Giancarlo, Diego, Christian, Juan Carlos, Luis Alberto, Segundo, Hugo"
    ),
    female_names=_pool(
        "María, Rosa, Carmen, Ana, Luz, Julia, Elizabeth, Milagros, Sonia, Gladys, Flor, Katherine, Yesenia, "
        "Lucía, Fiorella, Rocío, Maribel, Pilar, Yolanda, Rosa María, Nelly, Karina"
    ),
    surnames=_pool(
        "Quispe, Flores, Sánchez, Rodríguez, García, Mamani, Huamán, Rojas, Chávez, Vásquez, Ramírez, Torres, "
        "Mendoza, Díaz, Castillo, Gonzales, Condori, Espinoza, Cárdenas, Paredes, Salazar, Gutiérrez, Pérez, "
        "Vargas, Ramos, Cruz, Medina, Aguilar, Ticona, Apaza, Villanueva, Zapata, Alvarado, Huanca, Cahuana, "
        "Palomino, Yupanqui, Ccori"
    ),
    email_domains=("gmail.com", "hotmail.com", "outlook.com", "yahoo.es", "hotmail.es"),
    english_rate=0.01,
    national_id=peru_dni,
    mobile=peru_mobile,
    landline=peru_landline,
)

MEXICO = Market(
    country="MX",
    creditor="Financiera del Norte",
    portfolio="Préstamos y tarjetas México 2026",
    currency="MXN",
    time_zones=(("America/Mexico_City", 80), ("America/Tijuana", 12), ("America/Cancun", 8)),
    preset="mx_fin",
    share=0.35,
    external_prefix="FN",
    products=(
        Product("Tarjeta de crédito", "TC", 3_000, 85_000, 45),
        Product("Préstamo personal", "PP", 5_000, 150_000, 35),
        Product("Crédito de nómina", "CN", 8_000, 120_000, 20),
    ),
    round_to=Decimal("50"),
    male_names=_pool(
        "José Luis, Juan Carlos, Miguel Ángel, Jesús, Francisco, Alejandro, Fernando, Ricardo, Eduardo, Arturo, "
        "Roberto, Sergio, Héctor, Javier, Jorge, Raúl, Óscar, Gerardo, Emiliano, Santiago, José Antonio, Martín"
    ),
    female_names=_pool(
        "Guadalupe, María Fernanda, Verónica, Leticia, Patricia, Adriana, Alejandra, Gabriela, Claudia, Araceli, "
        "Yolanda, Mariana, Ximena, Daniela, Itzel, Brenda, Karla, Norma, María Guadalupe, Rocío"
    ),
    surnames=_pool(
        "Hernández, García, Martínez, López, González, Pérez, Rodríguez, Sánchez, Ramírez, Cruz, Flores, Gómez, "
        "Morales, Vázquez, Reyes, Jiménez, Torres, Díaz, Gutiérrez, Ruiz, Mendoza, Aguilar, Ortiz, Moreno, "
        "Castillo, Romero, Álvarez, Méndez, Chávez, Rivera, Juárez, Domínguez, Herrera, Medina, Castro, Guzmán, "
        "Velázquez, Contreras, Luna, Ortega, Estrada, Bautista, Cervantes, Soto, Núñez, Ibarra"
    ),
    email_domains=("gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "prodigy.net.mx", "live.com.mx"),
    english_rate=0.01,
    national_id=mexico_curp,
    mobile=mexico_number,
    landline=mexico_number,
)

SPAIN = Market(
    country="ES",
    creditor="Telecomunicaciones Ibéricas",
    portfolio="Facturas impagadas España 2026",
    currency="EUR",
    time_zones=(("Europe/Madrid", 88), ("Atlantic/Canary", 12)),
    preset="es",
    share=0.25,
    external_prefix="TI",
    products=(
        Product("Factura de móvil", "MOV", 35, 450, 35),
        Product("Fibra y móvil", "FIB", 60, 900, 30),
        Product("Financiación de terminal", "TER", 150, 1_200, 20),
        Product("Factura de luz", "LUZ", 40, 700, 15),
    ),
    round_to=Decimal("5"),
    male_names=_pool(
        "Antonio, Manuel, José, Francisco, David, Juan, Javier, Daniel, Carlos, Jesús, Alejandro, Miguel, Rafael, "
        "Pablo, Sergio, Jordi, Álvaro, Adrián, Iker, Hugo, Íñigo, Xabier, José Manuel"
    ),
    female_names=_pool(
        "María Carmen, María, Carmen, Ana María, Laura, Isabel, Pilar, Cristina, Marta, Lucía, Elena, Raquel, "
        "Montserrat, Nerea, Ainhoa, Sara, Paula, Irene, Begoña, Rocío, María José"
    ),
    surnames=_pool(
        "García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, Martín, Jiménez, Ruiz, "
        "Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, Alonso, Gutiérrez, Navarro, Torres, Domínguez, "
        "Vázquez, Ramos, Gil, Serrano, Blanco, Molina, Suárez, Ortega, Delgado, Castro, Rubio, Marín, Sanz, "
        "Núñez, Iglesias, Garrido, Santana, Calvo, Gallego, Vidal, Cabrera, Herrero, Lorenzo, Pascual, Etxeberria"
    ),
    email_domains=("gmail.com", "hotmail.com", "outlook.es", "yahoo.es", "telefonica.net", "icloud.com"),
    english_rate=0.04,
    national_id=spain_nif,
    mobile=spain_mobile,
    landline=spain_landline,
)

MARKETS = (PERU, MEXICO, SPAIN)


def debtor_counts(total: int) -> list[int]:
    """Split --debtors over the markets by their shares; the last takes the remainder."""
    counts = [round(total * market.share) for market in MARKETS[:-1]]
    return [*counts, total - sum(counts)]


# --- What collectors write ---------------------------------------------------------------
# Demo content in the collectors' own language, as they would type it; not product text.

OBJECTIONS = (
    Call.StanceReason.FORGOT,
    Call.StanceReason.NO_INVOICE,
    Call.StanceReason.PAY_LATER,
    Call.StanceReason.DISAGREES_AMOUNT,
    Call.StanceReason.CLAIMS_PAID,
    Call.StanceReason.SERVICE_COMPLAINT,
)
SITUATIONS = (
    Call.StanceReason.JOB_LOSS,
    Call.StanceReason.ILLNESS,
    Call.StanceReason.BUSINESS_FAILURE,
    Call.StanceReason.BEREAVEMENT,
    Call.StanceReason.REDUCED_INCOME,
    Call.StanceReason.OTHER,
)
STANCE_NOTES = {
    Call.StanceReason.FORGOT: "Dice que se le pasó la fecha.",
    Call.StanceReason.NO_INVOICE: "Dice que no le llegó el estado de cuenta.",
    Call.StanceReason.PAY_LATER: "Quiere pagar más adelante, sin fecha.",
    Call.StanceReason.DISAGREES_AMOUNT: "No está de acuerdo con el monto; pide el detalle.",
    Call.StanceReason.CLAIMS_PAID: "Dice que ya pagó; pide que revisemos.",
    Call.StanceReason.SERVICE_COMPLAINT: "Molesto con el servicio; reclamo pendiente.",
    Call.StanceReason.JOB_LOSS: "Se quedó sin trabajo hace poco.",
    Call.StanceReason.ILLNESS: "Estuvo enfermo y con gastos médicos.",
    Call.StanceReason.BUSINESS_FAILURE: "Cerró su negocio.",
    Call.StanceReason.BEREAVEMENT: "Falleció un familiar cercano.",
    Call.StanceReason.REDUCED_INCOME: "Le redujeron el sueldo.",
    Call.StanceReason.OTHER: "Problemas familiares.",
}
COMMITMENT_NOTES = {
    Call.Commitment.PROMISE: "Acepta pagar; se le repite monto, fecha y canal.",
    Call.Commitment.INSTALMENTS: "Se acuerda convenio en cuotas mensuales.",
    Call.Commitment.CALLBACK: "Pide que lo llamemos a una hora acordada.",
    Call.Commitment.SEND_DOCUMENTS: "Le enviamos el detalle de la deuda por correo.",
    Call.Commitment.RECEIVE_DOCUMENTS: "Enviará el comprobante de pago.",
    Call.Commitment.CONSULT: "Lo consultará con su pareja.",
    Call.Commitment.OTHER: "Irá a la agencia a revisar su cuenta.",
}
NO_COMMITMENT_REASONS = (
    "Se niega a dar una fecha de pago.",
    "Cortó la llamada al identificarnos.",
    "Dice que no tiene cómo pagar y no acepta opciones.",
    "No reconoce la deuda.",
    "Pide que no lo volvamos a llamar.",
)
THIRD_PARTY_NOTES = (
    "Contestó un familiar; dejó recado.",
    "Atendió la pareja; dice que no está.",
    "Contestó un compañero de trabajo; no saben cuándo vuelve.",
)
CONSENT_SOURCES = ("Contrato firmado", "Formulario web", "Llamada grabada", "App del acreedor")
RELATIONSHIP_HINTS = {
    Phone.Relationship.REFERENCE: "referencia",
    Phone.Relationship.RELATIVE: "familiar",
    Phone.Relationship.EMPLOYER: "empleador",
}

# How often things happen (weights).
PHONE_COUNT = Weighted(((1, 60), (2, 30), (3, 10)))
# For the second and third number.
PHONE_RELATIONSHIP = Weighted(
    (
        (Phone.Relationship.OWN, 45),
        (Phone.Relationship.RELATIVE, 25),
        (Phone.Relationship.REFERENCE, 15),
        (Phone.Relationship.EMPLOYER, 15),
    )
)
PHONE_STATUS = Weighted(
    (
        (Phone.Status.UNKNOWN, 40),
        (Phone.Status.VALID, 50),
        (Phone.Status.WRONG_NUMBER, 5),
        (Phone.Status.DISCONNECTED, 5),
    )
)
UNREACHABLE_PHONE_STATUSES = (Phone.Status.WRONG_NUMBER, Phone.Status.DISCONNECTED)
NO_CONTACT_OUTCOME = Weighted(
    (
        (Call.Outcome.NO_ANSWER, 50),
        (Call.Outcome.BUSY, 12),
        (Call.Outcome.VOICEMAIL, 26),
        (Call.Outcome.THIRD_PARTY, 12),
    )
)


def _stance(objection: int, situation: int) -> Weighted:
    return Weighted(
        (
            (Call.Stance.OBJECTION, objection),
            (Call.Stance.SITUATION, situation),
            (Call.Stance.NONE, 100 - objection - situation),
        )
    )


# The debtor's stance by the commitment the call ended with: hardship leads to instalment
# plans, objections to refusals and to requests for paperwork.
STANCE_BY_COMMITMENT = {
    Call.Commitment.INSTALMENTS: _stance(15, 70),
    Call.Commitment.NONE: _stance(70, 20),
    Call.Commitment.SEND_DOCUMENTS: _stance(70, 5),
    Call.Commitment.RECEIVE_DOCUMENTS: _stance(70, 5),
}
DEFAULT_STANCE = _stance(30, 25)
DOCUMENT_COMMITMENTS = (
    Call.Commitment.SEND_DOCUMENTS,
    Call.Commitment.RECEIVE_DOCUMENTS,
    Call.Commitment.CONSULT,
    Call.Commitment.OTHER,
)
# How promises that reached their date ended: instalments of a plan, and renegotiated promises.
INSTALMENT_OUTCOME = Weighted(
    ((Promise.Status.KEPT, 80), (Promise.Status.PARTIALLY_KEPT, 8), (Promise.Status.BROKEN, 12))
)
RENEGOTIATED_OUTCOME = Weighted(
    ((Promise.Status.KEPT, 65), (Promise.Status.PARTIALLY_KEPT, 10), (Promise.Status.BROKEN, 25))
)


# --- Stories ---------------------------------------------------------------------------
# Each assigned debtor lives one story; the story decides the calls, promises and
# follow-ups, so the history of every debtor reads like a real case.

FRESH = "fresh"  # no calls yet
UNREACHED = "unreached"
REFUSED = "refused"
DOCUMENTS = "documents"
CALLBACK_TODAY = "callback_today"
CALLBACK_LATER = "callback_later"
PROMISE_PENDING = "promise_pending"
PROMISE_KEPT = "promise_kept"
PROMISE_PARTIALLY_KEPT = "promise_partially_kept"
PROMISE_BROKEN_RECENTLY = "promise_broken_recently"
PROMISE_BROKEN_LONG_AGO = "promise_broken_long_ago"
RENEGOTIATED = "renegotiated"
INSTALMENTS = "instalments"

STORY = Weighted(
    (
        (FRESH, 14),
        (UNREACHED, 22),
        (REFUSED, 8),
        (DOCUMENTS, 6),
        (CALLBACK_TODAY, 4),
        (CALLBACK_LATER, 4),
        (PROMISE_PENDING, 9),
        (PROMISE_KEPT, 11),
        (PROMISE_PARTIALLY_KEPT, 4),
        (PROMISE_BROKEN_RECENTLY, 3),
        (PROMISE_BROKEN_LONG_AGO, 6),
        (RENEGOTIATED, 3),
        (INSTALMENTS, 6),
    )
)
# A debtor on hold gets no open work: only stories that are over.
HELD_STORIES = (FRESH, UNREACHED, REFUSED, PROMISE_KEPT, PROMISE_BROKEN_LONG_AGO)
# The first debtors of every portfolio live these, in order, so that even a tiny
# --debtors shows each promise status and gives every collector a callback due today
# (assignment is round-robin, so the first three go to the three collectors).
SHOWCASE = (
    CALLBACK_TODAY,
    CALLBACK_TODAY,
    CALLBACK_TODAY,
    PROMISE_PENDING,
    PROMISE_KEPT,
    PROMISE_PARTIALLY_KEPT,
    PROMISE_BROKEN_RECENTLY,
    RENEGOTIATED,
    INSTALMENTS,
    REFUSED,
    UNREACHED,
    DOCUMENTS,
)
# Days of arrears a story needs, so that its calls happen after the debt fell due.
STORY_MIN_ARREARS = {
    FRESH: 1,
    UNREACHED: 3,
    REFUSED: 3,
    DOCUMENTS: 3,
    CALLBACK_TODAY: 8,
    CALLBACK_LATER: 8,
    PROMISE_PENDING: 12,
    PROMISE_KEPT: 40,
    PROMISE_PARTIALLY_KEPT: 40,
    PROMISE_BROKEN_RECENTLY: 30,
    PROMISE_BROKEN_LONG_AGO: 60,
    RENEGOTIATED: 60,
    INSTALMENTS: 160,
}
# Days past due of a debtor's oldest debt (low, high, weight): every aging bucket is filled.
ARREARS_RANGES = ((1, 30, 22), (31, 60, 18), (61, 90, 15), (91, 180, 22), (181, 400, 23))
# Every twentieth debtor stays unassigned, for the admin's assignment screen.
UNASSIGNED_EVERY = 20
HOLD_RATES = (
    ("hold_dispute", 0.025),
    ("hold_do_not_contact", 0.012),
    ("hold_cease", 0.01),
    ("hold_lawsuit", 0.01),
    ("hold_insolvency", 0.005),
    ("hold_deceased", 0.004),
)
CENT = Decimal("0.01")
MAX_GRACE_DAYS = 5


# --- Writing rows ----------------------------------------------------------------------------
# bulk_create spends ~60 µs of Python per row preparing values (measured: ~95 µs a call
# row on PostgreSQL), which makes a million debtors a half-hour job. The demo writes plain
# rows instead: ids handed out before the rows exist, so children point at their parents
# without a round trip, and one COPY per table and chunk on PostgreSQL.


class IdAllocator:
    """Primary keys for rows that do not exist yet, reserved in blocks per table.

    Make one per seeding transaction, after lock_tables_for_seeding(): while the tables
    are locked nobody else takes ids from them, so a block can be a plain range. Ids
    reserved but not used are skipped by the sequence (a gap, as after a rollback).
    """

    def __init__(self, connection, *, block: int, before_query: Callable[[], None] = lambda: None):
        self.connection = connection
        self.block = block
        self.before_query = before_query
        self.free: dict[type[Model], list[int]] = {}
        self.highest_taken: dict[type[Model], int] = {}

    def take(self, model: type[Model]) -> int:
        free = self.free.get(model)
        if not free:
            free = self.free[model] = self._reserve(model)
        return free.pop()

    def top_up(self, model_classes, *, minimum: int) -> None:
        """Reserve a block for every table with fewer than `minimum` ids left.

        Called while the connection is idle, so that take() does not have to query in
        the middle of a chunk (and wait for the COPY in flight).
        """
        for model in model_classes:
            free = self.free.get(model, [])
            if len(free) < minimum:
                # Older ids sit at the end of the list, so pop() keeps handing them out first.
                self.free[model] = self._reserve(model) + free

    def _reserve(self, model: type[Model]) -> list[int]:
        table, pk = model._meta.db_table, model._meta.pk.column
        self.before_query()
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                # Move the sequence past the block: later inserts by anyone start after it.
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                    [table, pk, table, pk, self.block],
                )
                highest = cursor.fetchone()[0] - self.block
            else:
                # SQLite has no sequence to move: continue after the highest id ever used
                # (sqlite_sequence also remembers deleted ones) or handed out by this allocator.
                highest = self.highest_taken.get(model)
                if highest is None:
                    quote = self.connection.ops.quote_name
                    cursor.execute(f"SELECT COALESCE(MAX({quote(pk)}), 0) FROM {quote(table)}")
                    highest = cursor.fetchone()[0]
                    cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
                    highest = max(highest, cursor.fetchone()[0])
                self.highest_taken[model] = highest + self.block
        return list(range(highest + self.block, highest, -1))  # pop() hands them out in ascending order


def lock_tables_for_seeding(connection, *, check_foreign_keys_now: bool) -> None:
    """Keep other writers out of the seeded tables until the transaction ends.

    SQLite already holds the database's write lock (transaction_mode IMMEDIATE). On
    PostgreSQL, SHARE ROW EXCLUSIVE blocks inserts but not reads, so the ids handed out
    by IdAllocator stay ours, and a second seed_demo run waits here instead of racing.

    `check_foreign_keys_now` (only for a transaction of our own, as the setting lasts
    until it ends): foreign keys are checked after each statement instead of at commit,
    so the server's queue of pending checks does not grow with the portfolio, and the
    checks run while the next chunk is being generated.
    """
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in MODELS_IN_ORDER)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        if check_foreign_keys_now:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


TEXT_FIELDS = ("CharField", "TextField", "EmailField", "SlugField", "URLField")


class RowWriter:
    """Inserts rows of one model given as {attname: value}; model defaults fill the rest.

    On PostgreSQL, copy_data() turns rows into CSV for COPY (see BackgroundCopy); other
    databases get an executemany with each value prepared by its field, as Django does.
    """

    def __init__(self, model: type[Model], connection, now: datetime):
        self.model = model
        self.connection = connection
        self.fields = list(model._meta.concrete_fields)
        self.defaults = {
            f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            for f in self.fields
        }
        self.known = frozenset(self.defaults)
        self.in_column_order = operator.itemgetter(*self.defaults)
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in self.fields)
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(self.fields))})"
        # CSV writes None as an empty unquoted field, which COPY reads as NULL; in NOT NULL
        # columns FORCE_NOT_NULL reads it as an empty string instead. str() spells every
        # other value the way PostgreSQL reads it (dates, Decimals, booleans, durations).
        not_null = ", ".join(quote(f.column) for f in self.fields if not f.null)
        force_not_null = f", FORCE_NOT_NULL ({not_null})" if not_null else ""
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv{force_not_null})"
        self.json_fields = {f.attname: i for i, f in enumerate(self.fields) if f.get_internal_type() == "JSONField"}
        # An empty string in a nullable text column would come back as NULL: refuse it.
        self.nullable_text = [f.attname for f in self.fields if f.null and f.get_internal_type() in TEXT_FIELDS]

    def _in_column_order(self, rows: list[dict]) -> list[tuple]:
        defaults, known = self.defaults, self.known
        for row in rows:
            if not row.keys() <= known:
                raise ValueError(f"{self.model.__name__} has no field {sorted(row.keys() - known)}")
        return [self.in_column_order({**defaults, **row}) for row in rows]

    def copy_data(self, rows: list[dict]) -> str:
        values = self._in_column_order(rows)
        if self.nullable_text and any(row.get(name) == "" for row in rows for name in self.nullable_text):
            raise ValueError(f"{self.model.__name__}: COPY cannot tell '' from NULL in {self.nullable_text}")
        for index, row in enumerate(rows):
            # Only rows that set a JSON field (its default is None here) need it spelled as JSON.
            if self.json_fields.keys() & row.keys():
                spelled = list(values[index])
                for column in self.json_fields.values():
                    if spelled[column] is not None:
                        spelled[column] = json.dumps(spelled[column])
                values[index] = tuple(spelled)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(values)
        return buffer.getvalue()

    def insert(self, rows: list[dict]) -> None:
        fields, connection = self.fields, self.connection
        prepared = [
            [None if v is None else f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
            for row in self._in_column_order(rows)
        ]
        with connection.cursor() as cursor:
            cursor.executemany(self.insert_sql, prepared)


class BackgroundCopy:
    """Runs one chunk's COPY statements in a thread while the next chunk is generated.

    PostgreSQL then inserts and checks foreign keys on one core while Python builds rows
    on the other; the driver lets go of the GIL while it waits for the server. The thread
    uses the same database connection, so the rows land in the seeding transaction;
    nothing else may use that connection until wait() returns.
    """

    def __init__(self, connection):
        self.raw_connection = connection.connection  # the driver's connection, shared with this thread
        self.in_flight: OneInFlight[None] = OneInFlight(name="seed_demo-copy")

    def submit(self, statements: list[tuple[str, str]]) -> None:
        self.in_flight.submit(functools.partial(self._copy, statements))

    def wait(self) -> None:
        self.in_flight.wait()

    def _copy(self, statements: list[tuple[str, str]]) -> None:
        with self.raw_connection.cursor() as cursor:
            for sql, data in statements:
                if hasattr(cursor, "copy_expert"):  # psycopg2
                    # One read of the whole buffer: the driver takes the GIL for every
                    # read, and each take can wait for the generating thread to yield.
                    cursor.copy_expert(sql, io.StringIO(data), size=len(data) + 1)
                else:  # psycopg 3
                    with cursor.copy(sql) as copy:
                        copy.write(data)


# --- Seeding -------------------------------------------------------------------------------

# Insert order: parents before children, as foreign keys may be checked after each statement.
MODELS_IN_ORDER = (
    Debtor,
    Debt,
    Phone,
    Call,
    Arrangement,
    Promise,
    PromiseEvent,
    Payment,
    PaymentAllocation,
    FollowUp,
)
ROW_NAMES = {
    Debtor: "debtors",
    Debt: "debts",
    Phone: "phones",
    Call: "calls",
    Arrangement: "arrangements",
    Promise: "promises",
    PromiseEvent: "promise events",
    Payment: "payments",
    PaymentAllocation: "payment allocations",
    FollowUp: "follow-ups",
}


@dataclass
class SeedReport:
    users_created: int = 0
    users_existing: int = 0
    portfolios_created: int = 0
    portfolios_existing: int = 0
    debtors_existing: int = 0
    rows_created: Counter = field(default_factory=Counter)  # "debtors", "calls"… → rows
    users: dict[str, User] = field(default_factory=dict)


def demo_seed(
    *,
    debtor_count: int,
    now: datetime | None = None,
    seed: int = DEMO_SEED,
    progress: Callable[[str], None] | None = None,
) -> SeedReport:
    """Create the demo logins, the three portfolios and `debtor_count` debtors with history.

    1. Get or create the logins (admin, supervisor, team Lima, three collectors).
    2. Get or create each market's creditor and portfolio.
    3. A portfolio that already has debtors is kept as it is; the others are filled in
       one transaction each, so an interrupted run leaves a portfolio full or empty,
       and the next run fills exactly the empty ones.
    4. Each portfolio draws from its own random stream (seed + country), so a skipped
       portfolio does not change the data of the next one.
    """
    now = now or timezone.now()
    report = SeedReport()
    report.users, report.users_created = demo_users_ensure()
    report.users_existing = len(DEMO_LOGINS) - report.users_created
    collectors = [report.users[name] for name in COLLECTOR_USERNAMES]

    for market, count in zip(MARKETS, debtor_counts(debtor_count), strict=True):
        creditor, _ = Creditor.objects.get_or_create(name=market.creditor)
        portfolio, created = Portfolio.objects.get_or_create(
            creditor=creditor,
            name=market.portfolio,
            defaults={
                "country": market.country,
                "currency": market.currency,
                "default_time_zone": market.default_time_zone,
                "contact_policy_preset": market.preset,
            },
        )
        report.portfolios_created += created
        report.portfolios_existing += not created
        own_transaction = not connection.in_atomic_block
        with transaction.atomic():
            lock_tables_for_seeding(connection, check_foreign_keys_now=own_transaction)
            # Counted under the lock: a concurrent run has either finished this portfolio or not begun it.
            existing = portfolio.debtors.count()
            if existing:
                report.debtors_existing += existing
                continue
            seeder = PortfolioSeeder(
                market=market,
                portfolio=portfolio,
                collectors=collectors,
                now=now,
                rng=random.Random(f"{seed}:{market.country}"),
            )
            try:
                for start in range(0, count, CHUNK_DEBTORS):
                    stop = min(start + CHUNK_DEBTORS, count)
                    seeder.seed_chunk(start, stop)
                    if progress:
                        progress(f"{portfolio.name}: {stop:,} of {count:,} debtors")
            finally:
                seeder.finish()
            # Rows were written as plain rows: the queue's stored figures, in one statement.
            debtor_queue_figures_refresh(where="portfolio_id = %s", params=[portfolio.pk])
            report.rows_created.update(seeder.rows_created)
    return report


@dataclass
class Case:
    """One debtor while their story is being written."""

    debtor: dict
    collector: User
    zone: zoneinfo.ZoneInfo
    today: date
    debts: list[dict]
    own_phones: list[dict]
    other_phones: list[dict]
    span: int  # days of arrears: no call is older than this
    payments: int = 0


class PortfolioSeeder:
    """Writes one portfolio's debtors and their history, a chunk of debtors at a time."""

    def __init__(
        self, *, market: Market, portfolio: Portfolio, collectors: list[User], now: datetime, rng: random.Random
    ):
        self.market = market
        self.portfolio = portfolio
        self.collectors = collectors
        self.now = now
        self.rng = rng
        self.rows_created: Counter = Counter()
        self.next_collector = 0
        self.writers = {model: RowWriter(model, connection, now) for model in MODELS_IN_ORDER}
        self.copier = BackgroundCopy(connection) if connection.vendor == "postgresql" else None
        # The connection serves one statement at a time: a COPY in flight finishes first.
        self.ids = IdAllocator(
            connection, block=2 * ID_RESERVE if self.copier else CHUNK_DEBTORS, before_query=self.finish
        )
        if self.copier:
            self.ids.top_up(MODELS_IN_ORDER, minimum=ID_RESERVE)
        self.rows: dict[type[Model], list[dict]] = {model: [] for model in MODELS_IN_ORDER}
        self.zone = Weighted(market.time_zones)
        self.zones = {name: zone_for(name) for name, _ in market.time_zones}
        self.today = {name: now.astimezone(zone).date() for name, zone in self.zones.items()}
        self.product = Weighted((product, product.weight) for product in market.products)
        # The portfolio's promise rules (defaults when it has none), as promise_create applies them.
        rules = PromiseRules.objects.filter(portfolio=portfolio).first() or PromiseRules(portfolio=portfolio)
        # promise_create lets a promise override the grace; the demo keeps it short so
        # its stories (made, due, lapsed, judged) fit in the weeks they are given.
        self.grace_days = min(rules.grace_days, MAX_GRACE_DAYS)
        self.thresholds = functools.partial(
            promise_rules.thresholds_for,
            tolerance_percent=rules.tolerance_percent,
            tolerance_amount=rules.tolerance_amount,
            partial_minimum_percent=rules.partial_minimum_percent,
        )
        # Arrears ranges a story can use, by the story's minimum.
        self.arrears = {
            minimum: Weighted(
                ((max(low, minimum), high), weight) for low, high, weight in ARREARS_RANGES if high >= minimum
            )
            for minimum in set(STORY_MIN_ARREARS.values())
        }

    def seed_chunk(self, start: int, stop: int) -> None:
        """Generate debtors [start, stop) with their history, then write them table by table."""
        for index in range(start, stop):
            self._add_debtor(index)
        rows, self.rows = self.rows, {model: [] for model in MODELS_IN_ORDER}
        for model, model_rows in rows.items():
            self.rows_created[ROW_NAMES[model]] += len(model_rows)
        if self.copier:
            statements = [(self.writers[m].copy_sql, self.writers[m].copy_data(r)) for m, r in rows.items() if r]
            self.copier.wait()
            self.ids.top_up(MODELS_IN_ORDER, minimum=ID_RESERVE)
            self.copier.submit(statements)
        else:
            for model, model_rows in rows.items():
                self.writers[model].insert(model_rows)

    def finish(self) -> None:
        """Wait for the last chunk to be written (and raise if writing it failed)."""
        if self.copier:
            self.copier.wait()

    def _add(self, model: type[Model], **values) -> dict:
        """A new row of `model` with its id already known."""
        row = {"id": self.ids.take(model), **values}
        self.rows[model].append(row)
        return row

    # --- Debtor, debts, phones ----------------------------------------------------------

    def _add_debtor(self, index: int) -> None:
        rng, market = self.rng, self.market
        person = self._person()
        zone_name = self.zone.pick(rng)
        zone, today = self.zones[zone_name], self.today[zone_name]

        collector = None
        if index % UNASSIGNED_EVERY != UNASSIGNED_EVERY - 1:
            collector = self.collectors[self.next_collector % len(self.collectors)]
            self.next_collector += 1
        holds = {}
        if index >= len(SHOWCASE):
            holds = {name: True for name, rate in HOLD_RATES if rng.random() < rate}
        if collector is None:
            story = FRESH
        elif index < len(SHOWCASE):
            story = SHOWCASE[index]
        elif holds:
            story = rng.choice(HELD_STORIES)
        else:
            story = STORY.pick(rng)

        arrears = rng.randint(*self.arrears[STORY_MIN_ARREARS[story]].pick(rng))
        # Placed with the agency the day after the oldest debt fell due: all history is later.
        placed_at = datetime.combine(today - timedelta(days=arrears - 1), time(7), tzinfo=zone)
        debtor = self._add(
            Debtor,
            portfolio_id=self.portfolio.pk,
            external_id=f"{market.external_prefix}-{index + 1:07d}",
            national_id=market.national_id(rng, person),
            full_name=person.full_name,
            email=self._email(person) if rng.random() < 0.55 else "",
            time_zone=zone_name,
            language=person.language,
            assigned_to_id=collector.pk if collector else None,
            created_at=placed_at,
            updated_at=placed_at,
            **holds,
        )
        debts = self._debts(debtor, today, arrears, placed_at)
        own_phones, other_phones = self._phones(debtor, zone_name, placed_at)
        if collector is None:
            return
        case = Case(
            debtor=debtor,
            collector=collector,
            zone=zone,
            today=today,
            debts=debts,
            own_phones=own_phones,
            other_phones=other_phones,
            span=arrears - 1,
        )
        getattr(self, f"_story_{story}")(case)

    def _person(self) -> Person:
        rng, market = self.rng, self.market
        female = rng.random() < 0.5
        born = BIRTH_REFERENCE_DAY - timedelta(days=rng.randint(21 * 365, 75 * 365))
        language = "es"
        if rng.random() < market.english_rate:
            language = "en"
            if market.country == "ES":
                # Foreign residents in Spain: English names, one surname, an NIE.
                given = rng.choice(ENGLISH_FEMALE_NAMES if female else ENGLISH_MALE_NAMES)
                return Person(given, (rng.choice(ENGLISH_SURNAMES),), female, born, language)
        given = rng.choice(market.female_names if female else market.male_names)
        return Person(given, (rng.choice(market.surnames), rng.choice(market.surnames)), female, born, language)

    def _email(self, person: Person) -> str:
        rng = self.rng
        first = ascii_upper(person.given_names.split()[0]).replace("Ñ", "N").lower()
        last = ascii_upper(person.surnames[0]).replace("Ñ", "N").lower()
        suffix = str(rng.randint(1, 99)) if rng.random() < 0.6 else ""
        local = rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}"))
        return f"{local}{suffix}@{rng.choice(self.market.email_domains)}"

    def _debts(self, debtor: dict, today: date, arrears: int, placed_at: datetime) -> list[dict]:
        rng, market = self.rng, self.market
        debts = []
        for number in range(1, 3 if rng.random() < 0.2 else 2):
            product = self.product.pick(rng)
            # Most debts are small: a triangular draw leaning to the low end of the range.
            original = Decimal(int(rng.triangular(product.low, product.high, product.low) * 100)) / 100
            balance = max((original * Decimal(rng.uniform(0.35, 1.0))).quantize(CENT), CENT)
            days_overdue = arrears if number == 1 else rng.randint(1, arrears)
            debts.append(
                self._add(
                    Debt,
                    debtor_id=debtor["id"],
                    account_reference=f"{product.code}-{debtor['external_id'][3:]}-{number}",
                    product=product.name,
                    original_amount=original,
                    balance=balance,
                    currency=market.currency,
                    due_date=today - timedelta(days=days_overdue),
                    created_at=placed_at,
                    updated_at=placed_at,
                )
            )
        return debts

    def _phones(self, debtor: dict, zone: str, placed_at: datetime) -> tuple[list[dict], list[dict]]:
        """1–3 numbers: the debtor's own mobile first, then a landline or a third party's."""
        rng, market = self.rng, self.market
        own, others, seen = [], [], set()
        for position in range(PHONE_COUNT.pick(rng)):
            relationship = Phone.Relationship.OWN
            if position:
                relationship = PHONE_RELATIONSHIP.pick(rng)
            kind = Phone.Kind.MOBILE
            if relationship == Phone.Relationship.EMPLOYER:
                kind, number = Phone.Kind.WORK, market.landline(rng, zone)
            elif position and relationship == Phone.Relationship.OWN and rng.random() < 0.6:
                kind, number = Phone.Kind.HOME, market.landline(rng, zone)
            else:
                number = market.mobile(rng, zone)
            if number in seen:
                continue
            seen.add(number)
            phone = {
                "debtor_id": debtor["id"],
                "number": number,
                "kind": kind,
                "relationship": relationship,
                "status": PHONE_STATUS.pick(rng),
                "created_at": placed_at,
            }
            if relationship != Phone.Relationship.OWN:
                person = self._person()
                phone["contact_name"] = (
                    f"{person.given_names} {person.surnames[0]} ({RELATIONSHIP_HINTS[relationship]})"
                )
            elif kind == Phone.Kind.MOBILE:
                self._consents(phone)
            (own if relationship == Phone.Relationship.OWN else others).append(self._add(Phone, **phone))
        return own, others

    def _consents(self, phone: dict) -> None:
        """Some debtors agreed to SMS or WhatsApp; a consent always records its source and date."""
        rng = self.rng
        if rng.random() < 0.3:
            phone["sms_consent"] = True
            phone["sms_consent_source"] = rng.choice(CONSENT_SOURCES)
            phone["sms_consent_at"] = self.now - timedelta(days=rng.randint(30, 900), minutes=rng.randrange(1440))
        if rng.random() < 0.2:
            phone["whatsapp_consent"] = True
            phone["whatsapp_consent_source"] = rng.choice(CONSENT_SOURCES)
            phone["whatsapp_consent_at"] = self.now - timedelta(days=rng.randint(30, 900), minutes=rng.randrange(1440))

    # --- Moments --------------------------------------------------------------------------

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

    # --- Promises -------------------------------------------------------------------------

    def _round_share(self, total: Decimal, share: float) -> Decimal:
        """A round figure near `share` of `total` (debtors promise round sums), at most `total`."""
        step = self.market.round_to
        amount = (total * Decimal(share) / step).quantize(Decimal("1"), rounding=ROUND_DOWN) * step
        return min(max(amount, step), total)

    def _lapses_at(self, due_date: date, case: Case) -> datetime:
        return promise_rules.lapse_moment(due_date, self.grace_days, case.debtor["time_zone"])

    def _judged_outcome(self, due_date: date, case: Case, outcomes: Weighted) -> str:
        """Pending until the promise lapses; after that, one of `outcomes`."""
        if self._lapses_at(due_date, case) > self.now:
            return Promise.Status.PENDING
        return outcomes.pick(self.rng)

    def _promise(
        self,
        case: Case,
        *,
        call: dict,
        debt: dict,
        amount: Decimal,
        due_date: date,
        outcome: str,
        cancelled_at: datetime | None = None,
        cancelled_by_job: bool = False,
        arrangement: dict | None = None,
        instalment_number: int | None = None,
        replaces: dict | None = None,
    ) -> dict:
        """A promise made at the end of `call`, with the events and payments of its outcome.

        It mirrors promises.services: the thresholds that judge it are fixed when it is
        made; payments are allocated to it; the lapse job judges what is still pending.

        1. `outcome` is where the promise ended up. The caller picks a due date that
           allows it: a pending promise has not lapsed, a kept, partially kept or broken
           one has.
        2. Kept: paid in full in the days before it lapsed (sometimes in two parts), kept
           when the last payment was recorded. Partially kept: paid at least the partial
           threshold, judged when it lapsed. Broken: nothing paid, judged when it lapsed.
           Cancelled: at `cancelled_at`, by the collector who renegotiated it or by the
           job that broke its arrangement.
        3. One event for the creation ("" → pending) and one for the outcome.
        4. A promise broken in the last week gets an open follow-up for its collector.
        """
        rng = self.rng
        made_at = call["created_at"]
        lapses_at = self._lapses_at(due_date, case)
        if outcome != Promise.Status.CANCELLED and (outcome == Promise.Status.PENDING) != (lapses_at > self.now):
            raise ValueError(f"A {outcome} promise cannot lapse at {lapses_at:%Y-%m-%d %H:%M} (now {self.now}).")
        thresholds = self.thresholds(amount)
        promise = self._add(
            Promise,
            debtor_id=case.debtor["id"],
            debt_id=debt["id"],
            call_id=call["id"],
            collector_id=case.collector.pk,
            arrangement_id=arrangement["id"] if arrangement else None,
            instalment_number=instalment_number,
            replaces_id=replaces["id"] if replaces else None,
            amount=amount,
            currency=self.market.currency,
            due_date=due_date,
            grace_days=self.grace_days,
            lapses_at=lapses_at,
            kept_threshold=thresholds.kept,
            partial_threshold=thresholds.partial,
            status=outcome,
            created_at=made_at,
        )
        self._add(
            PromiseEvent,
            promise_id=promise["id"],
            to_status=Promise.Status.PENDING,
            at=made_at,
            cause=PromiseEvent.Cause.CREATED,
            by_id=case.collector.pk,
        )
        if outcome == Promise.Status.PENDING:
            return promise

        cause, by, note = PromiseEvent.Cause.JOB, None, ""
        # People pay in the last days before the date, not the day they promise; the
        # payment file is loaded within hours, before the promise lapses.
        pay_from = max(made_at, lapses_at - timedelta(days=self.grace_days + 6))
        pay_until = min(lapses_at, self.now) - timedelta(hours=3)
        judged_at = min(lapses_at + timedelta(minutes=rng.randint(3, 50)), self.now)
        if outcome == Promise.Status.KEPT:
            paid_at = self._between(pay_from, pay_until)
            if rng.random() < 0.25 and amount >= 2 * self.market.round_to:
                # An abono first, the rest later.
                first = self._round_share(amount, rng.uniform(0.3, 0.6))
                payments = [
                    self._payment(case, promise, first, self._between(pay_from, paid_at)),
                    self._payment(case, promise, amount - first, paid_at),
                ]
            else:
                payments = [self._payment(case, promise, amount, paid_at)]
            # Kept when the payment that completes it is recorded.
            completing = max(payments, key=lambda payment: payment["created_at"])
            resolved_at, cause, note = completing["created_at"], PromiseEvent.Cause.PAYMENT, completing["reference"]
        elif outcome == Promise.Status.PARTIALLY_KEPT:
            paid = self._round_share(amount, rng.uniform(0.5, 0.95))
            paid = min(max(paid, thresholds.partial), thresholds.kept - CENT)
            self._payment(case, promise, paid, self._between(pay_from, pay_until))
            resolved_at = judged_at
        elif outcome == Promise.Status.BROKEN:
            resolved_at = judged_at
        elif cancelled_by_job:
            resolved_at, note = cancelled_at, "Convenio incumplido"
        else:
            resolved_at, cause, by, note = cancelled_at, PromiseEvent.Cause.USER, case.collector.pk, "Renegociada"
        promise["resolved_at"] = resolved_at
        self._add(
            PromiseEvent,
            promise_id=promise["id"],
            from_status=Promise.Status.PENDING,
            to_status=outcome,
            at=resolved_at,
            cause=cause,
            by_id=by,
            note=note,
        )
        if outcome == Promise.Status.BROKEN and self.now - resolved_at < timedelta(days=7):
            self._add(
                FollowUp,
                debtor_id=case.debtor["id"],
                assigned_to_id=case.collector.pk,
                due_at=resolved_at,
                reason=FollowUp.Reason.BROKEN_PROMISE,
                subject_key=f"promise:{promise['id']}",
                promise_id=promise["id"],
                created_by_job=JOB_NAME,
                created_at=resolved_at,
            )
        return promise

    def _payment(self, case: Case, promise: dict, amount: Decimal, paid_at: datetime) -> dict:
        """A payment towards `promise`, allocated to it, credited to the collector; the debt goes down."""
        case.payments += 1
        recorded_at = min(paid_at + timedelta(minutes=self.rng.randint(5, 150)), self.now)
        debt = next(d for d in case.debts if d["id"] == promise["debt_id"])
        debt["balance"] = max(debt["balance"] - amount, Decimal("0"))
        debt["updated_at"] = max(debt["updated_at"], recorded_at)
        payment = self._add(
            Payment,
            debtor_id=case.debtor["id"],
            debt_id=debt["id"],
            credited_to_id=case.collector.pk,
            amount=amount,
            currency=self.market.currency,
            paid_at=paid_at,
            reference=f"DEMO-{case.debtor['external_id']}-{case.payments}",
            source=Payment.Source.DEMO,
            created_at=recorded_at,
        )
        self._add(PaymentAllocation, payment_id=payment["id"], promise_id=promise["id"], amount=amount)
        return payment

    @staticmethod
    def _largest_debt(case: Case) -> dict:
        return max(case.debts, key=lambda debt: debt["balance"])

    # --- The stories ------------------------------------------------------------------------

    def _story_fresh(self, case: Case) -> None:
        """Newly placed: nobody has called yet."""

    def _story_unreached(self, case: Case) -> None:
        days_ago = self.rng.randint(0, min(45, case.span))
        self._no_contact(case, days_ago)
        self._attempts(case, before_days_ago=days_ago, up_to=2)

    def _story_refused(self, case: Case) -> None:
        days_ago = self.rng.randint(0, min(60, case.span))
        self._conversation(case, days_ago, Call.Commitment.NONE)
        self._attempts(case, before_days_ago=days_ago, up_to=2)

    def _story_documents(self, case: Case) -> None:
        days_ago = self.rng.randint(0, min(30, case.span))
        call = self._conversation(case, days_ago, self.rng.choice(DOCUMENT_COMMITMENTS))
        self._attempts(case, before_days_ago=days_ago, up_to=2)
        if call["follow_up_on"] >= case.today:
            # Not yet worked: the call on the agreed day, when the (demo) window opens.
            self._add(
                FollowUp,
                debtor_id=case.debtor["id"],
                assigned_to_id=case.collector.pk,
                due_at=datetime.combine(call["follow_up_on"], time(9), tzinfo=case.zone),
                reason=FollowUp.Reason.COMMITMENT,
                subject_key=f"call:{call['id']}",
                call_id=call["id"],
                created_by_id=case.collector.pk,
                created_at=call["created_at"],
            )

    def _story_callback_today(self, case: Case) -> None:
        """The debtor asked to be called back today: the collector's queue starts here."""
        days_ago = self.rng.randint(1, 5)
        call = self._conversation(case, days_ago, Call.Commitment.CALLBACK, callback_at=self._due_today(case.collector))
        self._attempts(case, before_days_ago=days_ago, up_to=1)
        self._callback(case, call)

    def _story_callback_later(self, case: Case) -> None:
        rng = self.rng
        days_ago = rng.randint(0, 5)
        day = case.today + timedelta(days=rng.randint(1, 5))
        callback_at = datetime.combine(day, time(10), tzinfo=case.zone) + timedelta(minutes=15 * rng.randrange(33))
        call = self._conversation(case, days_ago, Call.Commitment.CALLBACK, callback_at=callback_at)
        self._attempts(case, before_days_ago=days_ago, up_to=1)
        self._callback(case, call)

    def _callback(self, case: Case, call: dict) -> None:
        self._add(
            FollowUp,
            debtor_id=case.debtor["id"],
            assigned_to_id=case.collector.pk,
            due_at=call["callback_at"],
            reason=FollowUp.Reason.CALLBACK,
            subject_key=f"call:{call['id']}",
            call_id=call["id"],
            note="Volver a llamar a la hora acordada.",
            created_by_id=case.collector.pk,
            created_at=call["created_at"],
        )

    def _due_today(self, collector: User) -> datetime:
        """A moment in the collector's today: mostly already due, some later in the day."""
        zone = zone_for(collector.time_zone)
        local_now = self.now.astimezone(zone)
        end_of_day = datetime.combine(local_now.date(), time(23, 59), tzinfo=zone)
        minutes_left = int((end_of_day - local_now).total_seconds() // 60)
        if minutes_left > 60 and self.rng.random() < 0.4:
            return self.now + timedelta(minutes=self.rng.randint(15, min(minutes_left - 30, 360)))
        minutes_gone = local_now.hour * 60 + local_now.minute
        return self.now - timedelta(minutes=self.rng.randint(0, min(minutes_gone, 240)))

    def _story_promise_pending(self, case: Case) -> None:
        """Promised recently; the date has not come yet."""
        rng = self.rng
        days_ago = rng.randint(0, 9)
        call = self._conversation(case, days_ago, Call.Commitment.PROMISE)
        self._attempts(case, before_days_ago=days_ago, up_to=1)
        due_date = max(case.today, case.today - timedelta(days=days_ago - rng.randint(2, 12)))
        debt = self._largest_debt(case)
        amount = self._round_share(debt["balance"], rng.choice((1.0, rng.uniform(0.2, 0.6))))
        self._promise(case, call=call, debt=debt, amount=amount, due_date=due_date, outcome=Promise.Status.PENDING)

    def _judged_promise(self, case: Case, outcome: str, *, after_lapse: int) -> None:
        """A promise that lapsed already, then `after_lapse` more attempts."""
        rng = self.rng
        # Made 2–8 days before its date, which is far enough back for the grace to be over.
        due_days_ago = rng.randint(self.grace_days + 2, min(140, case.span - 8))
        days_ago = due_days_ago + rng.randint(2, 8)
        call = self._conversation(case, days_ago, Call.Commitment.PROMISE)
        self._attempts(case, before_days_ago=days_ago, up_to=2)
        debt = self._largest_debt(case)
        share = 1.0 if rng.random() < 0.4 else rng.uniform(0.2, 0.6)
        self._promise(
            case,
            call=call,
            debt=debt,
            amount=self._round_share(debt["balance"], share),
            due_date=case.today - timedelta(days=due_days_ago),
            outcome=outcome,
        )
        since_lapse = due_days_ago - self.grace_days - 1
        for _ in range(after_lapse if since_lapse > 0 else 0):
            self._no_contact(case, rng.randint(0, since_lapse - 1))

    def _story_promise_kept(self, case: Case) -> None:
        if self.rng.random() < 0.2:
            self._settlement(case)
        else:
            self._judged_promise(case, Promise.Status.KEPT, after_lapse=0)

    def _story_promise_partially_kept(self, case: Case) -> None:
        self._judged_promise(case, Promise.Status.PARTIALLY_KEPT, after_lapse=self.rng.randint(0, 1))

    def _story_promise_broken_recently(self, case: Case) -> None:
        """Broke in the last two days: an open broken-promise follow-up waits in the queue."""
        rng = self.rng
        due_days_ago = self.grace_days + rng.randint(1, 2)
        days_ago = due_days_ago + rng.randint(2, 8)
        call = self._conversation(case, days_ago, Call.Commitment.PROMISE)
        self._attempts(case, before_days_ago=days_ago, up_to=1)
        debt = self._largest_debt(case)
        self._promise(
            case,
            call=call,
            debt=debt,
            amount=self._round_share(debt["balance"], rng.uniform(0.2, 0.7)),
            due_date=case.today - timedelta(days=due_days_ago),
            outcome=Promise.Status.BROKEN,
        )

    def _story_promise_broken_long_ago(self, case: Case) -> None:
        self._judged_promise(case, Promise.Status.BROKEN, after_lapse=self.rng.randint(1, 2))

    def _settlement(self, case: Case) -> None:
        """A discounted settlement paid in one go: the debt is closed."""
        rng = self.rng
        due_days_ago = rng.randint(self.grace_days + 2, min(140, case.span - 8))
        call = self._conversation(case, due_days_ago + rng.randint(2, 8), Call.Commitment.PROMISE)
        debt = self._largest_debt(case)
        total = self._round_share(debt["balance"], rng.uniform(0.6, 0.85))
        arrangement = self._add(
            Arrangement,
            debtor_id=case.debtor["id"],
            debt_id=debt["id"],
            kind=Arrangement.Kind.SETTLEMENT,
            status=Arrangement.Status.COMPLETED,
            total_amount=total,
            discount_amount=debt["balance"] - total,
            currency=self.market.currency,
            created_by_id=case.collector.pk,
            created_at=call["created_at"],
        )
        self._promise(
            case,
            call=call,
            debt=debt,
            amount=total,
            due_date=case.today - timedelta(days=due_days_ago),
            outcome=Promise.Status.KEPT,
            arrangement=arrangement,
            instalment_number=1,
        )
        debt["balance"] = Decimal("0")

    def _story_renegotiated(self, case: Case) -> None:
        """Promised, then called before the date to move it: cancelled and replaced."""
        rng = self.rng
        first_days_ago = rng.randint(20, min(90, case.span))
        first_call = self._conversation(case, first_days_ago, Call.Commitment.PROMISE)
        self._attempts(case, before_days_ago=first_days_ago, up_to=1)
        due_in = rng.randint(5, 15)
        debt = self._largest_debt(case)
        # Called again at least two days later, before the first date came.
        second_days_ago = first_days_ago - rng.randint(2, due_in - 1)
        second_call = self._conversation(case, second_days_ago, Call.Commitment.PROMISE)
        original = self._promise(
            case,
            call=first_call,
            debt=debt,
            amount=self._round_share(debt["balance"], rng.uniform(0.3, 1.0)),
            due_date=case.today - timedelta(days=first_days_ago - due_in),
            outcome=Promise.Status.CANCELLED,
            cancelled_at=second_call["created_at"],
        )
        new_due = case.today - timedelta(days=second_days_ago - rng.randint(7, 20))
        self._promise(
            case,
            call=second_call,
            debt=debt,
            amount=self._round_share(debt["balance"], rng.uniform(0.3, 0.6)),
            due_date=new_due,
            outcome=self._judged_outcome(new_due, case, RENEGOTIATED_OUTCOME),
            replaces=original,
        )

    def _story_instalments(self, case: Case) -> None:
        """An instalment plan (convenio): monthly promises; a missed instalment breaks it.

        Missed means not kept: like the lapse job, a partially kept instalment breaks
        the plan too, and the instalments still pending are cancelled at that moment.
        """
        rng, step = self.rng, self.market.round_to
        days_ago = rng.randint(40, min(150, case.span))
        call = self._conversation(case, days_ago, Call.Commitment.INSTALMENTS)
        self._attempts(case, before_days_ago=days_ago, up_to=2)
        debt = self._largest_debt(case)
        count = rng.randint(3, 6)
        total = self._round_share(debt["balance"], rng.uniform(0.8, 1.0))
        instalment = (total / count / step).quantize(Decimal("1"), rounding=ROUND_DOWN) * step
        if instalment <= 0:
            count, instalment = 1, total
        arrangement = self._add(
            Arrangement,
            debtor_id=case.debtor["id"],
            debt_id=debt["id"],
            kind=Arrangement.Kind.INSTALMENTS,
            status=Arrangement.Status.ACTIVE,
            total_amount=total,
            discount_amount=debt["balance"] - total,
            currency=self.market.currency,
            created_by_id=case.collector.pk,
            created_at=call["created_at"],
        )
        first_due = case.today - timedelta(days=days_ago - rng.randint(5, 12))
        broken_at = None
        outcomes = []
        for number, due_date in enumerate(promise_rules.instalment_dates(first_due, count, "monthly"), start=1):
            if broken_at:
                outcome = Promise.Status.CANCELLED
            else:
                outcome = self._judged_outcome(due_date, case, INSTALMENT_OUTCOME)
            promise = self._promise(
                case,
                call=call,
                debt=debt,
                amount=instalment if number < count else total - instalment * (count - 1),
                due_date=due_date,
                outcome=outcome,
                cancelled_at=broken_at,
                cancelled_by_job=True,
                arrangement=arrangement,
                instalment_number=number,
            )
            if outcome in (Promise.Status.PARTIALLY_KEPT, Promise.Status.BROKEN):
                broken_at = promise["resolved_at"]
            outcomes.append(outcome)
        if broken_at:
            arrangement["status"] = Arrangement.Status.BROKEN
        elif Promise.Status.PENDING not in outcomes:
            arrangement["status"] = Arrangement.Status.COMPLETED
