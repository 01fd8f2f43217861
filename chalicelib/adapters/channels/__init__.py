"""Channel adapters: one module a channel (its rules, webhook parsing, sender, settings, texts,
label and icon), the providers whose webhook several channels share (``meta.py``, ``x.py``,
``twilio.py``), and the registry that lists them (``registry.py``)."""
