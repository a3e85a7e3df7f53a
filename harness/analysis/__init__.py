"""Pure judgement of recorded curves: windows, robust trends, threshold checks. No I/O here."""
