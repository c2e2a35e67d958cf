"""Use cases between the routes and the engine, grouped by domain; each state change is one transaction.

Shared by every domain: `errors` (what a use case refuses), `context` (the engine and the business
calendar), `audit` (the hash-chained trail every change writes to), `text_rules` (what free text may hold)."""
