import json
import zipfile

from tools.nlu_corpora import read_crosswoz, read_simmc2, read_usersimcrs, read_xrisawoz


def test_simmc2_acts_are_mapped(tmp_path):
    data = {"dialogue_data": [{"dialogue": [
        {"transcript": "Do you have any red dresses?", "transcript_annotated": {
            "act": "REQUEST:GET", "act_attributes": {"slot_values": {"type": "dress", "color": "red"},
                                                     "request_slots": [], "objects": []}}},
        {"transcript": "The one on the left.", "transcript_annotated": {
            "act": "INFORM:DISAMBIGUATE", "act_attributes": {"slot_values": {}, "request_slots": [], "objects": [1]}}},
    ]}]}
    path = tmp_path / "simmc.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    turns = list(read_simmc2(path))
    assert [t.intent for t in turns] == ["search", None]
    assert turns[0].slots["color"] == "red"


def test_usersimcrs_single_act_turns(tmp_path):
    (tmp_path / "iard").mkdir()
    conv = [{"conversation": [
        {"participant": "USER", "utterance": "Hi can you help me find a comedy", "dialogue_acts": [{"intent": "IQU"}]},
        {"participant": "USER", "utterance": "seen it", "dialogue_acts": [{"intent": "SEE"}]},
        {"participant": "AGENT", "utterance": "How about Elf?", "dialogue_acts": [{"intent": "REC-S"}]},
    ]}]
    (tmp_path / "iard" / "formatted_IARD_annotated_gold.json").write_text(json.dumps(conv), encoding="utf-8")
    turns = list(read_usersimcrs(tmp_path))
    assert [(t.text, t.intent) for t in turns] == [("Hi can you help me find a comedy", "search")]


def test_xrisawoz_pc_slots(tmp_path):
    dialog = [{"domains": ["电脑"], "dialogue": [{
        "user_utterance": "我想买联想的电脑，5000到10000元", "turn_domain": ["电脑"],
        "user_actions": [["Inform", "电脑", "品牌", "联想"], ["Inform", "电脑", "价格区间", "5000 到 10000"],
                         ["Request", "电脑", "商品名称", ""]]}]}]
    (tmp_path / "zh_fewshot.json").write_text(json.dumps(dialog, ensure_ascii=False), encoding="utf-8")
    pc = list(read_xrisawoz(tmp_path, pc=True))
    assert pc[0].intent == "search"
    assert pc[0].slots == {"brand": "联想", "price_min": 5000.0, "price_max": 10000.0}
    assert list(read_xrisawoz(tmp_path, pc=False)) == []


def test_crosswoz_price_and_intents(tmp_path):
    data = {"1": {"messages": [
        {"role": "usr", "content": "你好，找个人均100-150元的餐馆", "dialog_act": [
            ["General", "greet", "none", "none"], ["Inform", "餐馆", "人均消费", "100-150元"],
            ["Request", "餐馆", "名称", ""]]},
        {"role": "usr", "content": "地址在哪", "dialog_act": [["Request", "餐馆", "地址", ""]]},
        {"role": "usr", "content": "谢谢", "dialog_act": [["General", "thank", "none", "none"]]},
    ]}}
    path = tmp_path / "val.json.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("val.json", json.dumps(data, ensure_ascii=False))
    turns = list(read_crosswoz(path))
    assert [t.intent for t in turns] == ["search", "ask_detail", "chitchat"]
    assert turns[0].slots == {"price_min": 100.0, "price_max": 150.0}
