"""Debian's chromium driven by Playwright (its own browser download cannot work offline)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Path of the chromium binary; in CI its absence fails, elsewhere it skips."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs Debian's chromium for the page tests (make browser)")
        pytest.skip("chromium is not installed (run: make browser)")
    return path


# A stand-in for Ticketmaster's Secure Entry SDK: records every call the page makes to it.
STAND_IN_SDK = """
window.__sdk = { init: 0, views: [] };
window.Presence = {
  init: function () { window.__sdk.init += 1; },
  SecureEntryView: function (options) {
    window.__sdk.views.push({ selector: options.selector, token: options.token });
    var el = document.querySelector(options.selector);
    if (el) { el.setAttribute("data-rendered", "yes"); }
    this.setToken = function (token) {
      window.__sdk.views.push({ selector: options.selector, token: token });
    };
    this.showError = function () {};
    this.teardown = function () {};
  }
};
"""
