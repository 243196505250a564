"""Services: what the ledger can do. Plain values in, plain results out; one session each."""
