"""The ACME Ticketing simulator: orders, carts, pricing, members, catalog, checkout."""
