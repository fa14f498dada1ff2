"""The REST gateway: Envoy's configuration (`render`) and the local process supervisor (`stack`)."""
