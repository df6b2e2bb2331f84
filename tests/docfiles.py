"""Office documents and scans made by the tests: a .docx (python-docx), a PDF with running
header and footer (fpdf2 with DejaVu Sans, which has every Vietnamese letter), and a scanned
page (text drawn into an image with Pillow, the image wrapped in a PDF: no text layer)."""
from __future__ import annotations

from pathlib import Path

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

DOCX_TABLE = [("Đơn vị", "Nhiệm vụ", "Thời hạn"),
              ("Trung tâm Chính trị cấp huyện", "Mở lớp bồi dưỡng kỹ năng số cho cán bộ cơ sở", "Quý II/2022"),
              ("Báo Đắk Lắk", "Mở chuyên mục chuyển đổi số trên báo in và báo điện tử", "Tháng 3/2022")]


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "TÀI LIỆU LƯU HÀNH NỘI BỘ - TRANG ĐẦU"
    d.sections[0].footer.paragraphs[0].text = "Ban Tuyên giáo Tỉnh ủy Đắk Lắk - trang chân"
    for line in ("TỈNH ỦY ĐẮK LẮK", "BAN TUYÊN GIÁO", "*", "Số 25-KH/BTGTU", "ĐẢNG CỘNG SẢN VIỆT NAM",
                 "Đắk Lắk, ngày 10 tháng 01 năm 2022", "KẾ HOẠCH",
                 "phối hợp tuyên truyền chuyển đổi số trên địa bàn tỉnh"):
        d.add_paragraph(line)
    d.add_heading("I. MỤC ĐÍCH, YÊU CẦU", level=1)
    p = d.add_paragraph("Nâng cao nhận thức của cán bộ, đảng viên và nhân dân về chuyển đổi số; ")
    p.add_run().add_break()  # a soft line break inside the sentence
    p.add_run("bảo đảm mỗi xã có ít nhất một tổ công nghệ số cộng đồng hoạt động hiệu quả.")
    d.add_heading("II. NHIỆM VỤ CỤ THỂ", level=1)
    d.add_paragraph("Các cơ quan, đơn vị thực hiện các nhiệm vụ theo bảng phân công sau:")
    t = d.add_table(rows=len(DOCX_TABLE), cols=3)
    for r, row in enumerate(DOCX_TABLE):
        for c, val in enumerate(row):
            t.cell(r, c).text = val
    d.add_paragraph("Kinh phí thực hiện kế hoạch được bố trí từ ngân sách tỉnh năm 2022.")
    d.save(path)
    return path


PDF_PARAS = [
    "Năm 2023, ngành tuyên giáo tỉnh đã tham mưu tổ chức học tập, quán triệt các nghị quyết của Trung ương "
    "cho hơn 98% cán bộ, đảng viên; công tác nắm bắt tình hình tư tưởng được thực hiện thường xuyên và "
    "kịp thời báo cáo Ban Thường vụ Tỉnh ủy.",
    "Công tác bảo vệ nền tảng tư tưởng của Đảng được chú trọng, với hơn 1.200 bài viết đấu tranh phản bác "
    "các quan điểm sai trái được đăng tải trên các trang thông tin điện tử của tỉnh.",
    "Hệ thống loa truyền thanh thông minh đã được lắp đặt tại 184 xã, phường, thị trấn, giúp thông tin "
    "đến với người dân vùng sâu, vùng xa nhanh hơn trước.",
]
PDF_TABLE = [("Chỉ tiêu", "Kế hoạch", "Thực hiện"), ("Lớp bồi dưỡng lý luận", "45", "52"),
             ("Buổi nói chuyện thời sự", "120", "134")]


def make_pdf(path: Path) -> Path:
    """Two pages with a running header, "Trang n/N" footers, wrapped paragraphs and a table."""
    from fpdf import FPDF

    class Doc(FPDF):
        def header(self):
            self.set_font("DejaVu", size=9)
            self.cell(0, 8, "BAN TUYÊN GIÁO TỈNH ỦY ĐẮK LẮK - BÁO CÁO NĂM 2023", align="C",
                      new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self):
            self.set_y(-15)
            self.set_font("DejaVu", size=9)
            self.cell(0, 10, f"Trang {self.page_no()}/{{nb}}", align="C")

    pdf = Doc()
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    for line in ("TỈNH ỦY ĐẮK LẮK", "BAN TUYÊN GIÁO", "Số 12-BC/BTGTU", "Đắk Lắk, ngày 20 tháng 12 năm 2023",
                 "BÁO CÁO", "kết quả công tác tuyên giáo năm 2023"):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for para in PDF_PARAS[:2]:
        pdf.multi_cell(0, 7, para, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.add_page()
    pdf.multi_cell(0, 7, PDF_PARAS[2], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    with pdf.table(first_row_as_headings=False) as table:
        for row in PDF_TABLE:
            r = table.row()
            for cell in row:
                r.cell(cell)
    pdf.ln(3)
    pdf.multi_cell(0, 7, "Năm 2024, ngành tuyên giáo tập trung chuẩn bị đại hội đảng bộ các cấp.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


SCAN_LINES = ["THÔNG BÁO", "Hội nghị tập huấn công tác tuyên giáo năm 2024",
              "sẽ được tổ chức tại thành phố Buôn Ma Thuột", "vào ngày 15 tháng 3 năm 2024.",
              "Thành phần gồm trưởng ban tuyên giáo các huyện ủy.", "Đề nghị các đơn vị cử cán bộ tham dự đầy đủ."]


def make_scanned_pdf(path: Path, lines: list[str] = SCAN_LINES) -> Path:
    """One A4 page at 200 dpi: text drawn into a bitmap, the bitmap saved as a PDF (no text layer)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 44)
    y = 200
    for line in lines:
        draw.text((150, y), line, font=font, fill=0)
        y += 90
    img.save(path, "PDF", resolution=200.0)
    return path


def make_long_pdf(path: Path, pages: int) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", size=10)
    for i in range(pages):
        pdf.add_page()
        pdf.cell(0, 8, f"Trang nội dung số {i + 1}.")
    pdf.output(str(path))
    return path


def make_encrypted_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="chu-so-huu", user_password="mat-khau")
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    pdf.cell(0, 10, "Tài liệu mật của Ban Tuyên giáo.")
    pdf.output(str(path))
    return path
