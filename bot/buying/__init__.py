"""Buying: carts, cart edits and their text, checkout links and confirmation, purchase links.

ACME prices every cart; this wing decides what a fan may change and remembers open carts through
ports. No I/O of its own.
"""
