"""Kohesio beneficiary files: the Commission's export of cohesion-policy beneficiaries,
read (:mod:`.parser`), mapped to beneficiaries and their commitments (:mod:`.mapping`)
and planned as registry and funding requests (:mod:`.loader`)."""
