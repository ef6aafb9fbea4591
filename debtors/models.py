from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from collections_crm.lib.timezones import validate_time_zone
from debtors.markets import CONTACT_POLICY_PRESET_CHOICES, COUNTRY_CHOICES, CURRENCY_CHOICES

MONEY = {"max_digits": 14, "decimal_places": 2}


class AgingBucket(models.TextChoices):
    CURRENT = "current", _("Current")
    D1_30 = "1-30", _("1–30 days")
    D31_60 = "31-60", _("31–60 days")
    D61_90 = "61-90", _("61–90 days")
    D91_180 = "91-180", _("91–180 days")
    D180_PLUS = "180+", _("Over 180 days")


def aging_bucket_for(days_past_due: int) -> str:
    """The trade's aging bucket (tramo de mora) for a number of days past due."""
    if days_past_due <= 0:
        return AgingBucket.CURRENT
    for upper, bucket in (
        (30, AgingBucket.D1_30),
        (60, AgingBucket.D31_60),
        (90, AgingBucket.D61_90),
        (180, AgingBucket.D91_180),
    ):
        if days_past_due <= upper:
            return bucket
    return AgingBucket.D180_PLUS


class Creditor(models.Model):
    """The company whose debts a portfolio holds; import mappings are saved per creditor."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("creditor")
        verbose_name_plural = _("creditors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Portfolio(models.Model):
    """A cartera: a batch of debts one creditor placed for collection."""

    name = models.CharField(_("name"), max_length=200)
    creditor = models.ForeignKey(
        Creditor, verbose_name=_("creditor"), on_delete=models.PROTECT, related_name="portfolios"
    )
    country = models.CharField(_("country"), max_length=2, choices=COUNTRY_CHOICES)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    default_time_zone = models.CharField(_("default time zone"), max_length=64, validators=[validate_time_zone])
    contact_policy_preset = models.CharField(_("contact policy"), max_length=16, choices=CONTACT_POLICY_PRESET_CHOICES)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("portfolio")
        verbose_name_plural = _("portfolios")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "name"], name="portfolio_unique_name_per_creditor"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="portfolio_country_iso2"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="portfolio_currency_iso4217"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.creditor})"


class PortfolioFigures(models.Model):
    """A portfolio's size, unassigned debtors and open balance as last counted (the admin's home).

    Counting them reads an index entry per debtor (half a second at a million), so a job stores
    them (debtors.services.portfolio_figures_refresh) and the page says when they were counted.
    """

    portfolio = models.OneToOneField(
        Portfolio, verbose_name=_("portfolio"), on_delete=models.CASCADE, primary_key=True, related_name="figures"
    )
    debtors = models.PositiveIntegerField(_("debtors"))
    unassigned = models.PositiveIntegerField(_("unassigned"))
    open_balance = models.DecimalField(_("open balance"), **MONEY)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("portfolio figures")
        verbose_name_plural = _("portfolio figures")
        constraints = [
            models.CheckConstraint(
                condition=Q(unassigned__lte=models.F("debtors")), name="portfolio_figures_unassigned_within"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id}: {self.debtors} @ {self.counted_at}"


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


class Debt(models.Model):
    debtor = models.ForeignKey(
        Debtor,
        verbose_name=_("debtor"),
        on_delete=models.PROTECT,
        related_name="debts",
        db_index=False,  # the unique (debtor, account_reference) index starts with it
    )
    account_reference = models.CharField(_("account reference"), max_length=64)
    product = models.CharField(_("product"), max_length=100, blank=True)
    original_amount = models.DecimalField(_("original amount"), **MONEY)
    balance = models.DecimalField(_("balance"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    due_date = models.DateField(_("due date"))
    recalled_on = models.DateField(
        _("recalled on"), null=True, blank=True, help_text=_("The creditor took the account back.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # A 64-bit digest of the file row that last left this debt, its debtor and their phones as
    # they are, with the settings that read it (see debtors.importing.loading.RowHasher): a
    # re-import meeting the same row again counts it unchanged without reading it further.
    # Valid while the debt is not recalled and its debtor not written since the debt was
    # (updated_at); any other writer of the debt clears it (save(), payments).
    import_hash = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("debt")
        verbose_name_plural = _("debts")
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["debtor", "account_reference"], name="debt_unique_account_per_debtor"),
            models.CheckConstraint(condition=Q(original_amount__gt=0), name="debt_original_amount_positive"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="debt_balance_not_negative"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="debt_currency_iso4217"),
        ]
        indexes = [
            # The id last: a scoped list's page is then sorted from this index alone (its ids
            # first, then the page's rows), not from every row of the scope's debtors.
            models.Index(fields=["debtor", "due_date", "id"], name="debt_debtor_due_idx"),
            # The admin's debts list (API), oldest due first, 50 at a time over a million debts.
            models.Index(fields=["due_date", "id"], name="debt_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_reference} ({self.product})" if self.product else self.account_reference

    def save(self, *args, **kwargs):
        # Edited by hand (admin, API, tests): the next import applies its row again.
        self.import_hash = None
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "import_hash"}
        super().save(*args, **kwargs)
        # One debt saved through the ORM (admin, API, tests): its debtor's queue figures
        # follow. Set-based writers (imports, payments) refresh them in bulk themselves.
        from debtors.services import debtor_queue_figures_refresh

        debtor_queue_figures_refresh(debtor_ids=[self.debtor_id])

    def delete(self, *args, **kwargs):
        debtor_id = self.debtor_id
        deleted = super().delete(*args, **kwargs)
        from debtors.services import debtor_queue_figures_refresh

        debtor_queue_figures_refresh(debtor_ids=[debtor_id])
        return deleted

    def days_past_due(self, on: date) -> int:
        """Days in arrears on a given day; 0 for a debt not yet due or fully paid."""
        if self.balance <= Decimal("0") or on <= self.due_date:
            return 0
        return (on - self.due_date).days

    def aging_bucket(self, on: date) -> str:
        return aging_bucket_for(self.days_past_due(on))


class DebtSnapshot(models.Model):
    """A debt's arrears as they stood on a night, for roll rates between aging buckets."""

    debt = models.ForeignKey(Debt, verbose_name=_("debt"), on_delete=models.CASCADE, related_name="snapshots")
    taken_on = models.DateField(_("date"))
    days_past_due = models.PositiveIntegerField(_("days past due"))
    aging_bucket = models.CharField(_("aging bucket"), max_length=8, choices=AgingBucket.choices)
    balance = models.DecimalField(_("balance"), **MONEY)

    class Meta:
        verbose_name = _("debt snapshot")
        verbose_name_plural = _("debt snapshots")
        constraints = [
            models.UniqueConstraint(fields=["debt", "taken_on"], name="debt_snapshot_one_per_night"),
        ]
        indexes = [models.Index(fields=["taken_on", "aging_bucket"], name="debt_snapshot_day_bucket_idx")]

    def __str__(self) -> str:
        return f"{self.debt} · {self.taken_on} · {self.aging_bucket}"


