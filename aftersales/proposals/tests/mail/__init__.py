"""P4: proposals by email."""
