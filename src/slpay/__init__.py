"""slpay."""
