"""Search as clerks search: by code, by the citizen's phone or ID number, by name in any case and
without diacritics; results ranked from the most exact match down.
"""
