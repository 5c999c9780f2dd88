"""The outbox: domain events written in the transaction that caused them, delivered after."""
