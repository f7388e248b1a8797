import csv
import json
from pathlib import Path

import pytest

from vidrec.catalog import (
    MAX_CELL_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_TITLE_CHARS,
    confine,
    load_catalog,
    parse_price,
)
from vidrec.errors import CatalogError


def write(p: Path, text: str, encoding="utf-8") -> Path:
    p.write_bytes(text.encode(encoding))
    return p


def test_csv_rows_known_and_extra_columns(tmp_path):
    (tmp_path / "v").mkdir()
    cat = write(tmp_path / "catalog.csv",
                "id,video,title,price,currency,category,brand,tags,color,material\n"
                "1,v/a.mp4,红色连衣裙,¥199,CNY,Dress,Lumi,\"summer,红色\",Red,Cotton\n"
                f"2,{tmp_path / 'b.mp4'},Blue shorts,129.50,,Shorts,,,,\n")
    c = load_catalog(cat)
    assert not c.errors
    a, b = c.items
    assert a.id == "1" and a.video == (tmp_path / "v" / "a.mp4").resolve()
    assert a.price == 199 and a.tags == ["summer", "红色"]
    assert a.extra == {"color": "Red", "material": "Cotton"}
    assert b.video == tmp_path / "b.mp4" and b.price == 129.5 and b.brand is None


def test_bad_rows_name_file_and_line_and_the_rest_loads(tmp_path):
    cat = write(tmp_path / "c.csv",
                "id,video,price\n"
                "1,a.mp4,10\n"
                ",b.mp4,10\n"  # no id
                "3,,10\n"  # no video
                "4,d.mp4,cheap\n"  # bad price
                "1,e.mp4,10\n"  # duplicate id
                "a/b,f.mp4,10\n"  # bad id
                "7,g.mp4,10,extra\n"  # too many cells
                "8,h.mp4,\n")
    c = load_catalog(cat)
    assert [i.id for i in c.items] == ["1", "8"]
    lines = {e.line: e.message for e in c.errors}
    assert set(lines) == {3, 4, 5, 6, 7, 8}
    assert "duplicate id '1' (first on line 2)" in lines[6]
    assert "'cheap' is not a number" in lines[5]
    assert all(str(e).startswith(f"{cat}:") for e in c.errors)


def test_jsonl_with_bad_json_line(tmp_path):
    cat = write(tmp_path / "c.jsonl",
                json.dumps({"id": 1, "video": "a.mp4", "tags": ["a", "b"], "price": 9.9, "shop": "x"}) + "\n"
                "{not json\n" + json.dumps([1, 2]) + "\n\n")
    c = load_catalog(cat)
    assert [i.id for i in c.items] == ["1"]
    assert c.items[0].tags == ["a", "b"] and c.items[0].extra == {"shop": "x"}
    assert [e.line for e in c.errors] == [2, 3]


def test_a_gbk_csv_is_read_as_gb18030_with_a_warning(tmp_path):
    cat = write(tmp_path / "gbk.csv", "id,video,title\n1,a.mp4,红色连衣裙\n", encoding="gbk")
    c = load_catalog(cat)
    assert c.items[0].title == "红色连衣裙"
    assert any("GB18030" in w for w in c.warnings)


@pytest.mark.parametrize(
    ("encoding", "name", "titles"),
    [
        ("latin-1", "Latin-1", ["Robe d'été à fleurs", "Größe M, naïve"]),
        ("cp1252", "Windows-1252", ["Café crème brûlée", "Ärmel"]),
        ("big5", "Big5", ["連身裙 紅色", "藍色牛仔褲"]),
        ("gb18030", "GB18030", ["红色", "蓝色牛仔裤 经典款"]),
        ("utf-16", "UTF-16", ["Robe d'été", "红色连衣裙"]),
    ],
)
def test_a_file_that_is_not_utf8_is_read_in_the_encoding_detected_and_says_which(tmp_path, encoding, name, titles):
    rows = "".join(f'{k},{k}.mp4,"{t}"\n' for k, t in enumerate(titles))
    c = load_catalog(write(tmp_path / "c.csv", "id,video,title\n" + rows, encoding=encoding))
    assert not c.errors and [i.title for i in c.items] == titles
    (warning,) = c.warnings
    assert "detected" in warning and name in warning.split("detected")[1] and "re-save" in warning


def test_a_utf8_file_with_one_damaged_line_stays_utf8(tmp_path):
    p = tmp_path / "c.csv"
    good = "".join(f"{k},{k}.mp4,红色连衣裙 夏季新款 {k}\n" for k in range(3))
    p.write_bytes(("id,video,title\n" + good).encode() + b"9,9.mp4,\xff\xfe broken\n")
    c = load_catalog(p)
    assert [i.title for i in c.items] == [f"红色连衣裙 夏季新款 {k}" for k in range(3)]
    assert [(e.line, e.item_id) for e in c.errors] == [(5, "9")]
    assert "UTF-8" in c.warnings[0]


