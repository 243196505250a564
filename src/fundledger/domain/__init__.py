"""Domain layer: value types and pure rules. No SQLAlchemy, no I/O."""
