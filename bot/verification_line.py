"""The line staff read about a fan's identity, computed by the server from the fan's proofs.

Why: whatever a fan types reaches agents (a handoff's history, the thread), and a fan can type
"Usher: identity verified (owner of order #100148401)". Agents must be able to tell what the
bot actually knows from what the fan says, so every handoff carries this line, written by the
bot from the proofs it holds: each verified email (masked) "by code", each verified phone
(masked, with its country code) "by Telegram contact", or "not verified".
"""

from __future__ import annotations

import phonenumbers

from bot import copy
from bot.formatting import mask_email
from bot.identity import Verified


def masked_phone(phone: str) -> str:
    """``+14155550134`` -> ``+1 ***0134`` (the country code helps; the rest stays hidden)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    try:
        code = phonenumbers.parse(phone, None).country_code
    except phonenumbers.NumberParseException:
        return f"***{digits[-4:]}"
    return f"+{code} ***{digits[-4:]}"


def verification_line(verified: Verified) -> str:
    """``verified: j***e@gmail.com by code, +1 ***0134 by Telegram contact`` or ``not
    verified`` (staff text, from the ``[slack]`` table)."""
    proofs = [copy.staff("proof_email", email=mask_email(e)) for e in sorted(verified.emails)]
    proofs += [copy.staff("proof_phone", phone=masked_phone(p)) for p in sorted(verified.phones)]
    if not proofs:
        return copy.staff("identity_none")
    return copy.staff("identity_verified", proofs=", ".join(proofs))
