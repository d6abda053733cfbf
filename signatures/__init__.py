"""pakta's signature profiles (installed as the package pakta._signatures)."""
