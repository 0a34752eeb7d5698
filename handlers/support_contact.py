"""Correcting an order's contact details (name, email, phone) for a fan, by an agent.

Only the fields the agent changed are checked and written, each against what the form was
opened with: a stored value that would not pass today's checks (ACME's own sample phone has
the impossible area code 123) must not block fixing another field. An email must be a real
address shape (email-validator, no DNS lookup: the check must answer within Slack's 3 seconds),
a phone a valid number (phonenumbers; stored in E.164). Billing fields are the payer's record
and are left alone. The write is a read-modify-write of the whole order, as ACME's PUT wants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import phonenumbers
import structlog
from email_validator import EmailNotValidError, validate_email

from bot import copy
from bot.acme.models import Order
from bot.acme.types import DEFAULT_PHONE_REGION
from bot.errors import NotFound, UpstreamError
from bot.formatting import mask_email, mask_name, mask_phone
from bot.ports import Mailer
from bot.staff import AuditLog, StaffError
from handlers.support import OrderDirectory

log = structlog.get_logger("usher.support")

MAX_NAME_LENGTH = 100
#: Form field -> the Order field it edits.
ORDER_FIELDS = {
    "first_name": "contact_first_name",
    "last_name": "contact_last_name",
    "email": "email",
    "phone": "phone_number",
}


@dataclass(frozen=True)
class Contact:
    """The editable contact details of an order, as strings ("" when absent)."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""

    @classmethod
    def of(cls, order: Order) -> Contact:
        """The order's current details."""
        return cls(
            order.contact_first_name or "",
            order.contact_last_name or "",
            order.email or "",
            order.phone_number or "",
        )

    @classmethod
    def from_json(cls, data: object) -> Contact:
        """From a form's stored state (unknown keys and non-strings ignored)."""
        known = {f.name for f in fields(cls)}
        values = data if isinstance(data, dict) else {}
        return cls(**{k: v for k, v in values.items() if k in known and isinstance(v, str)})

    def to_json(self) -> dict[str, str]:
        """For the form's stored state."""
        return asdict(self)


class ContactInvalid(Exception):
    """Some changed fields are wrong: form field -> message for the agent."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def changes(was: Contact, now: Contact) -> dict[str, str | None]:
    """The Order fields to write, checked; ContactInvalid naming every bad field."""
    found: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for name, order_field in ORDER_FIELDS.items():
        old, new = getattr(was, name).strip(), getattr(now, name).strip()
        if new == old:
            continue
        try:
            found[order_field] = _checked(name, new)
        except StaffError as exc:
            errors[name] = exc.text()
    if errors:
        raise ContactInvalid(errors)
    return found


def _checked(name: str, value: str) -> str | None:
    if name == "email":
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            raise StaffError("contact_bad_email") from None
    if name == "phone":
        if not value:
            return None
        try:
            number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
        except phonenumbers.NumberParseException:
            raise StaffError("contact_bad_phone") from None
        if not phonenumbers.is_valid_number(number):
            raise StaffError("contact_bad_phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(value) > MAX_NAME_LENGTH or not value.isprintable():
        raise StaffError("contact_bad_name", limit=MAX_NAME_LENGTH)
    return value or None


class ContactEditor:
    """Reads and writes an order's contact details, audited, and tells the old address.

    An order's email decides who can get a one-time code for it, so changing it hands the
    tickets to the new address. Whoever asked for the change, the old address is mailed that
    it was changed (by "the venue's support team", the new address masked), so its owner can
    object; and the audit entry keeps what changed from what to what, masked.
    """

    def __init__(self, acme: OrderDirectory, audit: AuditLog, mailer: Mailer | None = None) -> None:
        self.acme = acme
        self.audit = audit
        self.mailer = mailer

    async def save(self, agent: str, order_id: str, update: dict[str, str | None]) -> Order:
        """Write checked changes (from :func:`changes`) onto the current order."""
        try:
            order = await self.acme.get_order(order_id)
        except NotFound:
            raise StaffError("order_not_found", id=order_id) from None
        saved = await self.acme.update_order(order.id, order.model_copy(update=update))
        was, now = Contact.of(order), Contact.of(saved)
        moves = [
            f"{name}: {_masked(name, getattr(was, name))} -> {_masked(name, getattr(now, name))}"
            for name, field in ORDER_FIELDS.items()
            if field in update
        ]
        await self.audit.record(agent, "edit", order=order.id, detail="; ".join(moves))
        if was.email and was.email.lower() != now.email.lower():
            await self._tell_old_address(saved, was.email, now.email)
        return saved

    async def _tell_old_address(self, order: Order, old: str, new: str) -> None:
        """Mail the address the order had that it no longer has (best effort: ACME has the
        change already; a failure is logged, and the audit entry still shows it)."""
        if self.mailer is None:
            return
        number = order.order_number or order.id
        try:
            await self.mailer.send(
                old,
                copy.text("contact_changed_subject", number=number),
                copy.text("contact_changed_body", number=number, new=mask_email(new)),
            )
        except UpstreamError as exc:
            log.warning("contact_change_notice_failed", order=order.id, error=type(exc).__name__)


def _masked(name: str, value: str) -> str:
    """A contact value as the audit log keeps it."""
    if not value:
        return "-"
    if name == "email":
        return mask_email(value)
    if name == "phone":
        return mask_phone(value)
    return mask_name(value, None)
