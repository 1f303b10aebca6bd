"""Issue 7, "fixed once": every form field and every API input that takes
text or an id is one of the shared types (aftersales.core.fields), so a form
or schema added later (inspections, quality) cannot forget the rules."""

import importlib
import pkgutil
import types
import typing

import annotated_types
from django import forms
from pydantic import BaseModel, BeforeValidator

import aftersales
from aftersales.core.fields import (
    API_ID_VALIDATORS,
    API_TEXT_VALIDATORS,
    ID_FORM_FIELDS,
    ID_MAX,
    TEXT_FORM_FIELDS,
    IdField,
)

# Modules that define forms outside a forms.py.
FORM_MODULES = ("aftersales.proposals.filters", "aftersales.proposals.views_rewards")


def _project_forms() -> list[type]:
    for module in pkgutil.walk_packages(aftersales.__path__, "aftersales."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    for name in FORM_MODULES:
        importlib.import_module(name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("aftersales.") and ".tests" not in cls.__module__:
            found.append(cls)
    return found


def _fields_of(form_class) -> dict:
    """Declared fields, plus those a form adds when built (policy keys)."""
    fields = dict(form_class.base_fields)
    for kwargs in ({}, {"values": {}}):
        try:
            fields.update(form_class(**kwargs).fields)
            break
        except Exception:  # noqa: BLE001, S112 - a form that needs more to be built
            continue
    return fields


def _form_problem(field) -> str | None:
    if isinstance(field, forms.CharField) and not isinstance(field, TEXT_FORM_FIELDS):
        return "text field is not LineField/TextField"
    if isinstance(field, forms.ModelChoiceField) and not isinstance(field, ID_FORM_FIELDS):
        return "model choice is not an Id...ChoiceField"
    typed_id = isinstance(field, forms.TypedChoiceField) and field.coerce is int
    if typed_id and not isinstance(field, ID_FORM_FIELDS):
        return "id choice is not IdChoiceField"
    # DecimalField and FloatField derive from IntegerField; they hold no ids.
    whole = isinstance(field, forms.IntegerField) and not isinstance(
        field, forms.DecimalField | forms.FloatField
    )
    unbounded = field.max_value is None or field.max_value > ID_MAX if whole else False
    if whole and not isinstance(field, IdField) and unbounded:
        return "integer without an upper bound: use IdField, or give max_value"
    return None


def test_issue7_every_form_field_for_text_or_ids_is_a_shared_type():
    form_classes = _project_forms()
    assert len(form_classes) > 25  # the walk found the project's forms
    stray = [
        f"{cls.__module__}.{cls.__name__}.{name}: {problem}"
        for cls in form_classes
        for name, field in _fields_of(cls).items()
        if (problem := _form_problem(field))
    ]
    assert stray == []


def _validators(metadata) -> set:
    return {m.func for m in metadata if isinstance(m, BeforeValidator)}


def _bounded(metadata) -> bool:
    for m in metadata:
        for name in ("le", "lt"):
            bound = getattr(m, name, None)
            if bound is not None and bound <= ID_MAX:
                return True
        if isinstance(m, annotated_types.Interval) and m.le is not None and m.le <= ID_MAX:
            return True
    return False


def _api_problems(annotation, metadata, where: str, seen: set) -> list[str]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _api_problems(args[0], [*metadata, *annotation.__metadata__], where, seen)
    if origin in (typing.Union, types.UnionType):
        return [
            p
            for arg in args
            if arg is not type(None)
            for p in _api_problems(arg, metadata, where, seen)
        ]
    if origin in (list, tuple, set):
        return [p for arg in args for p in _api_problems(arg, [], f"{where}[]", seen)]
    if origin in (dict, typing.Literal) or annotation is typing.Any:
        return []
    if annotation is str and not _validators(metadata) & set(API_TEXT_VALIDATORS):
        return [f"{where}: str is not Line/Text"]
    if annotation is int and not (
        _validators(metadata) & set(API_ID_VALIDATORS) or _bounded(metadata)
    ):
        return [f"{where}: int is neither Id nor bounded"]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen.add(annotation)
        return [
            p
            for name, info in annotation.model_fields.items()
            for p in _api_problems(info.annotation, info.metadata, f"{where}.{name}", seen)
        ]
    return []


def test_issue7_every_api_input_for_text_or_ids_is_a_shared_type():
    from aftersales.config.api import api

    operations = 0
    problems = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                operations += 1
                where = f"{'/'.join(operation.methods)} {prefix}{path}"
                for model in operation.models:
                    problems += _api_problems(model, [], where, set())
    assert operations > 40  # the walk found the API
    assert problems == []
