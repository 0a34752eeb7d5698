"""The words the intent recogniser knows, as data (tuned by hand against tune.jsonl only).

Each group in ``_GROUPS`` is a line ``canon intent=weight... [cue=slot]`` followed by indented
variants: every variant (already folded: lower case, no accents) is read as the canonical token
``canon``; the weights say how much the token votes for each intent; ``cue`` says which slot an
identifier typed shortly after it belongs to (``order``, ``member``, ``coupon``, ``phone``);
``topic`` says what a venue question or a piece of small talk is about (the ``topic`` slot).
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
    parking parkings estacionamiento aparcamiento parqueo parqueadero
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
complaint human=3
    complaint complain queja reclamo reclamacion
refund refund=3
    refund refunds refundable reembolso reembolsos reembolsar reembolsen reimburse reimbursed
    reimbursement devolucion devoluciones
giveback refund=1.5
    devolver devuelvan devuelven devuelve devolverme
money refund=0.5
    money dinero
transfer transfer_ticket=3
    transfer transfers transferring transferred transferir transfiere transferirle traspasar
    reassign
give transfer_ticket=1
    give giving gift gifting regalar regalo forward share compartir pasar pasarle pasale
    enviale mandale
companion transfer_ticket=0.5
    friend friends buddy bf gf boyfriend girlfriend wife husband partner sister brother mom mum
    mother dad father son daughter cousin colleague coworker amigo amiga amigos amigas novio
    novia esposa esposo marido hermana hermano madre padre mama papa primo prima colega pareja
name
    name names nombre titular holder
resell resell_ticket=3
    resell resells reselling resale resold revender reventa revendo revende stubhub
sell resell_ticket=2
    sell selling vender vendo
upgrade upgrade=3
    upgrade upgrades upgrading upgraded
improve upgrade=2
    mejorar improve
vip upgrade=1.5
    vip premium categoria
better upgrade=1
    better mejores mejor closer
seat
    seat seats sit asiento asientos sitio section sections seccion row fila
change
    change changing cambiar cambio cambia switch swap move mover
stage upgrade=0.5
    stage escenario
lost lost_ticket=2
    lost lose losing misplaced misplace stolen stole steal perdi perdido perdida perdidas
    perdidos perder perdio robaron robado robada robadas
doors venue_question=3 topic=doors
    door doors puerta puertas apertura
open
    open opens opening abren abre abrir
arrive
    arrive arrival llegar
parkverb venue_question=3 topic=parking
    park aparcar aparco aparca estacionar estaciono estaciona parquear
garage venue_question=2.5 topic=parking
    garage garaje
bags venue_question=3 topic=bags
    bag bags backpack backpacks mochila mochilas bolso bolsos bolsa bolsas purse purses handbag
    handbags luggage suitcase maleta cloakroom guardarropa locker lockers
accessibility venue_question=3 topic=accessibility
    wheelchair wheelchairs accessible accessibility accesibilidad accesible elevator elevators
    ascensor ascensores ramp rampa disabled disability discapacidad
age venue_question=2.5 topic=age
    age ages edad kids kid children child ninos nino nina ninas minors minor menores menor
    toddler toddlers baby babies bebe bebes
address venue_question=3 topic=address
    address adress direccion ubicacion location located directions map maps mapa
where
    where wheres donde
isthere
    hay
venue
    venue recinto museum museo
contact venue_question=3 topic=contact
    contact contactar contacto hours horario horarios taquilla
thanks small_talk=2 topic=thanks
    thanks thank thx ty tysm thnx thanx cheers gracias grax appreciate appreciated
ok small_talk=2 topic=ok
    ok okay okey okk kk k cool great perfect perfecto awesome alright vale genial entendido
bye small_talk=2.5 topic=bye
    bye goodbye adios chao ciao cya
laugh small_talk=2 topic=emoji
    lol lmao lmfao rofl haha xd
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
    ("real", "human"): "human",
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
    ("greeting", "tardes"): "greeting",
    ("greeting", "noches"): "greeting",
    ("get", "in"): "entry",
    ("get", "into"): "entry",
    ("un", "par"): "couple",
    ("otra", "vez"): "again",
    ("de", "nuevo"): "again",
    # Transfers, resale, losses.
    ("is", "there"): "isthere",
    ("are", "there"): "isthere",
    ("someone", "else"): "someone_else",
    ("another", "human"): "someone_else",
    ("other", "human"): "someone_else",
    ("otra", "human"): "someone_else",
    ("someone", "mas"): "someone_else",
    ("for", "sale"): "sell",
    ("a", "la", "venta"): "sell",
    ("someone", "took"): "lost",
    ("someone", "lost"): "lost",
    # Venue questions.
    ("what", "time"): "whattime",
    ("at", "what", "time"): "whattime",
    ("a", "que", "hora"): "whattime",
    ("que", "hora"): "whattime",
    ("how", "early"): "whattime",
    ("parking", "lot"): "garage",
    ("coat", "check"): "bags",
    ("service", "dog"): "accessibility",
    ("service", "dogs"): "accessibility",
    ("service", "animal"): "accessibility",
    ("service", "animals"): "accessibility",
    ("silla", "de", "ruedas"): "accessibility",
    ("how", "old"): "age",
    ("year", "old"): "age",
    ("years", "old"): "age",
    ("mayores", "de"): "age",
    ("get", "there"): "getthere",
    ("como", "llego"): "getthere",
    ("como", "arrive"): "getthere",
    ("box", "office"): "contact",
    ("your", "phone"): "contact",
    ("your", "email"): "contact",
    ("your", "number"): "contact",
    ("reach", "you"): "contact",
    ("call", "you"): "contact",
    ("su", "phone"): "contact",
    # Small talk.
    ("see", "you"): "bye",
    ("see", "ya"): "bye",
    ("hasta", "luego"): "bye",
    ("hasta", "pronto"): "bye",
    ("nos", "vemos"): "bye",
    ("got", "it"): "ok",
    ("sounds", "good"): "ok",
    ("de", "acuerdo"): "ok",
}

# Weights of canonical tokens that only phrases produce.
_PHRASE_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "callme": {"human": 3.0},
    "capabilities": {"help": 3.0},
    "entry": {"show_tickets": 2.0},
    "someone_else": {"transfer_ticket": 2.5},
    "whattime": {},
    "getthere": {"venue_question": 3.0, "@address": 3.0},
}

# Co-occurrences anywhere in the text: (required canonical tokens, intent deltas). They fix what
# single words get wrong: "cancel my order" asks for a refund (the bot cannot cancel orders),
# it does not abandon the chat; "buy tickets" is not "show my tickets"; a ticket given to a
# friend, sold or lost is not a request to see it. A key written ``@topic`` votes for the
# ``topic`` slot instead of an intent ("what time ... open" is about the doors).
_DOORS: Final = {"venue_question": 3.0, "@doors": 1.5}
_PARKING: Final = {"venue_question": 3.5, "@parking": 3.0}
COMBOS: Final[tuple[tuple[frozenset[str], dict[str, float]], ...]] = (
    (frozenset({"cancel", "order"}), {"refund": 5.0, "cancel": -3.0}),
    (frozenset({"cancel", "purchase"}), {"refund": 5.0, "cancel": -3.0}),
    (frozenset({"cancel", "booking"}), {"refund": 5.0, "cancel": -3.0}),
    (frozenset({"cancel", "ticket"}), {"refund": 5.0, "cancel": -3.0}),
    (frozenset({"giveback", "money"}), {"refund": 1.5}),
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
    (frozenset({"companion", "ticket"}), {"transfer_ticket": 2.5, "show_tickets": -2.0}),
    (frozenset({"give", "ticket"}), {"transfer_ticket": 2.0, "show_tickets": -2.0}),
    (frozenset({"someone_else", "ticket"}), {"transfer_ticket": 1.0, "show_tickets": -2.0}),
    (frozenset({"change", "name"}), {"transfer_ticket": 3.0}),
    (frozenset({"sell", "ticket"}), {"resell_ticket": 2.0, "show_tickets": -2.0}),
    (frozenset({"resell", "ticket"}), {"show_tickets": -2.0}),
    (frozenset({"transfer", "ticket"}), {"show_tickets": -2.0}),
    (frozenset({"upgrade", "ticket"}), {"show_tickets": -2.0}),
    (frozenset({"better", "seat"}), {"upgrade": 2.5}),
    (frozenset({"change", "seat"}), {"upgrade": 3.0}),
    (frozenset({"better", "stage"}), {"upgrade": 2.0}),
    (frozenset({"change", "vip"}), {"upgrade": 2.0}),
    (frozenset({"better", "vip"}), {"upgrade": 1.0}),
    (frozenset({"improve", "ticket"}), {"upgrade": 1.5, "show_tickets": -1.0}),
    (frozenset({"lost", "ticket"}), {"lost_ticket": 2.0, "show_tickets": -2.0}),
    (frozenset({"lost", "qr"}), {"lost_ticket": 2.0, "show_tickets": -2.0}),
    (frozenset({"whattime", "open"}), _DOORS),
    (frozenset({"when", "open"}), _DOORS),
    (frozenset({"whattime", "arrive"}), _DOORS),
    (frozenset({"when", "arrive"}), _DOORS),
    (frozenset({"whattime", "entry"}), {**_DOORS, "show_tickets": -2.0}),
    (frozenset({"when", "entry"}), {**_DOORS, "show_tickets": -2.0}),
    (frozenset({"whattime", "getthere"}), {"venue_question": 0.5, "@doors": 5.0}),
    (frozenset({"when", "start"}), {**_DOORS, "help": -1.0}),
    (frozenset({"whattime", "start"}), {**_DOORS, "help": -1.0}),
    (frozenset({"where", "parking"}), {**_PARKING, "buy_addon": -1.0}),
    (frozenset({"isthere", "parking"}), {**_PARKING, "buy_addon": -1.5}),
    (frozenset({"info", "parking"}), {**_PARKING, "buy_addon": -1.0}),
    (frozenset({"where", "venue"}), {"venue_question": 3.0, "@address": 3.0}),
    (frozenset({"how", "get", "venue"}), {"venue_question": 3.0, "@address": 3.0}),
    (frozenset({"age", "ticket"}), {"venue_question": 1.0}),
    (frozenset({"whattime", "contact"}), {"@contact": 1.0}),
)

#: The ``topic`` slot's values, in the order that breaks a tie.
TOPICS: Final = (
    "doors",
    "parking",
    "bags",
    "accessibility",
    "age",
    "address",
    "contact",
    "bye",
    "thanks",
    "ok",
    "emoji",
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

# Everyday words one or two letters away from a short keyword ("live" from "give", "list" from
# "lost", "queda" from "queja"): known, so never "corrected", yet free to be part of an event's
# name ("Skyline Live").
COMMON_WORDS: Final = _words(
    """
    live lives five tell well fell self cost costs most post list past poor floor same game dear
    page gave hive dive alive also sale sales hold told sold bell belt sell seal real deal fair
    year years hour hours four your yours more less love like line mine nine fine wine time name
    game home hope note open near rear dear bear seen seed seem feel fill full pull push save
    safe date late gate rate mate case base race face place space stage stay take make made
    ago age ages page pages ever even over once only some then them they what when want went
    queda quede queso pena dolor ruido todo toda cada casa cosa caso vale bien tiene pues
    donde dice dijo hola hace hago haya hubo listo lista este esto esta estas estos quien
    parte pasa paso pase pasado poco poca puede pueden sala salas lado calle coche llamo
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
    "\U0001f44d": " ok ",  # thumbs up
    "\U0001f44c": " ok ",  # OK hand
    "\U0001f64f": " thanks ",  # folded hands
}


