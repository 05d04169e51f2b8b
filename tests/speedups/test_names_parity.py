"""The compiled name hasher and its pure twin agree; names are safe and distinct."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

SAFE = re.compile(r"^[a-z0-9_]{1,63}$")


class Text(str):
    pass


identifiers = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=80
)
clean = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=70
)
prefixes = st.sampled_from(
    ["aux_", "aux_shop_", "aux_a_very_long_service_namespace_name_"]
)
kinds = st.sampled_from(["idx", "uq", "pk"])
names_in = identifiers | clean | clean.map(Text)


@given(kinds, names_in, st.lists(names_in, max_size=4), prefixes | prefixes.map(Text))
@example("idx", "aux_products", ["sku"], "aux_")
@example("idx", "aux_T", ["Name"], "aux_")
def test_builds_agree_and_names_are_safe(
    both: Any, kind: str, table: str, parts: list[str], prefix: str
) -> None:
    compiled, pure = both
    name = compiled.names.constraint_name(kind, table, parts, prefix)
    assert name == pure.names.constraint_name(kind, table, parts, prefix)
    assert SAFE.match(name), name
    assert name.startswith(prefix[:54])


@given(names_in, st.lists(names_in, max_size=3), names_in, prefixes)
def test_fk_and_check_names(
    impl: Any, table: str, cols: list[str], ref: str, prefix: str
) -> None:
    names = impl.names
    assert SAFE.match(names.fk_name(table, cols, ref, prefix))
    assert SAFE.match(names.check_name(table, f"length({ref}) > 0", prefix))


@given(clean, clean, prefixes)
def test_distinct_inputs_give_distinct_names(
    impl: Any, first: str, second: str, prefix: str
) -> None:
    names = impl.names
    full_first = prefix + "idx_" + names.deprefix("aux_t", prefix) + "_" + first
    full_second = prefix + "idx_" + names.deprefix("aux_t", prefix) + "_" + second
    if full_first != full_second:
        assert names.constraint_name(
            "idx", "aux_t", [first], prefix
        ) != names.constraint_name("idx", "aux_t", [second], prefix)


def test_short_clean_names_are_readable(impl: Any) -> None:
    names = impl.names
    assert (
        names.constraint_name("idx", "aux_products", ["sku"], "aux_")
        == "aux_idx_products_sku"
    )
    assert names.constraint_name("pk", "aux_products", [], "aux_") == "aux_pk_products"
    assert names.fk_name("aux_order_items", ["product_id"], "aux_products", "aux_") == (
        "aux_fk_order_items_product_id_to_products"
    )
    expected_ck = "aux_ck_products_" + hashlib.sha1(b"length(sku) > 0").hexdigest()[:8]
    assert names.check_name("aux_products", "length(sku) > 0", "aux_") == expected_ck


def test_long_names_keep_a_head_and_a_hash(impl: Any) -> None:
    names = impl.names
    cols = [
        "a_really_long_column_name_number_one",
        "a_really_long_column_name_number_two",
    ]
    full = "aux_idx_products_" + "_".join(cols)
    name = names.constraint_name("idx", "aux_products", cols, "aux_")
    assert len(name) == 63
    assert name == full[:54] + "_" + hashlib.sha1(full.encode()).hexdigest()[:8]


def test_prefix_fk_spec(impl: Any) -> None:
    names = impl.names
    assert names.prefix_fk_spec("users.id", "aux_shop_") == "aux_shop_users.id"
    assert names.prefix_fk_spec("aux_shop_users.id", "aux_shop_") == "aux_shop_users.id"
    assert names.prefix_fk_spec("aux_users.id", "aux_shop_") == "aux_users.id"
    assert names.prefix_fk_spec("public.users.id", "aux_") == "public.users.id"


def test_no_collisions_over_many_generated_names(impl: Any) -> None:
    names = impl.names
    seen: dict[str, tuple[str, str]] = {}
    words = [
        "device",
        "reading",
        "owner",
        "location",
        "firmware_version",
        "a_rather_long_attribute_name",
    ]
    for t in range(200):
        table = f"aux_table_{t}_" + "x" * (t % 40)
        for i, first in enumerate(words):
            for second in words[i:]:
                for suffix in range(20):
                    cols = [first, f"{second}_{suffix}"]
                    name = names.constraint_name("idx", table, cols, "aux_")
                    key = (table, "|".join(cols))
                    assert seen.setdefault(name, key) == key, (
                        f"{name} collides: {key} vs {seen[name]}"
                    )
    assert len(seen) == 200 * 21 * 20


@given(st.one_of(st.none(), st.integers(), st.binary()))
def test_non_strings_fail_alike(both: Any, value: Any) -> None:
    compiled, pure = both
    for build in (compiled, pure):
        for call in (
            lambda n: n.sanitize(value),
            lambda n: n.constraint_name("idx", value, [], "aux_"),
            lambda n: n.prefix_fk_spec(value, "aux_"),
        ):
            try:
                call(build.names)
            except TypeError:
                continue
            raise AssertionError(f"{build} accepted {value!r}")


def test_str_subclasses_are_plain_names(both: Any) -> None:
    compiled, pure = both
    for build in (compiled, pure):
        assert build.names.constraint_name(
            "idx", Text("aux_t"), [Text("a")], Text("aux_")
        ) == ("aux_idx_t_a")
        assert type(build.names.sanitize(Text("abc"))) is str
