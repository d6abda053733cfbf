"""pakta serve: the verification page, the QR code's target, the secretariat's
dashboard and the heads' return by link (see app.py)."""
