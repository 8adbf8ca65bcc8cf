"""Every type, field, argument and input field a client sees in the schema has a description;
enum types are described, and their values only where a value needs words of its own."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
)

from schema.root import schema

BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(types: dict[str, GraphQLNamedType]) -> list[str]:
    """`Type`, `Type.field`, `Type.field(arg)` and `Input.field` that carry no description."""
    missing: list[str] = []
    for name, kind in sorted(types.items()):
        if name.startswith("__") or name in BUILTIN_SCALARS:
            continue
        if not (kind.description or "").strip():
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in kind.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg_name})"
                    for arg_name, arg in field.args.items()
                    if not (arg.description or "").strip()
                ]
        elif isinstance(kind, GraphQLInputObjectType):
            missing += [
                f"{name}.{field_name}"
                for field_name, field in kind.fields.items()
                if not (field.description or "").strip()
            ]
        elif isinstance(kind, GraphQLEnumType):
            pass  # the type's description explains its values (they are the rules' own words)
    return missing


def test_every_type_field_argument_and_input_field_is_described() -> None:
    assert undescribed(schema._schema.type_map) == []


def test_an_undescribed_field_is_listed() -> None:
    from graphql import build_schema

    built = build_schema(
        '"""A thing."""\ntype Query {\n  """Described."""\n  a(x: Int): Int\n  b: Int\n}'
    )
    assert undescribed(built.type_map) == ["Query.a(x)", "Query.b"]
