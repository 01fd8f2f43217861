"""Channel adapters, one module a channel (verify, parse, answer), and their registry."""
