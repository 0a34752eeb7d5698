"""The Ticketmaster Partner API and SafeTix secure-render client, with its 202 polling.

Answers are parsed into ``bot.ticketmaster.models`` and ``cart_models``; errors are mapped in
``adapters.upstream``. Imports: httpx, ``adapters.upstream``, ``bot``.
"""
