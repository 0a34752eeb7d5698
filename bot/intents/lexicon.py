"""The words the intent recogniser knows, as data (tuned by hand against tune.jsonl only).

Each group in ``_GROUPS`` is a line ``canon intent=weight... [cue=slot]`` followed by indented
variants: every variant (already folded: lower case, no accents) is read as the canonical token
``canon``; the weights say how much the token votes for each intent; ``cue`` says which slot an
identifier typed shortly after it belongs to (``order``, ``member``, ``coupon``, ``phone``).
Keeping English and Spanish variants in one group means a weight is tuned once for both
languages, and phrases and combinations below are written once over canonical tokens instead of
once per spelling.

Scale: 3 is a word that alone decides the intent ("tickets", "coupon", "cancel"), 2 is a word that
alone is enough (the threshold is 2), 1 and below only tip a balance.
"""

from __future__ import annotations

from typing import Final

_GROUPS: Final = """
order find_order=2.5 cue=order
    order orders ordered ordering orden ordenes pedido pedidos
purchase find_order=2 cue=order
    purchase purchased purchases compra compras compre comprado compramos
paid find_order=2
    bought paid paying pague pagado pagamos payment pago pagos charged cobrado cobraron
booking find_order=2 cue=order
    booking bookings booked reservation reservations reserva reservas reservacion
confirm find_order=2 cue=order
    confirmation confirmacion confirm confirmar
receipt find_order=2
    receipt receipts recibo invoice factura
email find_order=2
    email emails mail correo inbox gmail
phone find_order=2 cue=phone
    phone telephone cell cellphone telefono celular movil whatsapp
mobile find_order=1 cue=phone
    mobile
find find_order=1
    find lookup buscar busca encuentra consultar status estado track
ticket show_tickets=3
    ticket tickets tix tkts eticket etickets entrada entradas boleto boletos billete billetes
qr show_tickets=3
    qr qrs barcode barcodes
scan show_tickets=1
    scan scanned escanear
wallet show_tickets=2
    wallet pdf print imprimir download descargar
resend show_tickets=1
    resend reenviar reenvia reenvie reenviame resent
again
    again nuevamente
member apply_membership=3 cue=member
    member members membership memberships membresia membresias socio socios socia miembro miembros
card apply_membership=0.5 cue=member
    card tarjeta carnet
coupon apply_coupon=3 cue=coupon
    coupon coupons cupon cupones voucher vouchers promo promos promocional promotional
code apply_coupon=1.5 cue=coupon
    code codes codigo codigos
apply apply_coupon=0.5 apply_membership=0.5
    apply aplicar aplica use usar enter redeem canjear
discount apply_coupon=1
    discount discounts descuento descuentos
parking buy_addon=3
    parking parkings park estacionamiento aparcamiento parqueo parqueadero
audioguide buy_addon=3
    audioguide audioguides audioguia audioguias
audio buy_addon=1.5
    audio
guide buy_addon=1.5
    guide guides guia guias
addon buy_addon=3
    addon addons complemento complementos
extras buy_addon=2.5
    extra extras
add buy_addon=1
    add adding anadir agregar agrega anade
buy buy_addon=1
    buy comprar
help help=2.5
    help ayuda ayudame
menu help=2.5
    menu commands comandos
options help=2
    options opciones
greeting help=2
    hi hello hey hola buenas greetings howdy saludos
info help=2
    info informacion information
start help=1
    start empezar
cancel cancel=3
    cancel cancela cancelar cancelalo cancelo abort
stop cancel=3
    stop quit exit salir basta nvm nevermind olvidalo dejalo
forget cancel=2
    forget olvida olvidar
human human=3
    human humans humano person persona personas
agent human=3
    agent agents agente agentes operator operador representative rep asesor
someone human=2.5
    someone somebody alguien
talk human=1.5
    talk speak chat hablar habla
support human=2
    support soporte manager staff
refund human=3
    refund refunds reembolso reembolsar devolucion
complaint human=3
    complaint complain queja reclamo reclamacion
"""

