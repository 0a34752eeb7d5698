"""The ACME Ticketing client: transport, auth, and the order and shop calls on one httpx client.

Parses every answer into the typed models of ``bot.acme`` (the vocabulary the core speaks) and
maps every failure through ``adapters.upstream``. Imports: httpx, ``adapters.upstream``, ``bot``.
"""
