"""Whether an op_db entry's results agree with the exclusion list (shared by the test and the report).

An exclusion key is an entry id (the whole entry is expected to fail) or "entry:unit" (one unit:
a dtype such as "int64", or "grad", "gradgrad", "variants", "errors"). The list is strict both ways:
a failing unit nobody listed fails, and so does a listed entry or unit that now passes.
"""


def failing_units(result):
    return {unit for unit, message in result.items() if message is not None}


def verdict(entry, result, exclusions):
    """(ok, message, categories of the exclusions that cover a failure) for one entry."""
    failing = failing_units(result)
    whole = exclusions.get(entry)
    if whole is not None:
        if not failing:
            return False, (f"listed in opinfo_exclusions.py as {whole[0]!r} ({whole[1]}) but now passes: "
                           f"remove its line"), []
        return True, f"excluded: {whole[0]}: {whole[1]}", [whole[0]]
    listed = {key.rsplit(":", 1)[1]: reason for key, reason in exclusions.items()
              if ":" in key and key.rsplit(":", 1)[0] == entry}
    unlisted = sorted(failing - set(listed))
    stale = sorted(set(listed) - failing)
    problems = []
    if unlisted:
        problems.append("fails and is not listed in opinfo_exclusions.py: " +
                        "; ".join(f"[{unit}] {result[unit]}" for unit in unlisted))
    if stale:
        problems.append("listed in opinfo_exclusions.py but now passes (remove the line): " +
                        ", ".join(f"{entry}:{unit}" for unit in stale))
    if problems:
        return False, " | ".join(problems), []
    if failing:
        return True, "excluded: " + "; ".join(f"{unit}: {listed[unit][0]}: {listed[unit][1]}"
                                              for unit in sorted(failing)), \
            sorted({listed[unit][0] for unit in failing})
    return True, "passes: " + ", ".join(sorted(result)), []
