"""The region tree: codes, levels, subtree ranges, loading from CSV."""

import pytest

from tests import factories
from yiyang.core.exceptions import ApplicationError
from yiyang.regions.codes import level_of, normalize_code, parent_code, prefix_range
from yiyang.regions.models import CodeSet, Region
from yiyang.regions.selectors import region_ancestors, region_communities, region_subtree
from yiyang.regions.services import region_tree_load_csv


@pytest.mark.parametrize("code,level,parent", [
    ("440000000000", "province", None),
    ("440300000000", "city", "440000000000"),
    ("440304000000", "district", "440300000000"),
    ("440304006000", "street", "440304000000"),
    ("440304006001", "community", "440304006000"),
])
def test_level_and_parent_from_the_code(code, level, parent):
    assert level_of(code) == level
    assert parent_code(code) == parent


def test_prefix_range_is_digits_only():
    assert prefix_range("440304") == ("440304000000", "440305000000")
    assert prefix_range("440304009") == ("440304009000", "440304010000")
    assert normalize_code("440304006") == "440304006000"


def test_subtree_and_communities(tree):
    meilin = Region.objects.get(code="440304006000")
    assert sorted(region_subtree(meilin).values_list("code", flat=True)) == [
        "440304006000", "440304006001", "440304006002"]
    futian = Region.objects.get(code="440304000000")
    assert region_communities(futian).count() == 4
    assert [r.name for r in region_ancestors(Region.objects.get(code="440304006001"))] == [
        "广东省", "深圳市", "福田区", "梅林街道"]


def test_load_csv_any_order_and_code_set_version(db):
    text = "code,name\n440304006001,梅京社区\n440304006000,梅林街道\n440304000000,福田区\n440300000000,深圳市\n440000000000,广东省\n"
    region_tree_load_csv(text=text, version="2023")
    assert Region.objects.get(code="440304006001").parent.name == "梅林街道"
    assert CodeSet.objects.get(is_current=True).version == "2023"
    # A new version renames a node and becomes current.
    region_tree_load_csv(text="code,name\n440304006001,梅京新社区\n", version="2024")
    assert Region.objects.get(code="440304006001").name == "梅京新社区"
    assert CodeSet.objects.get(is_current=True).version == "2024"


def test_load_is_all_or_nothing(db):
    text = "code,name\n440000000000,广东省\n4403,深圳市\n440304006001,梅京社区\n"
    with pytest.raises(ApplicationError) as exc:
        region_tree_load_csv(text=text, version="bad")
    errors = exc.value.detail["errors"]
    assert "第3行 区划代码：应为12位数字" in errors
    assert any("上级 440304006000 不存在" in e for e in errors)
    assert not Region.objects.exists()


def test_demo_code_list_has_ten_streets_and_five_communities_each(db):
    from pathlib import Path

    import yiyang.regions

    path = Path(yiyang.regions.__file__).parent / "data" / "futian_demo.csv"
    region_tree_load_csv(text=path.read_text(encoding="utf-8"), version="demo")
    streets = Region.objects.filter(level="street", code__startswith="440304")
    assert sorted(s.code[:9] for s in streets) == [f"4403040{n:02d}" for n in range(1, 11)]
    assert streets.get(code="440304006000").name == "梅林街道"
    for s in streets:
        codes = sorted(s.children.values_list("code", flat=True))
        assert len(codes) >= 5
        assert codes[:5] == [f"{s.code[:9]}{i:03d}" for i in range(1, 6)]


def test_factories_tree_loads(tree):
    assert Region.objects.filter(level="community").count() == len(
        [c for c, _ in factories.TREE if level_of(c) == "community"])
