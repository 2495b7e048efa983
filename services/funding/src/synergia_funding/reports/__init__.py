"""Funding reports: beneficiary totals and de minimis, value-chain and region co-funding."""
