"""Where a ledger is when nobody says: kept apart from the engine so that a command can name
it without importing SQLAlchemy (`fundledger --version` does not)."""

DEFAULT_DATABASE_URL = "sqlite:///fundledger.db"
