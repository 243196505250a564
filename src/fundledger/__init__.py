"""fundledger."""
