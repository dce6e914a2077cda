"""Use cases: every write and query goes through here, inside the caller's transaction.

Callers open a transaction with ``tracker.db.session_scope(engine)`` and pass the session; a
service either completes all its writes (with an audit event each) or raises, and the scope
rolls everything back.
"""