#: Emoji of distress: an emoji-only message with one of these is not small talk.
SAD_EMOJI: Final = frozenset(
    "\U0001f62d\U0001f622\U0001f621\U0001f620\u2639\U0001f641\U0001f61e\U0001f614"
    "\U0001f629\U0001f62b\U0001f494\U0001f92c\U0001f625\U0001f630\U0001f631"
)

# --- The ``event`` slot: how a fan names the event whose tickets they want ----------------

#: Words that name a day (folded). ``bot.events`` turns them into dates.
EVENT_DAY_WORDS: Final = _words(
    """
    tonight tonite 2nite today tdy tomorrow tmrw tmr tmw 2moro weekend wknd weekends finde hoy
    manana monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu
    thur thurs fri sat sun lunes martes miercoles jueves viernes sabado domingo
    """
)
#: Words that may stand right before a day word and belong to it ("this saturday").
EVENT_DAY_MODIFIERS: Final = _words("this next coming este esta proximo proxima")
#: Words for "evening": after a modifier they name a day too ("this evening", "esta noche").
EVENT_NIGHT_WORDS: Final = _words("night evening noche")
#: Nouns that say "an event" without naming one: part of a name, never a name alone.
EVENT_GENERIC: Final = _words(
    """
    concert concerts event events gig gigs performance thing night evening concierto
    conciertos evento eventos funcion espectaculo noche
    """
)
#: Words before an event's name that say "the event named next" ("tickets for the ...").
EVENT_CUES: Final = _words("for para to of de del al from 4 at")
#: Small words allowed inside a name ("behind the scenes tour", "concierto de jazz").
EVENT_JOINERS: Final = _words("the of de del la el on at and y en s")
#: Words that may stand between a cue and a name ("for the", "para mis").
EVENT_ARTICLES: Final = _words("the my our your a an el la los las mi mis tu tus su sus un una")
#: Words that are never part of a name (keywords are not either).
EVENT_FILLERS: Final = KNOWN_WORDS - EVENT_DAY_WORDS - EVENT_GENERIC - EVENT_DAY_MODIFIERS


