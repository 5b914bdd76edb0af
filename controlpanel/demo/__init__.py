"""Demo data for ``make run``: two gateways built from real configs, with requests and alerts."""
