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
from email_validator import EmailNotValidError, validate_email

from bot.acme.models import Order
from bot.acme.types import DEFAULT_PHONE_REGION
from bot.errors import NotFound
from bot.staff import AuditLog, StaffError
from handlers.support import OrderDirectory

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
    """Reads and writes an order's contact details, audited."""

    def __init__(self, acme: OrderDirectory, audit: AuditLog) -> None:
        self.acme = acme
        self.audit = audit

    async def save(self, agent: str, order_id: str, update: dict[str, str | None]) -> Order:
        """Write checked changes (from :func:`changes`) onto the current order."""
        try:
            order = await self.acme.get_order(order_id)
        except NotFound:
            raise StaffError("order_not_found", id=order_id) from None
        saved = await self.acme.update_order(order.id, order.model_copy(update=update))
        names = ",".join(name for name, field in ORDER_FIELDS.items() if field in update)
        await self.audit.record(agent, "edit", order=order.id, detail=names)
        return saved
