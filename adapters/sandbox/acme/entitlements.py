"""Member entitlements: may these members buy this many member-priced tickets?

A template's rule set holds rules "members of level L may buy N member-priced
tickets a day across these price points". For each event in the cart and each membership whose
level has a rule, the member-priced lines (not ``isRetail``, not ``ignoreEntitlements``, not
coupon-priced) plus what that member already bought for the same day must not exceed N. As in
the documented EntitlementsResult, the member's checks come first (``reason: Cart``), then every
rule of the set as configured (always valid), then one violation per failed check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.sandbox.acme.pricing import PricedCart, PricedLine
from adapters.sandbox.acme.records import InstanceRecord, MemberRecord, MemberRule

#: How many member-priced tickets a membership already bought under a rule that day.
Purchased = Callable[[int, MemberRule, InstanceRecord], int]


def entitlements(cart: PricedCart, purchased: Purchased) -> dict[str, Any]:
    """The EntitlementsResult for a priced cart (see the module docstring)."""
    checks: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    violations: list[dict[str, Any]] = []
    events: dict[str, list[PricedLine]] = {}
    for line in cart.lines:
        if line.price_point is not None:
            events.setdefault(line.instance.id, []).append(line)
    for lines in events.values():
        template = lines[0].instance.template
        for rule in template.rules:
            in_rule = [line for line in lines if _point_id(line) in rule.price_point_ids]
            counted = [
                line for line in in_rule if line.basis == "member" and not line.ignore_entitlements
            ]
            for member in cart.members:
                if member.level_id == rule.level_id and counted:
                    bought = purchased(member.membership_id, rule, lines[0].instance)
                    check, violation = _member_check(rule, member, counted, bought)
                    checks.append(check)
                    violations.extend([violation] if violation else [])
            configured.append(
                {
                    **_counts(rule.allowed, 0, sum(line.quantity for line in in_rule), True),
                    **_rule_fields(template.rule_set_id, rule),
                    "rulesApplied": [{"id": rule.id, "valid": True}],
                    "items": [_rule_item(line) for line in in_rule],
                }
            )
    failed = [check for check in checks if not check["valid"]]
    return {
        "valid": not failed,
        "messages": [check["rulesApplied"][0]["message"] for check in failed],
        "results": [*checks, *configured],
        "violations": violations,
        "passed": [check for check in checks if check["valid"]],
    }


def _member_check(
    rule: MemberRule, member: MemberRecord, counted: list[PricedLine], bought: int
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """One member's check of one rule, and its violation when it fails."""
    instance = counted[0].instance
    requested = sum(line.quantity for line in counted)
    valid = bought + requested <= rule.allowed
    applied: dict[str, Any] = {"id": rule.id, "valid": valid}
    if not valid:
        applied |= {"message": f"Rule failed:{rule.id}", "messageCode": f"{rule.id}-ERROR"}
    check = {
        **_counts(rule.allowed, bought, requested, valid),
        "ruleSetId": instance.template.rule_set_id,
        "rulesApplied": [applied],
        "items": [_check_item(line) for line in counted],
        "membershipId": member.membership_id,
        "membershipLevelId": member.level_id,
        **{k: v for k, v in _rule_fields(None, rule).items() if k != "ruleSetId"},
        "reason": "Cart",
    }
    if valid:
        return check, None
    names = {p.id: p.name for p in instance.template.price_points}
    point_names = [names[p] for p in rule.price_point_ids if p in names]
    violation = {
        "eventId": instance.id,
        "pricePointId": _point_id(counted[0]),
        **_counts(rule.allowed, bought, requested, None),
        "timeFrame": "day",
        "pricePoints": point_names,
        "ruleType": "memberBenefits",
        "validatedPricePointIds": list(rule.price_point_ids),
        "validatedPricePoints": point_names,
        "reason": "Cart",
        "pricePointIds": list(rule.price_point_ids),
    }
    return check, violation


def _rule_fields(rule_set_id: str | None, rule: MemberRule) -> dict[str, Any]:
    return {
        "ruleSetId": rule_set_id,
        "timeFrame": "oneDay",
        "pricepointIds": list(rule.price_point_ids),
        "ruleType": "memberBenefits",
        "validatedPricePointIds": [],
    }


def _counts(allowed: int, bought: int, requested: int, valid: bool | None) -> dict[str, Any]:
    counts: dict[str, Any] = {
        "allowedQuantity": allowed,
        "purchasedQuantity": bought,
        "requestedQuantity": requested,
    }
    if valid is not None:
        counts["valid"] = valid
    return counts


def _check_item(line: PricedLine) -> dict[str, Any]:
    keys = ("itemId", "eventId", "ticketingTypeId", "quantity", "unitPrice", "retailUnitPrice")
    return {key: line.item[key] for key in keys} | {
        "amount": line.item["amount"],
        "eventName": line.item["eventName"],
    }


def _rule_item(line: PricedLine) -> dict[str, Any]:
    keys = ("eventId", "ticketingTypeId", "quantity", "eventName")
    return {key: line.item[key] for key in keys}


def _point_id(line: PricedLine) -> str:
    return line.price_point.id if line.price_point is not None else ""
