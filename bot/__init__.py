"""The conversation core: channel-free, SDK-free, and free of ``adapters``.

Top level: messages (``Inbound``/``Reply``), conversation, turn, ports (the Protocols adapters
implement), errors, identity, orders (who may see what), copy, outbound, links, staff, schedule,
broadcasts, preferences, formatting. Wings: ``app`` (the shell), ``intents``, ``buying``,
``ticketmaster``, ``acme``. Only ``bot.app`` imports ``adapters`` or an SDK (lint rule TID251).
"""
