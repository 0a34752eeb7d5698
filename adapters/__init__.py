"""Every edge of Usher: one package per outside thing (channels, upstreams, Redis, jobs, pages).

Adapters translate: a platform event into an ``Inbound``, a ``Reply`` into platform calls, an
HTTP answer into a typed model or an exception from ``bot.errors``. They implement the Protocols
of ``bot.ports`` and may import any SDK (httpx, redis, telegram, slack_bolt, starlette) and the
core (``bot``). Nothing outside ``adapters/`` imports them except the app shell, ``bot/app/``,
which wires them in ``bot/app/bootstrap.py``. Shared at the top: ``upstream`` (the one HTTP
core), ``qr``, ``mailer`` and ``console`` (the terminal channel).
"""
