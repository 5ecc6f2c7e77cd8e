"""cybersource."""
