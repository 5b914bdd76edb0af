"""Identity rules with no Django in them: IdP group -> per-gateway role mapping, trusted proxy addresses,
gateway tags. [pure]"""
