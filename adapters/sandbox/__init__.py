"""The built-in simulators of ACME and Ticketmaster (ASGI apps), and the demo's setup.

They answer every documented example as the reference documents show it and are what ``usher
demo``, ``usher sandbox`` and the integration tests run against. They deliberately do not reuse
the clients' models: a simulator that did would agree with any parsing bug.
"""
