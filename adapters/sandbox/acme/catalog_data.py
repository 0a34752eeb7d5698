"""The ACME simulator's catalog: events, prices, add-ons, member rules, members and coupons.

Everything acme-discounts-carts.txt names is here with its documented ids and prices: the
"Behind-the-Scenes Tour" instance ``61f99cfb62bd1f467c397829`` whose "Adult" price point
``6130fea5bf4aec4ef5db0dc5`` costs 32.00 (24.00 for members, 27.00 with coupon ``AAA5``),
membership ``5970603`` and the rule set ``61f99ce662bd1f467c397745`` with the rules of the
EntitlementsResult example. acme-orders.txt adds "Sailing" and "Hiking" (May 2021).

Dates of the sandbox's own events are relative to the day the simulator starts, so there are
always upcoming events; ids are fixed and derived from the day offset, so they are the same on
every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from adapters.sandbox.acme.records import (
    TENANT_TZ,
    AddOnRecord,
    CouponRecord,
    InstanceRecord,
    MemberRecord,
    MemberRule,
    PricePoint,
    TemplateRecord,
)

INDIVIDUAL = "6206e59122895a1d99dba320"
DUAL = "6206e59122895a1d99dba321"
FAMILY = "6206e59122895a1d99dba322"
LEVEL_NAMES = {INDIVIDUAL: "Individual", DUAL: "Dual", FAMILY: "Family"}

ADULT, CHILD, SENIOR, STUDENT, YOUTH = (
    "6130fea5bf4aec4ef5db0dc5",
    "6130feb25d8fd13115cc3aef",
    "6130feaa64056f6aa46c4b56",
    "6130feae0f0de240487a9530",
    "6130feb55d8fd13115cc3af1",
)
ALL_FIVE = (ADULT, CHILD, SENIOR, STUDENT, YOUTH)
ADULTING = "54248ac8e4b01cd228b007a4"

AUDIO_GUIDE = AddOnRecord("1901", "Audio Guide", Decimal("8.00"), "Self-guided audio tour.")
PARKING = AddOnRecord("1902", "Parking", Decimal("15.00"), "One car, garage on 5th Street.")
EVENT_ADD_ON = AddOnRecord("1800", "Event Add-On", Decimal("1.00"))

DOCUMENTED_TOUR_INSTANCE = "61f99cfb62bd1f467c397829"
#: Id prefixes of the sandbox's own instances (see :func:`offset_id`).
TOUR_PREFIX, GA_PREFIX, JAZZ_PREFIX = (
    "61f99cfb62bd1f467c",
    "64b7f0c2a1d3e5f607",
    "64b7f0c2a1d3e5f608",
)

TOUR = TemplateRecord(
    id="61f99ce1b2d4c8001a7e5e10",
    name="Behind-the-Scenes Tour",
    description="A curator takes you through the storerooms. Not suitable under 8.",
    price_points=(
        PricePoint(ADULT, "Adult", Decimal("32.00"), Decimal("24.00")),
        PricePoint(CHILD, "Child", Decimal("20.00"), Decimal("15.00")),
        PricePoint(SENIOR, "Senior", Decimal("28.00"), Decimal("21.00")),
        PricePoint(STUDENT, "Student", Decimal("26.00"), Decimal("19.50")),
        PricePoint(YOUTH, "Youth", Decimal("22.00"), Decimal("16.50")),
    ),
    add_ons=(AUDIO_GUIDE,),
    rule_set_id="61f99ce662bd1f467c397745",
    rules=(
        MemberRule("Adult_Child_Senior_Student_Youth_1", INDIVIDUAL, 1, ALL_FIVE),
        MemberRule("Adult_Child_Senior_Student_Youth_2", DUAL, 2, ALL_FIVE),
        MemberRule("Adult_Senior_3", FAMILY, 3, (ADULT, SENIOR)),
    ),
    duration=timedelta(minutes=90),
)

GENERAL_ADMISSION = TemplateRecord(
    id="64b7f0c2a1d3e5f607000001",
    name="Museum General Admission",
    description="Entry to the permanent collection and current exhibitions.",
    price_points=(
        PricePoint("64b7f0c2a1d3e5f607100001", "Adult", Decimal("25.00"), Decimal("0.00")),
        PricePoint("64b7f0c2a1d3e5f607100002", "Child", Decimal("12.00"), Decimal("0.00")),
        PricePoint("64b7f0c2a1d3e5f607100003", "Senior", Decimal("20.00"), Decimal("0.00")),
    ),
    add_ons=(AUDIO_GUIDE, PARKING),
    rule_set_id="64b7f0c2a1d3e5f607200001",
    rules=(
        MemberRule("GA_Individual_1", INDIVIDUAL, 1, ("64b7f0c2a1d3e5f607100001",)),
        MemberRule("GA_Dual_2", DUAL, 2, ("64b7f0c2a1d3e5f607100001",)),
        MemberRule(
            "GA_Family_4",
            FAMILY,
            4,
            ("64b7f0c2a1d3e5f607100001", "64b7f0c2a1d3e5f607100002"),
        ),
    ),
    duration=timedelta(hours=8),
)

JAZZ = TemplateRecord(
    id="64b7f0c2a1d3e5f607000002",
    name="Evening Jazz Concert",
    description="Live jazz in the sculpture garden. Seating is first come, first served.",
    price_points=(
        PricePoint("64b7f0c2a1d3e5f607100011", "General", Decimal("45.00"), Decimal("38.00")),
        PricePoint("64b7f0c2a1d3e5f607100012", "Student", Decimal("25.00")),
    ),
    add_ons=(PARKING,),
    admission_type="generalAdmission",
)

SAILING = TemplateRecord(
    id="5ff7433f210cbe0c44913bd0",
    name="Sailing",
    description="Harbour sailing trip.",
    price_points=(PricePoint(ADULTING, "Adulting", Decimal("100.00")),),
    add_ons=(EVENT_ADD_ON,),
)
HIKING = TemplateRecord(
    id="5ff75b35e8827e149af3ba20",
    name="Hiking",
    description="Guided coastal hike.",
    price_points=(PricePoint(ADULTING, "Adulting", Decimal("10.00")),),
)

TEMPLATES = (TOUR, GENERAL_ADMISSION, JAZZ, SAILING, HIKING)

#: Coupons: AAA5 (documented: $5 off), SAVE10 (10% off the jazz concert only), SUMMER21
#: (expired). Codes are matched case-insensitively.
COUPONS = (
    CouponRecord("9001", "AAA5", amount_off=Decimal("5.00")),
    CouponRecord("9002", "SAVE10", percent_off=Decimal("10"), template_ids=frozenset({JAZZ.id})),
    CouponRecord(
        "9003",
        "SUMMER21",
        amount_off=Decimal("10.00"),
        expires=datetime(2021, 9, 1, tzinfo=TENANT_TZ),
    ),
)


def _at(today: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    return today + timedelta(days=days, hours=hour, minutes=minute)


def offset_id(prefix: str, days: int) -> str:
    """A stable 24-hex id for the instance ``days`` from the start day (negative: past)."""
    return f"{prefix}{days + 0x800000:06x}"


def instances(now: datetime) -> list[InstanceRecord]:
    """Every event instance, dated around ``now`` (plus the documented 2021 ones)."""
    today = datetime.combine(now.astimezone(TENANT_TZ).date(), time(), tzinfo=TENANT_TZ)
    found = [
        InstanceRecord(DOCUMENTED_TOUR_INSTANCE, TOUR, _at(today, 1, 14), capacity=12),
        InstanceRecord(
            "5ff74342210cbe0c44913be2", SAILING, datetime.fromtimestamp(1621036800, TENANT_TZ), 40
        ),
        InstanceRecord(
            "5ff75b38e8827e149af3ba34", HIKING, datetime.fromtimestamp(1621029600, TENANT_TZ), 25
        ),
    ]
    for days in (-14, -7, 3, 7, 14):
        found.append(InstanceRecord(offset_id(TOUR_PREFIX, days), TOUR, _at(today, days, 14), 12))
    for days in range(-60, 31):
        found.append(
            InstanceRecord(offset_id(GA_PREFIX, days), GENERAL_ADMISSION, _at(today, days, 10), 400)
        )
    for days in range(-54, 31, 7):
        found.append(
            InstanceRecord(offset_id(JAZZ_PREFIX, days), JAZZ, _at(today, days, 19, 30), 150)
        )
    return found


def members(now: datetime) -> list[MemberRecord]:
    """Members: card number (typed by a fan) -> internal membership id (used in carts)."""
    year = timedelta(days=365)
    return [
        MemberRecord(
            5970603,
            "7700123456",
            "Marcus",
            "Lee",
            "marcus.lee@example.com",
            "212.555.0147",
            INDIVIDUAL,
            "Individual",
            now - year / 2,
            now + year / 2,
        ),
        MemberRecord(
            4600100,
            "2100448811",
            "Jane",
            "Doe",
            "janedoe@gmail.com",
            "1234567890",
            INDIVIDUAL,
            "Individual",
            now - year / 4,
            now + year,
        ),
        MemberRecord(
            5970611,
            "7700654321",
            "Priya",
            "Shah",
            "priya.shah@example.com",
            "+1 617-555-0199",
            DUAL,
            "Dual",
            now - year / 3,
            now + year / 3,
        ),
        MemberRecord(
            5970620,
            "7700999000",
            "Sofia",
            "Garcia",
            "sofia.garcia@example.com",
            "+44 20 7946 0958",
            FAMILY,
            "Family",
            now - 2 * year,
            now - year / 6,
        ),
    ]


@dataclass(frozen=True)
class Catalog:
    """What can be bought, and who gets member prices and coupons."""

    templates: dict[str, TemplateRecord]
    instances: dict[str, InstanceRecord]
    members: dict[int, MemberRecord]
    coupons: dict[str, CouponRecord]

    @classmethod
    def seeded(cls, now: datetime) -> Catalog:
        """The catalog above, dated around ``now``."""
        return cls(
            templates={t.id: t for t in TEMPLATES},
            instances={i.id: i for i in instances(now)},
            members={m.membership_id: m for m in members(now)},
            coupons={c.code.upper(): c for c in COUPONS},
        )

    def instances_of(self, template_id: str) -> list[InstanceRecord]:
        """A template's instances, earliest first."""
        found = [i for i in self.instances.values() if i.template.id == template_id]
        return sorted(found, key=lambda i: i.start)