# Phrases over canonical tokens: a sequence is replaced by one canonical token before scoring.
PHRASES: Final[dict[tuple[str, ...], str]] = {
    ("audio", "guide"): "audioguide",
    ("add", "ons"): "addon",
    ("add", "on"): "addon",
    ("never", "mind"): "stop",
    ("forget", "it"): "stop",
    ("forget", "about", "it"): "stop",
    ("no", "importa"): "stop",
    ("look", "up"): "find",
    ("money", "back"): "refund",
    ("real", "person"): "human",
    ("call", "me"): "callme",
    ("llamame",): "callme",
    ("llamenme",): "callme",
    ("customer", "service"): "agent",
    ("customer", "care"): "agent",
    ("atencion", "al", "cliente"): "agent",
    ("servicio", "al", "cliente"): "agent",
    ("what", "can", "you", "do"): "capabilities",
    ("que", "puedes", "hacer"): "capabilities",
    ("que", "haces"): "capabilities",
    ("good", "morning"): "greeting",
    ("good", "afternoon"): "greeting",
    ("good", "evening"): "greeting",
    ("buenos", "dias"): "greeting",
    ("buenas", "tardes"): "greeting",
    ("buenas", "noches"): "greeting",
    ("get", "in"): "entry",
    ("get", "into"): "entry",
    ("un", "par"): "couple",
    ("otra", "vez"): "again",
    ("de", "nuevo"): "again",
}

# Weights of canonical tokens that only phrases produce.
_PHRASE_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "callme": {"human": 3.0},
    "capabilities": {"help": 3.0},
    "entry": {"show_tickets": 2.0},
}

# Co-occurrences anywhere in the text: (required canonical tokens, intent deltas). They fix what
# single words get wrong: "cancel my order" asks a person for a cancellation (the bot cannot
# cancel orders), it does not abandon the chat; "buy tickets" is not "show my tickets".
COMBOS: Final[tuple[tuple[frozenset[str], dict[str, float]], ...]] = (
    (frozenset({"cancel", "order"}), {"human": 5.0, "cancel": -3.0}),
    (frozenset({"cancel", "purchase"}), {"human": 5.0, "cancel": -3.0}),
    (frozenset({"cancel", "booking"}), {"human": 5.0, "cancel": -3.0}),
    (frozenset({"cancel", "ticket"}), {"human": 5.0, "cancel": -3.0}),
    (frozenset({"buy", "ticket"}), {"help": 4.0, "show_tickets": -2.0}),
    # "resend my confirmation email", "send the confirmation again", "reenviar el correo de
    # confirmación": a mail ACME sends again, not a search for the order.
    (frozenset({"resend", "confirm"}), {"resend_confirmation": 6.0}),
    (frozenset({"resend", "email"}), {"resend_confirmation": 5.0}),
    (frozenset({"resend", "receipt"}), {"resend_confirmation": 5.0}),
    (frozenset({"confirm", "again"}), {"resend_confirmation": 5.0}),
    (frozenset({"receipt", "again"}), {"resend_confirmation": 5.0}),
    (frozenset({"how", "work"}), {"help": 3.0}),
    (frozenset({"como", "funciona"}), {"help": 3.0}),
)


def _words(text: str) -> frozenset[str]:
    """A word list written as running text (one list per topic reads better than 300 lines)."""
    return frozenset(text.split())


