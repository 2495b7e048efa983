"""Every legal number the ledger rules use, in one place, each with its source."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# FSTP: "at most €60,000 per third party" unless the work programme and the grant say
# otherwise. H2020 Rules for Participation, Regulation (EU) No 1290/2013 Art. 23(7), as
# applied by INNOSUP-01 (€60,000 per SME); DOMAIN.md "Funding".
FSTP_CAP_PER_THIRD_PARTY = Decimal("60000.00")

# De minimis from 2024-01-01: €300,000 per single undertaking per Member State over any
# period of three years, assessed on a rolling basis (Commission Regulation (EU) 2023/2831
# Art. 3(2) and recital 10; Art. 8: it applies from 1 January 2024).
DE_MINIMIS_2023_2831_FROM = date(2024, 1, 1)
DE_MINIMIS_2023_2831_CEILING = Decimal("300000.00")
DE_MINIMIS_2023_2831_WINDOW_YEARS = 3

# De minimis before 2024-01-01: €200,000 per single undertaking per Member State over any
# period of three fiscal years: the current fiscal year and the two previous ones
# (Commission Regulation (EU) No 1407/2013 Art. 3(2) and recital 10). The €100,000 ceiling
# for road freight transport (Art. 3(2), second subparagraph) and the sector regulations
# (agriculture 1408/2013, fishery 717/2014, SGEI 360/2012) are not modelled.
DE_MINIMIS_1407_2013_CEILING = Decimal("200000.00")
DE_MINIMIS_1407_2013_FISCAL_YEARS = 3

# Value chains: "at least 75 % of the total budget goes to SMEs directly (as members or as
# third parties receiving support)" (DOMAIN.md "Value chains"; INNOSUP-01 call text).
MIN_SME_BUDGET_PERCENT = Decimal(75)
