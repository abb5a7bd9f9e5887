"""Operations and cases: agencies, cases, persons, identifiers, legal process, seizures, charges, victims.

Every service takes the caller (an :class:`~vigilant.cases.access.Actor`) explicitly and applies agency
scoping and the case's distribution level in SQL, so no face (CLI, web) decides access on its own.
"""
