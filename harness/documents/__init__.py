"""The documents a run directory holds, typed: run.json (run_info.py), verdict.json (verdict.py)
and each kind of record in events.jsonl (events.py). Writers build them, readers validate them,
and a document not of soak's shape is one RunFileError naming the file and the field."""
