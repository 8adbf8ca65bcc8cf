"""Pure domain rules of Wafi: stdlib only, no I/O, no clock, no randomness."""
