"""pakta: render, sign and verify integrity pacts for Indonesia's regional heads."""

__version__ = "0.1.0"