def _parse_groups() -> tuple[dict[str, str], dict[str, dict[str, float]], dict[str, str]]:
    """Read ``_GROUPS`` into (variant -> canon, canon -> weights, canon -> cue).

    A group's ``topic=x`` becomes a vote ``@x`` as strong as the group's intent weight.
    """
    canon_of: dict[str, str] = {}
    weights: dict[str, dict[str, float]] = {}
    cues: dict[str, str] = {}
    canon = ""
    for line in _GROUPS.strip().splitlines():
        if not line.startswith(" "):
            canon, *specs = line.split()
            weights[canon] = {}
            topic = None
            for key, _, value in (spec.partition("=") for spec in specs):
                if key == "cue":
                    cues[canon] = value
                elif key == "topic":
                    topic = value
                else:
                    weights[canon][key] = float(value)
            if topic is not None:
                weights[canon]["@" + topic] = max(weights[canon].values())
            continue
        for variant in line.split():
            if variant in canon_of:
                raise ValueError(f"intent lexicon: {variant!r} appears twice")
            canon_of[variant] = canon
    weights.update(_PHRASE_WEIGHTS)
    return canon_of, weights, cues


CANON_OF, WEIGHTS, CUES = _parse_groups()


def _check_phrases() -> None:
    """Phrases are matched over canonical tokens: a variant in one would never match."""
    for sequence in PHRASES:
        for word in sequence:
            if CANON_OF.get(word, word) != word:
                raise ValueError(f"intent lexicon: phrase {sequence} uses the variant {word!r}")
    for needed, _ in COMBOS:
        for word in needed:
            if CANON_OF.get(word, word) != word:
                raise ValueError(f"intent lexicon: combination {needed} uses the variant {word!r}")


_check_phrases()

# Typo correction may only land on these: keyword variants of four letters or more.
CORRECTION_TARGETS: Final = frozenset(w for w in CANON_OF if len(w) >= 4 and w.isalpha())

# Everything that is spelled correctly already (never corrected). Words of phrases and
# combinations belong here by construction: if "call" were "corrected" to "cell", the phrase
# "call me" could never match.
VOCABULARY: Final = (
    frozenset(CANON_OF)
    | KNOWN_WORDS
    | COMMON_WORDS
    | frozenset(NUMBER_WORDS)
    | frozenset(word for sequence in PHRASES for word in sequence)
    | frozenset(word for needed, _ in COMBOS for word in needed)
)
