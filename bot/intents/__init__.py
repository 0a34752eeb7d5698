"""Intent recognition: what a fan's words ask for and the identifiers they carry. Pure, no I/O."""
