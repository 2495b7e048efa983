"""Funding reference data: the sources and instruments money comes from (pure core).

- :mod:`.schemas`: the requests that load them (Horizon 2020 grants, FSTP calls, ESIF
  programmes, EFSI windows, national/regional programmes, private investors);
- :mod:`.cci`: 2014-2020 programme CCI codes, checked by pattern and meaning;
- :mod:`.rules`: amounts that add up, stated rates that match, rate ceilings by fund and
  category of region with their sources;
- :mod:`.esif_csv`: the ESIF 2014-2020 planned finances open data, read row by row;
- :mod:`.totals_csv`: the planned totals as CSV.
"""
