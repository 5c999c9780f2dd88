"""Webhooks: the program's events delivered to the shop's own servers over HTTP.

Admins register endpoints (`endpoints`); the outbox hands each domain event to `fanout`, which
writes one webhook event and one delivery per subscribed endpoint in the dispatcher's
transaction; `sender` POSTs them, signed (`signing`), retrying with backoff for a bounded
time; `deliveries` is the log admins read and replay. This package imports only `domain`.
"""
