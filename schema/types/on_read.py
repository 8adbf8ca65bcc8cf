"""Fields worked out on first read: computed only when a query selects them, still read by the
executor as plain attributes.

A field with a resolver costs the executor a resolver call with its `Info` for every object
(about 15 times a plain attribute's read); a field computed eagerly in `from_domain` costs its
computation for every object, selected or not. `computed_on_read` gives a type's field neither
cost: declare it with `default=PENDING` (the constructor leaves it out; the schema is unchanged)
and register how to compute it from the object. The first read computes and keeps the value;
an object nobody asks about never computes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


class _Pending:
    """The default of a field computed on read (never a value a client sees)."""

    def __repr__(self) -> str:
        return "PENDING"


PENDING: Any = _Pending()


class _OnRead:
    """A data descriptor: the instance's own value if the constructor was given one, else the
    value `compute` gives on first read, kept in the instance."""

    __slots__ = ("compute", "name")

    def __init__(self, name: str, compute: Callable[[Any], Any]) -> None:
        self.name = name
        self.compute = compute

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return PENDING  # the dataclass default, as the class attribute held it
        values = instance.__dict__
        try:
            return values[self.name]
        except KeyError:
            value = values[self.name] = self.compute(instance)
            return value

    def __set__(self, instance: object, value: Any) -> None:
        if value is not PENDING:
            instance.__dict__[self.name] = value


def computed_on_read(cls: type[T], **computations: Callable[[T], Any]) -> None:
    """Compute `cls`'s fields named in `computations` (Python names; each declared with
    `default=PENDING`) on first read, from the object."""
    declared = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    for name, compute in computations.items():
        if name not in declared or declared[name].default is not PENDING:
            raise TypeError(f"{cls.__name__}.{name} must be a field declared with default=PENDING")
        setattr(cls, name, _OnRead(name, compute))
