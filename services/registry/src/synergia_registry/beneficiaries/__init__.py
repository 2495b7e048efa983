"""Regional authorities register the beneficiaries they pay, matched against known actors."""