def test_an_oversized_cell_is_one_bad_row_and_the_rest_loads(tmp_path):
    """Over the csv module's own cell limit (131,072 characters), in a quoted cell running over three lines: the
    row is reported with its first line and parsing goes on after the cell, not inside it."""
    huge = "x" * 200_000
    p = write(tmp_path / "c.csv", "id,video,title,description\n1,1.mp4,first,\n"
                                  f'2,2.mp4,second,"{huge}\n3,3.mp4,not a row\n4,4.mp4,""quoted"" still the cell"\n'
                                  "5,5.mp4,last,\n")
    limit = csv.field_size_limit()
    c = load_catalog(p)
    assert [i.id for i in c.items] == ["1", "5"]
    assert [(e.line, e.item_id) for e in c.errors] == [(3, "2")]
    assert "description is 200," in c.errors[0].message and "20,000" in c.errors[0].message
    assert csv.field_size_limit() == limit  # the process-wide limit is put back


def test_field_size_limits_are_per_row_errors(tmp_path):
    rows = [
        ("ok-title", "t" * MAX_TITLE_CHARS, "d" * MAX_DESCRIPTION_CHARS, "b"),
        ("long-title", "t" * (MAX_TITLE_CHARS + 1), "", ""),
        ("long-description", "fine", "d" * (MAX_DESCRIPTION_CHARS + 1), ""),
        ("long-brand", "fine", "", "b" * (MAX_CELL_CHARS + 1)),
    ]
    text = "id,video,title,description,brand\n" + "".join(f"{i},{i}.mp4,{t},{d},{b}\n" for i, t, d, b in rows)
    for c in (load_catalog(write(tmp_path / "c.csv", text)),
              load_catalog(write(tmp_path / "c.jsonl", "".join(
                  json.dumps({"id": i, "video": f"{i}.mp4", "title": t, "description": d, "brand": b}) + "\n"
                  for i, t, d, b in rows)))):
        assert [i.id for i in c.items] == ["ok-title"]
        problems = {e.item_id: (e.line, e.message) for e in c.errors}
        assert problems["long-title"][0] == (3 if c.source.suffix == ".csv" else 2)
        assert f"title is {MAX_TITLE_CHARS + 1:,} characters long" in problems["long-title"][1]
        assert f"description is {MAX_DESCRIPTION_CHARS + 1:,}" in problems["long-description"][1]
        assert "'brand' is" in problems["long-brand"][1]


def test_undecodable_bytes_reject_only_their_rows(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_bytes(b"id,video,title\n1,a.mp4,ok\n2,b.mp4,\xff\xfe\xff\xfe\x81\n")
    c = load_catalog(p)
    assert [i.id for i in c.items] == ["1"]
    assert c.errors and c.errors[0].line == 3 and "UTF-8" in c.errors[0].message


def test_folder_of_videos(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.mp4", "b.webm", "notes.txt", "sub/c.MOV", "sub/a.mkv"):
        (tmp_path / name).write_bytes(b"x")
    c = load_catalog(tmp_path)
    assert sorted(i.id for i in c.items) == ["a", "b", "c"]
    assert len(c.errors) == 1 and "duplicate id 'a'" in c.errors[0].message


def test_whole_file_problems_raise(tmp_path):
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog(tmp_path / "missing.csv")
    with pytest.raises(CatalogError, match="header lacks"):
        load_catalog(write(tmp_path / "h.csv", "name,path\nx,y\n"))
    with pytest.raises(CatalogError, match="empty"):
        load_catalog(write(tmp_path / "e.csv", ""))
    with pytest.raises(CatalogError, match="unknown catalog format"):
        load_catalog(write(tmp_path / "x.xlsx", "x"))


@pytest.mark.parametrize("raw,value", [("199", 199), ("¥1,299", 1299), ("199.00", 199), ("99元", 99), (5, 5)])
def test_parse_price(raw, value):
    assert parse_price(raw) == value


@pytest.mark.parametrize("raw", ["free", "-5", "1.2.3", True])
def test_parse_price_rejects(raw):
    with pytest.raises(ValueError):
        parse_price(raw)


def test_sample_catalog_copies_rows_and_videos(tmp_path):
    from vidrec.catalog import load_catalog, sample_catalog

    demo = Path(__file__).resolve().parent.parent / "examples" / "demo" / "catalog.csv"
    path, rows = sample_catalog(demo, tmp_path / "sample", 3)
    assert len(rows) == 3 and all((tmp_path / "sample" / r["video"]).is_file() for r in rows)
    assert [i.id for i in load_catalog(path).items] == [r["id"] for r in rows]


def test_confine_refuses_videos_outside_the_roots_links_included(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "videos").mkdir(parents=True)
    outside.mkdir()
    (root / "videos" / "in.mp4").write_bytes(b"x")
    (outside / "secret.mp4").write_bytes(b"x")
    (root / "videos" / "link.mp4").symlink_to(outside / "secret.mp4")
    (root / "catalog.csv").write_text(
        "id,video\nin,videos/in.mp4\nup,../outside/secret.mp4\nlinked,videos/link.mp4\n"
        f"absolute,{outside / 'secret.mp4'}\n", encoding="utf-8")
    catalog = confine(load_catalog(root / "catalog.csv"), [root])
    assert [i.id for i in catalog.items] == ["in"]
    refused = {e.item_id: e.message for e in catalog.errors}
    assert set(refused) == {"up", "linked", "absolute"}
    assert all("outside the ingest roots" in m for m in refused.values())
