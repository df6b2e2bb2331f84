"""The page's words in the other language: Vietnamese is what the app is written in; the page
script (app.js) swaps these for English when the browser asks for English, and puts Vietnamese
on the tooltips Gradio itself writes in English (Gradio ships no Vietnamese).

    >>> EN_FOR_VI["Gửi câu hỏi"]
    'Send'
"""

EN_FOR_VI = {
    "Hỏi đáp": "Ask", "Nguồn dữ liệu": "Sources", "Thêm bài viết": "Add articles",
    "Câu hỏi": "Question", "Gửi câu hỏi": "Send", "Cuộc trò chuyện": "Conversation",
    "+ Cuộc trò chuyện mới": "+ New conversation", "Cuộc trò chuyện đã lưu": "Saved conversations",
    "Tìm cuộc trò chuyện": "Find a conversation", "Đổi tên": "Rename", "Tên mới": "New name",
    "Xoá cuộc trò chuyện": "Delete conversation", "Tải về Markdown": "Download Markdown",
    "Tải về Word": "Download Word", "Tệp tải về": "Download",
    "Đổi tên, xoá, tải về": "Rename, delete, download",
    "Bộ lọc và cách trả lời": "Filters and answer style", "Tỉnh/thành": "Province", "Từ ngày": "From",
    "Đến ngày": "To", "Tất cả tỉnh/thành": "All provinces", "Cách trả lời": "Answer style",
    "Trích nguyên văn từ bài báo": "Quote the articles word for word",
    "Viết lại bằng mô hình ngôn ngữ": "Rewrite with a language model",
    "Số đoạn trích dùng để trả lời": "Passages used for an answer",
    "Góp ý thêm (không bắt buộc)": "Comment (optional)", "Gửi góp ý": "Send comment",
    "Tìm bài viết": "Find articles", "Làm mới": "Refresh", "Bài viết": "Article",
    "Xoá bài viết này": "Delete this article", "Xác nhận xoá": "Confirm delete", "Huỷ": "Cancel",
    "Tệp bài viết": "Article files", "Nạp bài viết": "Add to the archive",
    "Tiêu đề": "Title", "Ngày đăng": "Published", "Số đoạn": "Passages", "Mã bài": "Id",
    "Tệp": "File", "Kết quả": "Result", "Chi tiết": "Detail",
    "Sao chép cả câu trả lời": "Copy the whole answer", "Câu hỏi gợi ý": "Example questions",
    "Nguồn trích dẫn sai": "Wrong source", "Hữu ích": "Helpful", "Chưa đúng": "Not right",
}

VI_FOR_GRADIO = {
    "Copy message": "Sao chép tin nhắn", "Copied message": "Đã sao chép", "Like": "Hữu ích",
    "Dislike": "Chưa đúng", "Clear": "Xoá", "Retry": "Hỏi lại", "Undo": "Hoàn tác", "Edit": "Sửa",
    "Submit": "Gửi", "Cancel": "Huỷ", "Feedback": "Góp ý", "Use via API": "Dùng qua API",
    "Built with Gradio": "Làm bằng Gradio", "Settings": "Cài đặt", "Copy": "Sao chép", "Copied": "Đã sao chép",
    "Download": "Tải về", "Loading...": "Đang tải…", "Drop File Here": "Thả tệp vào đây", "- or -": "- hoặc -",
    "Click to Upload": "Bấm để tải lên", "Remove": "Xoá", "Error": "Lỗi", "Close": "Đóng",
    "Toggle Sidebar": "Ẩn/hiện thanh bên", "Fullscreen": "Toàn màn hình", "Exit fullscreen mode": "Thoát toàn màn hình",
    "Scroll down": "Cuộn xuống", "Empty": "Trống", "Share": "Chia sẻ", "Upload": "Tải lên",
    "Select all": "Chọn tất cả", "Search": "Tìm", "Sort column": "Sắp xếp cột",
}
