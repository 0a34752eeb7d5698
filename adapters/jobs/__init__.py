"""Background jobs on arq: the worker, the wiring of scheduled work, ``usher jobs`` reporting.

What runs when is decided in the core (``bot.schedule``, ``bot.ticketmaster.planner``); this wing
only runs it. Imports: arq, redis, the other adapters, the core.
"""
