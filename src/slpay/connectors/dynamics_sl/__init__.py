"""dynamics_sl."""
