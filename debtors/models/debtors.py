"""Debtors, their holds and their phones: who is collected from, and on which numbers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from collections_crm.lib.timezones import validate_time_zone
from debtors.models.money import MONEY
from debtors.models.portfolios import Portfolio


class Language(models.TextChoices):
    SPANISH = "es", _("Spanish")
    ENGLISH = "en", _("English")


HOLD_FIELDS = (
    "hold_do_not_contact",
    "hold_cease",
    "hold_dispute",
    "hold_lawsuit",
    "hold_insolvency",
    "hold_deceased",
)


# Words after a comma that make a company, not given names: "Inversiones Andinas, SAC".
_LEGAL_FORMS = frozenset(
    {
        "sa",
        "saa",
        "sac",
        "sas",
        "srl",
        "sl",
        "slu",
        "sll",
        "eirl",
        "ltda",
        "ltd",
        "llc",
        "inc",
        "corp",
        "plc",
        "gmbh",
        "spa",
        "cv",
        "rl",
        "sderl",
        "sc",
        "ac",
        "sociedad",
        "compania",
        "compañia",
        "compañía",
        "company",
        "limitada",
        "anonima",
        "anónima",
    }
)


def name_as_spoken(full_name: str) -> str:
    """A name written surname first ("Apaza Ñahui, Nelly", as files with an "Apellidos y
    nombres" column have it) in the order people say it ("Nelly Apaza Ñahui").

    Only the "surnames, given names" shape is turned: one comma with words on both sides,
    no digits, and no legal form after it ("Andina, S.A.C." is a company). A name without
    a comma cannot be split safely (two surnames or one?) and stays as written.
    """
    family, comma, given = full_name.partition(",")
    family, given = family.strip(), given.strip()
    if not comma or not family or not given or "," in given or any(char.isdigit() for char in full_name):
        return full_name
    words = [word.replace(".", "").lower() for word in given.split()]
    if "".join(words) in _LEGAL_FORMS or any(word in _LEGAL_FORMS for word in words):
        return full_name
    return f"{given} {family}"


class Debtor(models.Model):
    portfolio = models.ForeignKey(
        Portfolio,
        verbose_name=_("portfolio"),
        on_delete=models.PROTECT,
        related_name="debtors",
        # No index of its own: the unique (portfolio, external_id) index starts with it, and
        # each redundant index is one more B-tree to update for every row an import writes.
        db_index=False,
    )
    external_id = models.CharField(_("creditor's customer code"), max_length=64)
    national_id = models.CharField(_("national id"), max_length=32, blank=True)
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.SPANISH)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned collector"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_debtors",
        db_index=False,  # debtor_assigned_name_idx (assigned_to, full_name, id) starts with it
    )
    # Holds stop collection contact on every channel (see the contact-policy engine).
    hold_do_not_contact = models.BooleanField(_("do not contact"), default=False)
    hold_cease = models.BooleanField(_("asked to cease contact"), default=False)
    hold_dispute = models.BooleanField(_("disputes the debt"), default=False)
    hold_lawsuit = models.BooleanField(_("in a lawsuit"), default=False)
    hold_insolvency = models.BooleanField(_("in insolvency proceedings"), default=False)
    hold_deceased = models.BooleanField(_("deceased"), default=False)
    # What the collector's queue ranks by, stored because ranking a 5,000-account book from
    # live sums over its debts cost 40–50 ms a view (bench/bench_desk.py). Kept by
    # debtors.services.debtor_queue_figures_refresh wherever debts change; a debtor's own page
    # shows live sums, the portfolio overview adds these up.
    open_balance = models.DecimalField(_("open balance"), default=0, editable=False, **MONEY)
    arrears_since = models.DateField(_("in arrears since"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("debtor")
        verbose_name_plural = _("debtors")
        ordering = ["full_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "external_id"], name="debtor_unique_external_id_per_portfolio"
            ),
            models.CheckConstraint(condition=~Q(external_id=""), name="debtor_external_id_not_blank"),
        ]
        indexes = [
            # Both collector indexes leave out the unassigned debtors, whom nobody reads by
            # collector: a portfolio file loads unassigned debtors, and two B-trees with keys
            # in no particular order (names, arrears dates) were the two most costly of its
            # writes. Every query on them names a collector (assigned_to = …), which implies
            # the condition.
            # The id last: "the debtors of these collectors" is then read from this index alone
            # (an index-only scan). A supervisor's debts, calls and promises are scoped through
            # it; reading 100,000 debtors' rows from the table for that cost 0.8 s a page.
            models.Index(
                fields=["assigned_to", "full_name", "id"],
                condition=Q(assigned_to__isnull=False),
                name="debtor_assigned_name_idx",
            ),
            # The search by customer code or national id, in any case: UPPER(column) = UPPER(%s)
            # reads one entry. The unique (portfolio, external_id) index cannot answer it (no
            # portfolio given, and case-blind), and a byte-ordered national_id index answered
            # no query the product asks, so this one replaced it.
            models.Index(Upper("external_id"), name="debtor_external_id_upper_idx"),
            models.Index(Upper("national_id"), name="debtor_national_id_upper_idx"),
            # The queue's accounts list: a collector's open accounts in queue order, read
            # 100 entries at a time whatever the size of the book.
            models.Index(
                fields=["assigned_to", "arrears_since", "-open_balance", "id"],
                condition=Q(open_balance__gt=0, assigned_to__isnull=False),
                name="debtor_queue_rank_idx",
            ),
            # The admin's portfolio overview (count, unassigned, open balance per portfolio)
            # read from this index alone: a pass over a million narrow entries, not the table.
            models.Index(fields=["portfolio", "assigned_to", "open_balance"], name="debtor_portfolio_figures_idx"),
            # The debtor lists of admins and supervisors, in name order 50 at a time: without it
            # every page sorted the whole scope (2–3 s for a 100,000-debtor team among a million).
            # One more B-tree that an import's new names land in at random: the price of it.
            # assigned_to rides along so that a page's ids (IdsFirstMixin), scope and name
            # search included, come from this index alone, without a table read per entry.
            models.Index(fields=["full_name", "id", "assigned_to"], name="debtor_name_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def spoken_name(self) -> str:
        """The name as the collector says it: "Nelly Apaza Ñahui" for "Apaza Ñahui, Nelly"."""
        return name_as_spoken(self.full_name)

    @property
    def active_holds(self) -> list[str]:
        """Verbose names of the holds in force, for the debtor header."""
        return [str(self._meta.get_field(name).verbose_name) for name in HOLD_FIELDS if getattr(self, name)]


class Phone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        HOME = "home", pgettext_lazy("phone kind", "Home")  # plain "Home" is the admin's breadcrumb
        WORK = "work", _("Work")

    class Relationship(models.TextChoices):
        OWN = "own", _("Debtor's own")
        REFERENCE = "reference", _("Personal reference")
        RELATIVE = "relative", _("Relative")
        EMPLOYER = "employer", _("Employer")

    class Status(models.TextChoices):
        UNKNOWN = "unknown", _("Not yet tried")
        VALID = "valid", _("Valid")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        DISCONNECTED = "disconnected", _("Disconnected")

    debtor = models.ForeignKey(
        Debtor,
        verbose_name=_("debtor"),
        on_delete=models.CASCADE,
        related_name="phones",
        db_index=False,  # the unique (debtor, number) index starts with it
    )
    number = PhoneNumberField(_("number"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MOBILE)
    relationship = models.CharField(
        _("relationship"), max_length=16, choices=Relationship.choices, default=Relationship.OWN
    )
    contact_name = models.CharField(
        _("contact name"), max_length=200, blank=True, help_text=_("For a third party's number.")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNKNOWN)
    sms_consent = models.BooleanField(_("consents to SMS"), default=False)
    sms_consent_source = models.CharField(_("SMS consent source"), max_length=100, blank=True)
    sms_consent_at = models.DateTimeField(_("SMS consent date"), null=True, blank=True)
    whatsapp_consent = models.BooleanField(_("consents to WhatsApp"), default=False)
    whatsapp_consent_source = models.CharField(_("WhatsApp consent source"), max_length=100, blank=True)
    whatsapp_consent_at = models.DateTimeField(_("WhatsApp consent date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["debtor", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["debtor", "number"], name="phone_unique_number_per_debtor"),
            # Consent without its source and date cannot be shown to a regulator.
            models.CheckConstraint(
                condition=Q(sms_consent=False) | (~Q(sms_consent_source="") & Q(sms_consent_at__isnull=False)),
                name="phone_sms_consent_has_source_and_date",
            ),
            models.CheckConstraint(
                condition=Q(whatsapp_consent=False)
                | (~Q(whatsapp_consent_source="") & Q(whatsapp_consent_at__isnull=False)),
                name="phone_whatsapp_consent_has_source_and_date",
            ),
        ]
        # In byte order (E.164 numbers are ASCII): for = and prefixes, with byte comparisons.
        indexes = [models.Index(fields=["number"], name="phone_number_idx", opclasses=["text_pattern_ops"])]

    def __str__(self) -> str:
        return str(self.number)

    @property
    def is_third_party(self) -> bool:
        return self.relationship != self.Relationship.OWN
