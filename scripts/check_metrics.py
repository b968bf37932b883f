#!/usr/bin/env python3
"""Validate hpcrec metrics files (JSON lines) against docs/metrics.schema.json.

    scripts/check_metrics.py FILE.jsonl...   exit 0: every line valid; 2: the
                                              first invalid line, as FILE:LINE: why

Standard library only: implements the part of JSON Schema (draft 7) the
schema uses: type, enum, const, minimum, required, properties,
additionalProperties.
"""
import json
import os
import sys

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "metrics.schema.json")

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
}


def errors(value, schema, where):
    """The first violation of `schema` by `value` (a string), or None."""
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[k](value) for k in kinds):
            return f"{where}: expected {' or '.join(kinds)}, got {json.dumps(value)[:60]}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: expected one of {schema['enum']}, got {json.dumps(value)[:60]}"
    if "const" in schema and value != schema["const"]:
        return f"{where}: expected {json.dumps(schema['const'])}, got {json.dumps(value)[:60]}"
    if "minimum" in schema and TYPES["number"](value) and value < schema["minimum"]:
        return f"{where}: expected >= {schema['minimum']}, got {value}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                return f"{where}: missing key '{key}'"
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, v in value.items():
            sub = props.get(key, extra)
            if sub is False:
                return f"{where}: unexpected key '{key}'"
            if isinstance(sub, dict):
                e = errors(v, sub, f"{where}.{key}" if where else key)
                if e:
                    return e
    return None


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    for path in argv:
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except OSError as e:
            print(f"{path}: {e.strerror}", file=sys.stderr)
            return 2
        if not lines:
            print(f"{path}: no records", file=sys.stderr)
            return 2
        for n, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except ValueError as e:
                print(f"{path}:{n}: not JSON: {e}", file=sys.stderr)
                return 2
            e = errors(record, schema, "")
            if e:
                print(f"{path}:{n}: {e.lstrip(': ')}", file=sys.stderr)
                return 2
        print(f"{path}: {len(lines)} records valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
