"""The fault suite reuses the adapter tests' Slack fixtures (the real Bolt app, a fake Slack)."""

from tests.adapters.conftest import fake_slack, slack, stack

__all__ = ["fake_slack", "slack", "stack"]
