"""The Ticketmaster Partner API simulator: purchase, order management, SafeTix render."""
