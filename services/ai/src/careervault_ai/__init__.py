"""CareerVault AI service."""
