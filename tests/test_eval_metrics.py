import math

import pytest

from eval import metrics as m
from eval.suite import Case

RANKED = ["a", "b", "c", "a", "d"]  # dedup → a, b, c, d
GOLD = {"c", "d"}


def test_ranking_metrics_hand_computed():
    assert m.hit_at(RANKED, GOLD, 1) == 0.0
    assert m.hit_at(RANKED, GOLD, 3) == 1.0
    assert m.hit_at(RANKED, GOLD, 5) == 1.0
    assert m.recall_at(RANKED, GOLD, 3) == 0.5
    assert m.recall_at(RANKED, GOLD, 5) == 1.0  # duplicate "a" must not push "d" out of the top 5
    assert m.recall_at(RANKED, GOLD, 4) == 1.0
    assert m.mrr_at(RANKED, GOLD, 10) == pytest.approx(1 / 3)
    assert m.mrr_at(RANKED, GOLD, 2) == 0.0
    expected = (1 / math.log2(4) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert m.ndcg_at(RANKED, GOLD, 10) == pytest.approx(expected)


def test_ndcg_ideal_is_capped_at_k_and_perfect_ranking_is_one():
    assert m.ndcg_at(["x", "y"], {"x", "y", "z"}, k=2) == pytest.approx(1.0)
    assert m.ndcg_at(["c", "d", "a"], GOLD) == pytest.approx(1.0)


def test_ranking_metrics_undefined_without_gold():
    for f in (m.hit_at, m.recall_at, m.mrr_at, m.ndcg_at):
        assert f(RANKED, set(), 5) is None
    with pytest.raises(ValueError):
        m.hit_at(RANKED, GOLD, 0)


def test_normalization_tones_case_punctuation():
    assert m.normalize_answer("Tỉnh UỶ  Lạng Sơn!") == m.normalize_answer("tỉnh ủy lạng sơn")
    assert m.normalize_answer("hoà bình") == m.normalize_answer("hòa bình")
    assert m.answer_tokens("bình quân 11,5 buổi (vượt chỉ tiêu).") == ["bình", "quân", "11,5", "buổi", "vượt", "chỉ", "tiêu"]
    assert m.answer_tokens("ngày 10/1/2022.") == ["ngày", "10/1/2022"]


def test_exact_match_and_token_f1_hand_computed():
    assert m.exact_match("Đắk Lắk.", ["đắk lắk"]) == 1.0
    assert m.exact_match("tỉnh Đắk Lắk", ["Đắk Lắk"]) == 0.0
    # pred: [huyện, mường, nhé, điện, biên] (5); gold: [mường, nhé] (2); common 2
    # P = 2/5, R = 2/2 → F1 = 2·0.4·1/1.4 = 4/7
    assert m.token_f1("Huyện Mường Nhé (Điện Biên)", ["Mường Nhé"]) == pytest.approx(4 / 7)
    # max over gold answers: the second gold answer matches exactly
    assert m.token_f1("huyện Mường Nhé", ["Điện Biên", "huyện Mường Nhé"]) == pytest.approx(1.0)
    assert m.token_f1("Sơn La", ["Lào Cai"]) == 0.0
    assert m.token_f1("x", []) is None and m.exact_match("x", []) is None


def test_answer_recall():
    answer = "Đội ngũ tuyên truyền viên thực hiện bình quân 11,5 buổi tuyên truyền miệng trong năm."
    assert m.answer_recall(answer, ["11,5 buổi"]) == 1.0
    # gold [12, biên, chế]: only "12" present → 1/3; the other gold answer gives 0
    assert m.answer_recall("có 12 huyện", ["12 biên chế", "Sơn La"]) == pytest.approx(1 / 3)
    assert m.answer_recall("x", []) is None


def test_must_contain():
    groups = [["Sơn La"], ["Đắk Lắk", "Đăk Lăk"]]
    assert m.must_contain_pass("Sơn La và Đăk Lăk", groups) == 1.0
    assert m.must_contain_pass("SƠN LA, đắk lắk", groups) == 1.0
    assert m.must_contain_pass("Chỉ có Sơn La", groups) == 0.0
    assert m.must_contain_pass("Tỉnh uỷ", [["Tỉnh ủy"]]) == 1.0  # tone placement variants
    assert m.must_contain_pass("năm 2012", [["12"]]) == 0.0  # whole words only
    assert m.must_contain_pass("19% cơ sở", [["19%"]]) == 1.0
    assert m.must_contain_pass("anything", []) is None


def test_citations_and_quotes():
    assert m.citation_precision(["a", "b", "b"], {"a", "c"}) == 0.5
    assert m.citation_recall(["a", "b"], {"a", "c"}) == 0.5
    assert m.citation_precision([], {"a"}) is None
    assert m.citation_recall([], {"a"}) == 0.0
    assert m.citation_recall(["a"], set()) is None
    doc = "Sau 5 năm thực hiện,\n hoạt động của Ban được duy trì"
    pairs = [
        ("5 năm thực hiện, hoạt động", doc),  # whitespace differs only → verbatim
        ("5 NĂM thực hiện", doc),  # case differs → not verbatim
        ("hoạt động", None),  # unknown document
        ("duy trì", doc),
    ]
    assert m.quote_verbatim_share(pairs) == 0.5
    assert m.quote_verbatim_share([]) is None


def test_refusal_precision_recall():
    p, r = m.refusal_precision_recall([True, True, False, False, True], [True, False, True, False, True])
    assert p == pytest.approx(2 / 3) and r == pytest.approx(2 / 3)
    assert m.refusal_precision_recall([False, False], [False, True]) == (None, 0.0)
    assert m.refusal_precision_recall([True], [False]) == (0.0, None)


def test_percentile():
    assert m.percentile([100, 200, 300, 400, None], 50) == 250
    assert m.percentile([10, 20], 95) == pytest.approx(19.5)
    assert m.percentile([None], 50) is None


def test_summarize_skips_none():
    rows = [
        {"id": "1", "type": "fact", "hit@5": 1.0, "answer_recall": 0.5, "latency_ms": 100, "refused": False, "unanswerable": False},
        {"id": "2", "type": "fact", "hit@5": 0.0, "answer_recall": None, "latency_ms": 300, "refused": False, "unanswerable": False},
        {"id": "3", "type": "unanswerable", "hit@5": None, "answer_recall": None, "latency_ms": 200,
         "refused": True, "unanswerable": True, "language_match": 1.0},
    ]
    s = m.summarize(rows)
    assert s["n"] == 3
    assert s["overall"]["hit@5"] == 0.5 and s["counts"]["hit@5"] == 2
    assert s["overall"]["answer_recall"] == 0.5 and s["counts"]["answer_recall"] == 1
    assert s["overall"]["latency_p50_ms"] == 200
    assert s["overall"]["latency_p95_ms"] == pytest.approx(290)
    assert s["overall"]["refusal_precision"] == 1.0 and s["overall"]["refusal_recall"] == 1.0
    assert s["overall"]["language_match"] == 1.0
    assert "latency_ms" not in s["overall"] and "refused" not in s["overall"]
    assert s["by_type"]["fact"]["n"] == 2 and s["by_type"]["fact"]["hit@5"] == 0.5
    assert "hit@5" not in s["by_type"]["unanswerable"]


def test_score_case_and_verdict():
    case = Case(id="q", question="?", answers=["12 biên chế"], must_contain=[["12"]],
                gold_sources=["000.txt"], type="number")
    row = {"answer": "tinh giản được 12 biên chế", "refused": False, "retrieved": ["001.txt", "000.txt"],
           "citations": ["000.txt"], "quotes": [{"doc_id": "000.txt", "quote": "12 biên chế"}],
           "latency_ms": 50, "language": "vi"}
    out = m.score_case(case, row, {"000.txt": "góp phần tinh giản được 12 biên chế của 12 huyện"})
    assert out["hit@1"] == 0.0 and out["hit@5"] == 1.0 and out["mrr@10"] == 0.5
    assert out["must_contain_pass"] == 1.0 and out["answer_recall"] == 1.0
    assert out["citation_precision"] == 1.0 and out["quote_verbatim"] == 1.0
    assert out["refusal_correct"] == 1.0 and out["language_match"] == 1.0 and out["pass"] == 1.0

    unans = Case(id="u", question="?", unanswerable=True, type="unanswerable")
    out = m.score_case(unans, {"answer": "…", "refused": False, "retrieved": ["a"], "language": "en"})
    assert out["hit@5"] is None and out["answer_recall"] is None and out["citation_recall"] is None
    assert out["pass"] == 0.0 and out["refusal_correct"] == 0.0 and out["language_match"] == 0.0

    assert m.verdict({"answer_recall": 0.5}) is True
    assert m.verdict({"answer_recall": 0.4, "hit@5": 1.0}) is False  # answer recall outranks hit@5
    assert m.verdict({"hit@5": 1.0}) is True
    assert m.verdict({}) is None


def test_short_answer_and_false_refusal_metrics():
    case = Case(id="n", question="Tinh giản được bao nhiêu biên chế?", answers=["12 biên chế"])
    out = m.score_case(case, {"answer": "**12 biên chế** [1]", "short_answer": "12 biên chế", "refused": False})
    assert out["short_given"] == 1.0 and out["short_em"] == 1.0 and out["short_f1"] == 1.0
    assert out["answerable_refused"] == 0.0
    out = m.score_case(case, {"answer": "Không tìm thấy", "short_answer": None, "refused": True})
    assert out["short_given"] == 0.0 and out["short_em"] is None and out["answerable_refused"] == 1.0
    why = Case(id="w", question="Vì sao tinh giản biên chế?", answers=["để gọn bộ máy"])
    assert m.score_case(why, {"answer": "x", "refused": False})["short_given"] is None  # no short answer asked
    unans = Case(id="u", question="Có bao nhiêu người?", unanswerable=True)
    out = m.score_case(unans, {"answer": "x", "refused": True})
    assert out["short_given"] is None and out["answerable_refused"] is None and out["refusal_correct"] == 1.0
