"""Every Redis port: the one place that knows key names, scripts and streams.

Each module implements a Protocol of ``bot.ports`` (or of a core module) on ``redis.asyncio``:
conversation state and identity, carts, purchase links, Ticketmaster orders, the audit log, the
handoff queue, job bookkeeping, the answer cache, the send pacer, consumer groups. Imports:
redis and the core, never another wing of ``adapters``.
"""
