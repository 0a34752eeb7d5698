"""Usher's own web pages: the secure ticket page, the checkout, purchase links, the TM API."""
