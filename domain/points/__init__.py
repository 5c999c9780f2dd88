"""The points ledger: credits, debits, balances."""