class BalanceChange(models.Model):
    """A debt's balance as a creditor's file changed it: the old balance stays visible."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Portfolio file")

    debt = models.ForeignKey(Debt, verbose_name=_("debt"), on_delete=models.CASCADE, related_name="balance_changes")
    old_balance = models.DecimalField(_("old balance"), **MONEY)
    new_balance = models.DecimalField(_("new balance"), **MONEY)
    at = models.DateTimeField(_("when"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.IMPORT)

    class Meta:
        verbose_name = _("balance change")
        verbose_name_plural = _("balance changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["debt", "at"], name="balance_change_debt_at_idx")]

    def __str__(self) -> str:
        return f"{self.debt}: {self.old_balance} → {self.new_balance}"


class ImportKind(models.TextChoices):
    PORTFOLIO = "portfolio", _("Portfolio file")
    PAYMENTS = "payments", _("Payments file")


class ImportMapping(models.Model):
    """A creditor's confirmed column mapping ({field: header}), offered again on its next file."""

    creditor = models.ForeignKey(
        Creditor, verbose_name=_("creditor"), on_delete=models.CASCADE, related_name="import_mappings"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    mapping = models.JSONField(_("mapping"), default=dict)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [
            models.UniqueConstraint(fields=["creditor", "kind"], name="import_mapping_one_per_creditor_and_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.creditor} · {self.get_kind_display()}"


def _import_upload_to(job, filename: str) -> str:
    return f"imports/uploads/{timezone.now():%Y/%m}/{filename}"


class ImportJob(models.Model):
    """One file loaded (or being loaded) into a portfolio, by the web, the API or a worker.

    The job row is the progress bar's source: the worker writes rows_done between batches,
    outside the transaction that writes the debtors, so a page polling it sees it move.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Loading")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    # Empty while the portfolio is `new_portfolio`, one the import is to create.
    portfolio = models.ForeignKey(
        Portfolio,
        verbose_name=_("portfolio"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
        null=True,
        blank=True,
    )
    # {"portfolio", "creditor", "country", "currency"} of a portfolio that does not exist yet:
    # the import saves it with its first rows, so a job that loads nothing leaves none empty.
    new_portfolio = models.JSONField(_("new portfolio"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=_import_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    mapping = models.JSONField(_("mapping"), null=True, blank=True, help_text=_("{field: header}; empty to detect."))
    whole_portfolio = models.BooleanField(_("the file is the whole portfolio"), default=False)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # The admin's language when they started it: the rejected-rows reasons are written in it.
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("debtors created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    recalled_count = models.PositiveIntegerField(_("recalled"), default=0)
    report = models.FileField(_("rejected rows"), blank=True, max_length=300)
    error_message = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # Written by the worker every HEARTBEAT seconds while it loads the file: a running job
    # whose heartbeat stopped lost its worker (restart, out of memory), and the sweeper
    # (debtors.tasks.sweep_import_jobs) marks it failed so the admin can load it again.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="import_job_kind_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed"]), name="import_job_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_user_recent_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name or self.file.name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def portfolio_label(self) -> str:
        if self.portfolio is not None or not self.new_portfolio:
            return str(self.portfolio or "")
        return f"{self.new_portfolio['portfolio']} ({self.new_portfolio['creditor']})"

    @property
    def can_run_again(self) -> bool:
        """A failed job whose file is still stored can be queued again as it was."""
        return self.status == self.Status.FAILED and bool(self.file)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def is_saving(self) -> bool:
        """Every row is read and checked; the set-based merge into the real tables is running.

        On large files that merge takes about as long as the reading did, and it reports no
        rows: the page says what is happening instead of freezing at 99 %."""
        return self.status == self.Status.RUNNING and bool(self.rows_total) and self.rows_done >= self.rows_total

    @property
    def seconds_left(self) -> int | None:
        """Time left at the pace so far; None until there is a pace to go by."""
        if self.is_finished or self.is_saving or not self.started_at or not self.rows_total or not self.rows_done:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        left = max(self.rows_total - self.rows_done, 0)
        return int(elapsed * left / self.rows_done)


class ImportUndo(models.Model):
    """One row that an unfinished import wrote, and how to put it back.

    On SQLite an import commits a chunk at a time, so that the desk's writes can run between
    its chunks (one writer at a time: one long transaction made them wait past the busy
    timeout). These rows keep "a failed or killed import leaves nothing" true: each chunk
    records, in its own transaction, the rows it created (before is null) and the first
    state of the rows it changed; a failed import undoes them at once, a killed one is
    undone by the stalled-job sweep. A finished import forgets them. Kind "run" is the
    import's own line: its last sign of life and whether it finished."""

    run = models.CharField(_("import run"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16)
    row_id = models.BigIntegerField(_("row"))
    before = models.JSONField(_("before"), null=True, blank=True)

    class Meta:
        verbose_name = _("import undo row")
        verbose_name_plural = _("import undo rows")
        constraints = [models.UniqueConstraint(fields=["run", "kind", "row_id"], name="import_undo_once_per_row")]

    def __str__(self) -> str:
        return f"{self.run}: {self.kind} {self.row_id}"
