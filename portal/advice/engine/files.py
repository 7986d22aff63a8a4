"""Reading the content files: YAML that refuses a repeated key, the JSON Schema, and schema
errors in plain words naming the file and the item."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
CATALOGUE_PATH = Path(__file__).resolve().parents[2] / "equipment" / "catalogue.yaml"
SCHEMA_FILE = "schema.json"
QUESTIONS_FILE = "questions.yaml"
RULES_FILE = "rules.yaml"
RECOMMENDATIONS_FILE = "recommendations.yaml"


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a repeated key in a mapping (PyYAML silently keeps the last)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' is repeated", key_node.start_mark
                )
            seen.add(key)
        except TypeError:  # unhashable key: construct_mapping reports it
            pass
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, label: str, errors: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.append(f"{label}: file not found ({path})")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(f"{label}: cannot be read ({exc})")
        return None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(f"{label}: not valid YAML{where}: {problem}")
        return None


@cache
def _schema(directory: Path) -> dict[str, Any]:
    return json.loads((directory / SCHEMA_FILE).read_text(encoding="utf-8"))


def load_schema(directory: Path, errors: list[str]) -> dict[str, Any] | None:
    path = directory / SCHEMA_FILE
    if not path.exists():
        path = CONTENT_DIR / SCHEMA_FILE  # a content copy without its own schema uses ours
        directory = CONTENT_DIR
    try:
        return _schema(directory)
    except (OSError, ValueError) as exc:
        errors.append(f"{SCHEMA_FILE}: cannot be read ({exc})")
        return None


_NOUNS = {
    "areas": "area",
    "questions": "question",
    "rules": "rule",
    "recommendations": "recommendation",
    "products": "product",
}


def _field_path(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _type_name(instance: Any) -> str:
    return type(instance).__name__.replace("str", "text").replace("NoneType", "empty")


_QUOTES = "put quotes round Yes, No, On and Off, which YAML reads as true or false"


def _describe(error: jsonschema.ValidationError) -> tuple[list[Any], str]:
    """(extra path, message) in plain words for one schema error."""
    validator, instance, schema = error.validator, error.instance, error.schema
    if validator in ("oneOf", "anyOf") and error.context:
        branches = error.validator_value

        def fits(branch: Any) -> bool:
            kind = branch.get("type") if isinstance(branch, dict) else None
            types = {"object": dict, "string": str, "array": list, "boolean": bool}
            return kind is None or isinstance(instance, types.get(kind, object))

        candidates = [i for i, b in enumerate(branches) if fits(b)]
        if len(candidates) > 1 and isinstance(instance, dict):
            candidates = [i for i in candidates
                          if all(k in instance for k in branches[i].get("required", []))]
        if len(candidates) == 1:
            sub = [e for e in error.context if e.relative_schema_path[0] == candidates[0]]
            if sub:
                best = sorted(sub, key=lambda e: len(e.relative_path))[0]
                extra, message = _describe(best)
                return list(best.relative_path) + extra, message
        message = f"is not valid: expected {schema.get('description', 'another form')}"
        if isinstance(instance, bool):
            message += f", not {str(instance).lower()} ({_QUOTES})"
        return [], message
    if validator == "required":
        present = instance if isinstance(instance, dict) else {}
        missing = [k for k in error.validator_value if k not in present]
        name = missing[0] if missing else error.message
        note = f" ({schema['description']})" if schema.get("description") else ""
        return [], f"missing required field '{name}'{note}"
    if validator == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        present = instance if isinstance(instance, dict) else {}
        extra = sorted(str(k) for k in present if k not in allowed)
        return [], f"unknown field '{', '.join(extra)}'"
    if validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        words = {"string": "text", "integer": "a whole number", "number": "a number",
                 "boolean": "true or false", "array": "a list", "object": "a mapping"}
        message = f"must be {words.get(expected, expected)}, not {_type_name(instance)}"
        if isinstance(instance, bool) and expected == "string":
            message += f" ({_QUOTES})"
        return [], message
    if validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return [], f"'{instance}' is not allowed: use one of {allowed}"
    if validator == "const":
        return [], f"must be '{error.validator_value}'"
    if validator == "pattern":
        form = schema.get("description", error.validator_value)
        return [], f"'{instance}' is not in the right form ({form})"
    if validator in ("minItems", "minLength") and not instance:
        return [], "must not be empty"
    if validator in ("minProperties", "maxProperties") and schema.get("description"):
        return [], f"is not valid: expected {schema['description']}"
    if validator == "uniqueItems":
        return [], "has a repeated item"
    return [], error.message


def schema_errors(
    data: Any, schema: dict[str, Any], definition: str, label: str
) -> tuple[list[str], set[tuple[str, int]]]:
    """Schema errors in plain words, and the (collection, index) of every item with an error."""
    validator = jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"})
    messages: list[str] = []
    bad: set[tuple[str, int]] = set()
    for error in validator.iter_errors(data):
        extra, message = _describe(error)
        path = list(error.absolute_path) + extra
        who = ""
        if len(path) >= 2 and path[0] in _NOUNS and isinstance(path[1], int):
            bad.add((path[0], path[1]))
            item = data[path[0]][path[1]]
            key = "code" if path[0] == "products" else "id"
            ident = item.get(key) if isinstance(item, dict) else None
            noun = _NOUNS[path[0]]
            who = f"{noun} '{ident}'" if isinstance(ident, str) else f"{noun} number {path[1] + 1}"
            path = path[2:]
        parts = [label, who, _field_path(path), message]
        text = ": ".join(p for p in parts[:-1] if p) + ": " + message
        if text not in messages:
            messages.append(text)
    return messages, bad

