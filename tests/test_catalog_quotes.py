"""A CSV cell whose quote is never closed swallows the rows after it: the catalog says where, and a cell that
merely holds line breaks is not mistaken for one."""

from pathlib import Path

from vidrec.catalog import load_catalog


def write(p: Path, text: str) -> Path:
    p.write_text(text, encoding="utf-8")
    return p


def test_a_quote_that_swallows_rows_is_warned_about_with_its_line(tmp_path):
    cat = write(tmp_path / "c.csv", 'id,video,title\na,a.mp4,Hat\nb,b.mp4,"Blue shirt\nc,c.mp4,Green hat\n'
                                    'd,d.mp4,"Red" dress"\ne,e.mp4,Scarf\n')
    c = load_catalog(cat)
    assert [i.id for i in c.items] == ["a", "b", "e"]
    assert len(c.warnings) == 1 and c.warnings[0].startswith(f"{cat}:3: a quote opened on this line is closed "
                                                             "only on line 5")


def test_a_quote_left_open_to_the_end_of_the_file_is_warned_about(tmp_path):
    c = load_catalog(write(tmp_path / "c.csv", 'id,video,title\na,a.mp4,"Hat\nwith a long story\n'))
    assert len(c.warnings) == 1 and c.warnings[0].startswith(f"{tmp_path / 'c.csv'}:2: a quote opened")


def test_a_cell_with_line_breaks_is_not_a_warning(tmp_path):
    c = load_catalog(write(tmp_path / "c.csv", 'id,video,title,description\n'
                                               'a,a.mp4,Hat,"Warm.\nWool, lined."\nb,b.mp4,Shirt,Plain\n'))
    assert c.warnings == [] and [i.id for i in c.items] == ["a", "b"]
    assert c.items[0].description == "Warm.\nWool, lined."
