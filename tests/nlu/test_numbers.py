import pytest

from vidrec.nlu.numbers import AROUND_BAND, find_prices, parse_number, parse_price_range


@pytest.mark.parametrize(
    "text, value",
    [
        ("199", 199), ("1,299", 1299), ("29.99", 29.99), ("两百", 200), ("一千五", 1500), ("一百九十九", 199),
        ("3k", 3000), ("1.5万", 15000), ("5w", 50000), ("九块九", 9.9), ("两块五毛", 2.5), ("九块九毛九", 9.99),
        ("3元5角", 3.5), ("十五", 15), ("一万二", 12000), ("三万五千", 35000), ("一千零五", 1005), ("3万5", 35000),
        ("1千5", 1500), ("二零二三", 2023), ("九点九", 9.9), ("百", 100), ("fifty", 50), ("twenty five", 25),
        ("one hundred and fifty", 150), ("¥199", 199), ("199元", 199), ("１９９", 199), ("壹佰", 100),
    ],
)
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "   ", "abc", "一点", "XL", "百十", "1,2,3", "零零点", "🙂"])
def test_parse_number_rejects_non_numbers(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    "text, value, currency, surface",
    [
        ("只要199元", 199, "CNY", "199元"),
        ("¥199", 199, "CNY", "¥199"),
        ("￥ 89.9", 89.9, "CNY", "￥ 89.9"),
        ("199块", 199, "CNY", "199块"),
        ("一百九十九元", 199, "CNY", "一百九十九元"),
        ("now only 199", 199, None, "199"),
        ("only $29.99", 29.99, "USD", "$29.99"),
        ("price: 199", 199, None, "199"),
        ("售价299", 299, None, "299"),
        ("到手价159", 159, None, "159"),
        ("九块九包邮", 9.9, "CNY", "九块九"),
        ("Rs. 499 only", 499, "INR", "Rs. 499"),
        ("1,299 rupees", 1299, "INR", "1,299 rupees"),
        ("€15", 15, "EUR", "€15"),
        ("这条裙子42码，现在只要一百五十九块", 159, "CNY", "一百五十九块"),
        ("买2件只要99", 99, None, "99"),
    ],
)
def test_find_prices(text, value, currency, surface):
    found = find_prices(text)
    assert len(found) == 1, found
    p = found[0]
    assert p.value == pytest.approx(value)
    assert p.currency == currency
    assert text[p.start:p.end] == surface


@pytest.mark.parametrize(
    "text",
    ["2件", "XL", "2023年新款", "50%", "打5折", "满199减30", "$5 off", "立减30元", "第2个", "only 3 left", "42码",
     "size 42", "买3个", "iPhone15", "in 2023", "便宜一点", "", "   "],
)
def test_find_prices_ignores_sizes_years_percentages_quantities(text):
    assert find_prices(text) == []


def test_find_prices_several_and_ranges():
    assert [p.value for p in find_prices("原价399现价199")] == [399, 199]
    both = find_prices("199-299元")
    assert [(p.value, p.currency) for p in both] == [(199, "CNY"), (299, "CNY")]
    assert [p.value for p in find_prices("2023年新款只要两百")] == [200]


def test_a_chinese_numeral_run_into_a_word_is_no_price():
    # misheard narration: "只要一派起是游战" is not "only 1"; a unit or a particle after the number still makes a price
    assert find_prices("这款约是会舍千包,现在只要一派起是游战。") == []
    assert [p.value for p in find_prices("现在只要一百七十九元")] == [179]
    assert [p.value for p in find_prices("只要两百的那条")] == [200]
    assert [p.value for p in find_prices("到手价九十九，快来")] == [99]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("200到400", (200, 400)), ("200-400元", (200, 400)), ("between 200 and 400", (200, 400)),
        ("两百到四百之间", (200, 400)), ("under 500", (None, 500)), ("500块以内", (None, 500)),
        ("一千以内", (None, 1000)), ("百元以内", (None, 100)), ("不超过500", (None, 500)), ("低于300", (None, 300)),
        ("预算300", (None, 300)), ("less than 1k", (None, 1000)), ("under $50", (None, 50)),
        ("at least 200", (200, None)), ("200以上", (200, None)), ("不低于200", (200, None)),
        ("¥199", (None, 199)), ("200块的连衣裙", (None, 200)), ("要XL码，200以内", (None, 200)),
        ("2件200以内", (None, 200)),
    ],
)
def test_parse_price_range(text, expected):
    assert parse_price_range(text) == expected


def test_around_is_a_documented_band():
    lo, hi = parse_price_range("300元左右")
    assert (lo, hi) == (pytest.approx(300 * (1 - AROUND_BAND)), pytest.approx(300 * (1 + AROUND_BAND)))
    assert parse_price_range("around 50 dollars") == (pytest.approx(40), pytest.approx(60))
    assert parse_price_range("预算300左右") == parse_price_range("300左右")


@pytest.mark.parametrize("text", ["42码的鞋", "我要2件", "便宜一点", "第二个", "the second one", "", "2023年的款"])
def test_parse_price_range_without_price(text):
    assert parse_price_range(text) == (None, None)
