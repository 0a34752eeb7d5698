"""One module per journey: plain async functions from (event, state, dependencies) to replies.

They never import an SDK or ``adapters``: ``bot/app/bootstrap.py`` hands them what they need.
"""