# Words that are common enough that a typo-correction must never turn them into a keyword, plus
# number words and fillers. Not weighted: they are simply "known".
KNOWN_WORDS: Final = _words(
    """
    a an the i me my mine you your u ur we our they them their it its is are was were be been am
    r s t m d ll re ve im ive id dont didnt cant wont isnt doesnt havent hasnt wasnt
    do does did done get got gotten getting give gave send sent sending want wanted need needed
    can could would should will may might must please pls plz pleas thanks thank thx ty cheers
    ok okay yes yeah yep no nope not never nothing none any some all this that these those there
    where wheres what whats when how why who which here to of in on at for from with by about as
    and or but if so then than too very just still again now today tonight tomorrow yesterday
    last next week day days time show shows see look looking arrive arrived arriving received
    receive came come working work works missing lost forgot forgotten wrong error problem issue
    new old couple pair el la los las lo le les mi mis tu tus su sus yo nos de del al en con por
    para que como cuando donde esta estan es son fue ser hay tengo tiene tienen quiero quiere
    necesito puedo puedes hacer hice haces me te se ya sin nada algo todo todos muy mas otra otro
    vez ayer hoy manana si gracias porfa favor llego llegaron llegado llega recibi recibido ver
    mandar enviar envia nombre numero number num n nr mail venue concert event events evento
    eventos seat seats asiento asientos spot spots car cars coche coches auto autos people bot
    weather nice lol haha hahaha hell heck held part main cart older border shop step store walk
    said pain brought mind fine kind mark dark pack perdido perdi perdida una un unos unas
    """
)

# Filler tokens allowed between a cue word and a letters-only coupon code ("code is SUMMER").
FILLERS: Final = _words("is es my mi the el la de a number numero num no n nr id")

# Head nouns: in "confirmation code 123" the word before the head decides what the id is.
HEADS: Final = _words("code codigo number numero num card id")

_ONE_TO_TEN: Final = (
    "one two three four five six seven eight nine ten",
    "uno dos tres cuatro cinco seis siete ocho nueve diez",
)
NUMBER_WORDS: Final[dict[str, int]] = {
    **{word: i for line in _ONE_TO_TEN for i, word in enumerate(line.split(), 1)},
    "couple": 2,
    "pair": 2,
    "par": 2,
}

# A few emoji carry meaning; every other emoji is dropped with the punctuation.
EMOJI_WORDS: Final[dict[str, str]] = {
    "\U0001f39f": " ticket ",  # admission tickets
    "\U0001f3ab": " ticket ",  # ticket
    "\U0001f44b": " hi ",  # waving hand
    "\U0001f17f": " parking ",  # P button
    "\U0001f198": " help ",  # SOS button
}


def _parse_groups() -> tuple[dict[str, str], dict[str, dict[str, float]], dict[str, str]]:
    """Read ``_GROUPS`` into (variant -> canon, canon -> weights, canon -> cue)."""
    canon_of: dict[str, str] = {}
    weights: dict[str, dict[str, float]] = {}
    cues: dict[str, str] = {}
    canon = ""
    for line in _GROUPS.strip().splitlines():
        if not line.startswith(" "):
            canon, *specs = line.split()
            weights[canon] = {}
            for key, _, value in (spec.partition("=") for spec in specs):
                if key == "cue":
                    cues[canon] = value
                else:
                    weights[canon][key] = float(value)
            continue
        for variant in line.split():
            if variant in canon_of:
                raise ValueError(f"intent lexicon: {variant!r} appears twice")
            canon_of[variant] = canon
    weights.update(_PHRASE_WEIGHTS)
    return canon_of, weights, cues


CANON_OF, WEIGHTS, CUES = _parse_groups()

# Typo correction may only land on these: keyword variants of four letters or more.
CORRECTION_TARGETS: Final = frozenset(w for w in CANON_OF if len(w) >= 4 and w.isalpha())

# Everything that is spelled correctly already (never corrected). Words of phrases and
# combinations belong here by construction: if "call" were "corrected" to "cell", the phrase
# "call me" could never match.
VOCABULARY: Final = (
    frozenset(CANON_OF)
    | KNOWN_WORDS
    | frozenset(NUMBER_WORDS)
    | frozenset(word for sequence in PHRASES for word in sequence)
    | frozenset(word for needed, _ in COMBOS for word in needed)
)
