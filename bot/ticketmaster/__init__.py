"""The SafeTix domain: registered orders and tokens, the scheduled refresh, notices, payloads.

``models`` and ``cart_models`` are the Partner API's payloads as typed models, parsed at the edge
by ``adapters.ticketmaster`` and spoken by the core.
"""
