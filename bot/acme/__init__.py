"""ACME Ticketing's payloads as typed models: orders, carts, entitlements, catalog, field types.

They live in the core because the ports speak them: handlers and the core read an ``Order`` or a
``Cart`` without importing ``adapters``, and ``adapters.acme`` parses answers into them.
"""
