"""Short-answer spans (rag.spans): the kind a question asks for, and the span in a sentence."""
from __future__ import annotations

import pytest

from rag.spans import answer_type, best_span, find_spans, parse_spans_question


@pytest.mark.parametrize("question, kind", [
    ("Hội thi có bao nhiêu đội tham gia?", "number"),
    ("hoi thi co bao nhieu doi tham gia", "number"),
    ("Có mấy huyện tham gia?", "number"),
    ("Máy in này của ai?", "person"),  # "máy" is not "mấy"
    ("Kế hoạch số 25-KH/BTGTU được ban hành ngày nào?", "date"),
    ("Khi nào khởi công cầu?", "date"),
    ("Ai là Bí thư Tỉnh ủy Đắk Lắk?", "person"),
    ("Huyện nào của Điện Biên tiến hành khử trùng?", "place"),
    ("Lễ hội diễn ra ở đâu?", "place"),
    ("Tỉnh ủy Lào Cai ban hành quy định nào về công tác tuyên vận?", "document"),
    ("Tinh uy Lao Cai thuc hien cong tac tuyen van theo Quy dinh so may?", "document"),
    ("Đơn vị nào của Ban Tuyên giáo Trung ương đã làm việc với tỉnh?", "organisation"),
    ("How many communes have a propaganda officer?", "number"),
    ("Who is the Deputy Secretary?", "person"),
    ("Vì sao phải đổi mới phương thức tuyên giáo?", None),
    ("Công tác tuyên giáo được đổi mới như thế nào?", None),
])
def test_answer_type(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize("question, sentence, expected", [
    # the number with the unit the question names, not the other numbers of the sentence
    ("Hội thi Thư viện xanh có bao nhiêu đội tham gia?",
     "Hội thi khai mạc ngày 12/5/2024 tại 10 điểm trường, với 42 đội tham gia.", "42 đội"),
    ("Tinh giản được bao nhiêu biên chế?",
     "Mô hình ở 12 huyện, thành phố góp phần tinh giản được 12 biên chế của 12 huyện.", "12 biên chế"),
    ("Bao nhiêu phần trăm cơ sở có mô hình?", "Có 19% cơ sở có từ 02 mô hình trở lên.", "19%"),
    ("Trịnh Sảng đòi mức cát-sê bao nhiêu?", "Cô đòi mức cát-sê 180 triệu NDT cho bộ phim.", "180 triệu NDT"),
    # a date, not the year the question already names
    ("Năm 2023 hội nghị diễn ra ngày nào?", "Năm 2023, hội nghị diễn ra ngày 08/12/2023 tại tỉnh.", "08/12/2023"),
    ("Cuộc tấn công xảy ra vào năm nào?", "Năm 340 TCN, Philippos tấn công Perinthos.", "340 TCN"),
    ("Ban hành ngày nào?", "Nghị quyết ngày 25 tháng 4 năm 2023 của Ban Chấp hành.", "25 tháng 4 năm 2023"),
    # a person with the title clause that follows the name, cut before the verb
    ("Ai là trưởng đoàn?", "Đoàn do đồng chí Nguyễn Trọng Sơn, Phó Trưởng Ban Tuyên giáo Tỉnh ủy làm trưởng đoàn.",
     "Nguyễn Trọng Sơn, Phó Trưởng Ban Tuyên giáo Tỉnh ủy"),
    ("Ai phát biểu?", "Phát biểu tại buổi làm việc, đồng chí Đinh Thị Bích Thảo đề nghị tăng cường đào tạo.",
     "Đinh Thị Bích Thảo"),
    ("Huyện nào tiến hành khử trùng?", "Huyện Mường Nhé (Điện Biên) tiến hành khử trùng phương tiện.", "Mường Nhé"),
    ("Tỉnh ủy ban hành quy định nào về tuyên vận?",
     "Thực hiện công tác tuyên vận theo đúng Quy định số 11-QĐ/TU cũng như các văn bản khác.", "Quy định số 11-QĐ/TU"),
    ("Đơn vị nào của Ban Tuyên giáo Trung ương đã làm việc với Ban Tuyên giáo Tỉnh ủy?",
     "Đoàn công tác Vụ Tổ chức, cán bộ, Ban Tuyên giáo Trung ương làm việc với Ban Tuyên giáo Tỉnh ủy.", "Vụ Tổ chức"),
])
def test_best_span_is_verbatim_and_right(question, sentence, expected):
    q = parse_spans_question(question)
    sp = best_span(q.kind, sentence, q)
    assert sp is not None and sp.text == expected
    assert sentence[sp.start:sp.end] == sp.text


def test_spans_leave_out_what_the_question_names_and_list_labels():
    q = parse_spans_question("Năm 2023 tỉnh có bao nhiêu người?")
    assert [s.text for s in find_spans(q.kind, "Trong năm 2023 và (1) các năm trước đó.", q)] == []
    q = parse_spans_question("Hội nghị diễn ra ngày nào?")
    assert find_spans(q.kind, "Hội nghị tổng kết năm 2023 đã diễn ra.", q) == []  # a year is not a day
