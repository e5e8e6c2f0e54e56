"""JSON Schemas of the framework library files (docs/frameworks.md)."""

from __future__ import annotations

from typing import Any

LANGUAGES = ["da", "nb", "en"]
ROLES = ["management", "it", "hr", "system_owner", "data_owner", "dpo"]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"

TEXTS: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"enum": LANGUAGES},
    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 10000},
    "minProperties": 1,
}

LEVELS: dict[str, Any] = {
    "type": "object",
    "propertyNames": {"pattern": r"^[0-9]$"},
    "additionalProperties": TEXTS,
}

NODE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "kind", "title"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": ID_PATTERN},
        "parent": {"type": "string", "pattern": ID_PATTERN},
        "kind": {"enum": ["area", "group", "requirement", "question"]},
        "title": TEXTS,
        "description": TEXTS,
        "help": TEXTS,
        "type": {
            "enum": [
                "maturity",
                "yes_partly_no",
                "number",
                "single_choice",
                "multiple_choice",
                "text",
            ]
        },
        "level": {"enum": ["organisation", "unit"]},
        "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "roles": {"type": "array", "items": {"enum": ROLES}, "uniqueItems": True},
        "not_applicable": {"type": "boolean"},
        "levels": LEVELS,
        "options": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "required": ["id", "title"],
                "additionalProperties": False,
                "properties": {"id": {"type": "string", "pattern": ID_PATTERN}, "title": TEXTS},
            },
        },
        "unit": TEXTS,
        "min": {"type": "number"},
        "max": {"type": "number"},
        "recommendations": {
            "type": "object",
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": TEXTS,
        },
        "mappings": {
            "type": "object",
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": {
                "type": "array",
                "items": {
                    "oneOf": [
                        {"type": "string", "pattern": ID_PATTERN},
                        {
                            "type": "object",
                            "required": ["to"],
                            "additionalProperties": False,
                            "properties": {
                                "to": {"type": "string", "pattern": ID_PATTERN},
                                "relation": {"$ref": "#/$defs/relation"},
                            },
                        },
                    ]
                },
            },
        },
        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
    },
}

RELATION: dict[str, Any] = {"enum": ["equal", "subset", "superset", "intersects"]}

FRAMEWORK_FILE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["framework"],
    "additionalProperties": False,
    "$defs": {"node": NODE, "relation": RELATION},
    "properties": {
        "framework": {
            "type": "object",
            "required": ["id", "version", "publisher", "licence", "source", "title", "languages"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9.-]{1,79}$"},
                "version": {"type": "string", "minLength": 1, "maxLength": 40},
                "publisher": {"type": "string", "minLength": 1},
                "licence": {"type": "string", "minLength": 1},
                "source": {"type": "string", "minLength": 1},
                "languages": {
                    "type": "array",
                    "items": {"enum": LANGUAGES},
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "title": TEXTS,
                "description": TEXTS,
                "scale": {
                    "type": "object",
                    "required": ["levels"],
                    "additionalProperties": False,
                    "properties": {
                        "min": {"type": "integer"},
                        "max": {"type": "integer"},
                        "levels": LEVELS,
                    },
                },
            },
        },
    },
}

NODES_FILE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["nodes"],
    "additionalProperties": False,
    "$defs": {"node": NODE, "relation": RELATION},
    "properties": {"nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
}

MAPPING_FILE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["mapping", "relations"],
    "additionalProperties": False,
    "properties": {
        "mapping": {
            "type": "object",
            "required": ["from", "to", "source", "licence"],
            "additionalProperties": False,
            "properties": {
                "from": {"type": "string", "pattern": ID_PATTERN},
                "to": {"type": "string", "pattern": ID_PATTERN},
                "source": {"type": "string", "minLength": 1},
                "licence": {"type": "string", "minLength": 1},
            },
        },
        "relations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["from", "to"],
                "additionalProperties": False,
                "properties": {
                    "from": {"type": "string", "pattern": ID_PATTERN},
                    "to": {"type": "string", "pattern": ID_PATTERN},
                    "relation": RELATION,
                },
            },
        },
    },
}
