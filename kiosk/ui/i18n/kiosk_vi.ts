<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="vi_VN">
<context>
    <name>Age</name>
    <message>
        <location filename="../status_strip.py" line="60"/>
        <source>%1 min</source>
        <translation>%1 phút</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="63"/>
        <source>%1 h %2</source>
        <translation>%1 giờ %2</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="65"/>
        <source>%1 d</source>
        <translation>%1 ngày</translation>
    </message>
</context>
<context>
    <name>CameraPreview</name>
    <message>
        <location filename="../camera_preview.py" line="86"/>
        <source>No picture yet</source>
        <translation>Chưa có hình</translation>
    </message>
</context>
<context>
    <name>ChecksPanel</name>
    <message>
        <location filename="../checks_panel.py" line="51"/>
        <source>Checking…</source>
        <translation>Đang kiểm tra…</translation>
    </message>
    <message>
        <location filename="../checks_panel.py" line="62"/>
        <source>The checks could not run: %1</source>
        <translation>Không chạy được việc kiểm tra: %1</translation>
    </message>
    <message>
        <location filename="../checks_panel.py" line="80"/>
        <source>Check everything (kiosk doctor)</source>
        <translation>Kiểm tra toàn bộ (kiosk doctor)</translation>
    </message>
    <message>
        <location filename="../checks_panel.py" line="84"/>
        <source>Config, store, disk, devices, clock, centre, fonts and sound, as `kiosk doctor` checks them.</source>
        <translation>Cấu hình, kho dữ liệu, ổ đĩa, thiết bị, đồng hồ, trung tâm, phông chữ và âm thanh, như `kiosk doctor` kiểm tra.</translation>
    </message>
</context>
<context>
    <name>DeviceForm</name>
    <message>
        <location filename="../device_form.py" line="202"/>
        <source>Not valid: %1</source>
        <translation>Không hợp lệ: %1</translation>
    </message>
    <message>
        <location filename="../device_form.py" line="216"/>
        <source>Options for this type (as in config.toml)</source>
        <translation>Tuỳ chọn của loại thiết bị này (như trong config.toml)</translation>
    </message>
</context>
<context>
    <name>DeviceState</name>
    <message>
        <location filename="../widgets.py" line="416"/>
        <source>connected</source>
        <translation>đã kết nối</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="417"/>
        <source>not connected</source>
        <translation>chưa kết nối</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="418"/>
        <source>waiting for focus</source>
        <translation>chờ nhận bàn phím</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="419"/>
        <source>error</source>
        <translation>lỗi</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="420"/>
        <source>finished</source>
        <translation>đã xong</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="421"/>
        <source>stopped</source>
        <translation>đã dừng</translation>
    </message>
</context>
<context>
    <name>DirectionToggle</name>
    <message>
        <location filename="../widgets.py" line="408"/>
        <source>IN</source>
        <translation>VÀO</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="409"/>
        <source>OUT</source>
        <translation>RA</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="410"/>
        <source>AUTO</source>
        <translation>TỰ ĐỘNG</translation>
    </message>
</context>
<context>
    <name>EnrolPanel</name>
    <message>
        <location filename="../enrol_panel.py" line="299"/>
        <source>Scan the enrolment QR code made at the centre with any scanner or the camera while this screen is open, or type or paste it into the box above (tap the box first for a keyboard scanner).</source>
        <translation>Quét mã QR đăng ký do trung tâm cấp bằng bất kỳ máy quét nào hoặc camera khi màn hình này đang mở, hoặc gõ hay dán mã vào ô phía trên (với máy quét kiểu bàn phím, chạm vào ô trước).</translation>
    </message>
    <message>
        <location filename="../enrol_panel.py" line="302"/>
        <source>Enrol</source>
        <translation>Đăng ký</translation>
    </message>
    <message>
        <location filename="../enrol_panel.py" line="307"/>
        <source>Switch to that centre</source>
        <translation>Chuyển sang trung tâm đó</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../app.py" line="317"/>
        <source>Scanned while the technician screen is open: %1. Back shows the result card.</source>
        <translation>Vừa quét một mã khi màn hình kỹ thuật đang mở: %1. Bấm Quay lại để xem thẻ kết quả.</translation>
    </message>
    <message>
        <location filename="../app.py" line="321"/>
        <source>Scanned while the sync screen is open: %1. Back shows the result card.</source>
        <translation>Vừa quét một mã khi màn hình đồng bộ đang mở: %1. Bấm Quay lại để xem thẻ kết quả.</translation>
    </message>
    <message>
        <location filename="../app.py" line="489"/>
        <source>Unsaved changes were discarded: the screen was left %1 s without input.</source>
        <translation>Đã bỏ các thay đổi chưa lưu: màn hình bị để yên %1 giây không ai thao tác.</translation>
    </message>
    <message>
        <location filename="../app.py" line="240"/>
        <source>keyboard-wedge support is not installed</source>
        <translation>chưa cài hỗ trợ máy quét kiểu bàn phím</translation>
    </message>
    <message>
        <location filename="../app.py" line="342"/>
        <source>the kiosk window does not have the keyboard focus</source>
        <translation>cửa sổ trạm quét đang không nhận bàn phím</translation>
    </message>
    <message>
        <location filename="../app.py" line="424"/>
        <source>Enter the PIN to close the kiosk</source>
        <translation>Nhập mã PIN để đóng trạm quét</translation>
    </message>
    <message>
        <location filename="../app.py" line="463"/>
        <source>Enter the PIN to open the technician screen</source>
        <translation>Nhập mã PIN để mở màn hình kỹ thuật</translation>
    </message>
    <message>
        <location filename="../app.py" line="494"/>
        <source>Enter the PIN to open the sync screen</source>
        <translation>Nhập mã PIN để mở màn hình đồng bộ</translation>
    </message>
    <message>
        <location filename="../app.py" line="537"/>
        <source>Checkpoint kiosk — %1</source>
        <translation>Trạm quét mã — %1</translation>
    </message>
    <message>
        <location filename="../app.py" line="542"/>
        <source>Technician</source>
        <translation>Kỹ thuật</translation>
    </message>
    <message>
        <location filename="../app.py" line="543"/>
        <source>Sync</source>
        <translation>Đồng bộ</translation>
    </message>
    <message>
        <location filename="../app.py" line="544"/>
        <source>Close</source>
        <translation>Đóng</translation>
    </message>
    <message>
        <location filename="../app.py" line="569"/>
        <source>⚠ CLOCK WRONG %1</source>
        <translation>⚠ ĐỒNG HỒ SAI %1</translation>
    </message>
</context>
<context>
    <name>ManualEntryDialog</name>
    <message>
        <location filename="../manual_entry.py" line="146"/>
        <source>Enter the full name (at least 2 letters).</source>
        <translation>Nhập họ và tên đầy đủ (ít nhất 2 chữ cái).</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="172"/>
        <source>Enter a document number or a phone number.</source>
        <translation>Nhập số giấy tờ hoặc số điện thoại.</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="180"/>
        <source>Please correct the fields marked in red.</source>
        <translation>Vui lòng sửa các ô báo đỏ.</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="184"/>
        <source>Recording…</source>
        <translation>Đang ghi…</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="204"/>
        <source>Not recorded: %1</source>
        <translation>Chưa ghi được: %1</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="207"/>
        <source>Manual entry</source>
        <translation>Khai báo thủ công</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="208"/>
        <source>Manual entry — person without a code</source>
        <translation>Khai báo thủ công — người không có mã</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="213"/>
        <source>Full name</source>
        <translation>Họ và tên</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="214"/>
        <source>ID / passport number</source>
        <translation>Số CCCD / hộ chiếu</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="215"/>
        <source>Phone</source>
        <translation>Số điện thoại</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="216"/>
        <source>Address</source>
        <translation>Địa chỉ</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="217"/>
        <source>Reason</source>
        <translation>Lý do</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="223"/>
        <source>No phone with them</source>
        <translation>Không mang điện thoại</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="223"/>
        <source>Phone out of battery</source>
        <translation>Điện thoại hết pin</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="224"/>
        <source>Child</source>
        <translation>Trẻ em</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="224"/>
        <source>Code does not scan</source>
        <translation>Mã không quét được</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="226"/>
        <source>Cancel</source>
        <translation>Huỷ</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="170"/>
        <source>This is not a real number (one digit repeated, or 1-2-3…). Ask for the number on the person&apos;s document.</source>
        <translation>Đây không phải số thật (một chữ số lặp lại, hoặc dãy 1-2-3…). Hỏi số trên giấy tờ của người này.</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="175"/>
        <source>Digits only, yet not 9 or 12 of them (a CCCD has 12, a CMND 9): a digit lost or doubled? Read the number on the document again.</source>
        <translation>Chỉ có chữ số mà không phải 9 hay 12 chữ số (CCCD có 12, CMND có 9): thiếu hay thừa một chữ số? Đọc lại từng chữ số trên giấy tờ.</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="173"/>
        <source>Another country&apos;s document: 6 to 20 letters and digits, as printed.</source>
        <translation>Giấy tờ nước ngoài: 6 đến 20 chữ cái và chữ số, đúng như in trên giấy tờ.</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="177"/>
        <source>9 or 12 digits, or a Vietnamese passport: a letter and 7–8 digits. A foreigner&apos;s document: tick &quot;Foreign document&quot;.</source>
        <translation>Số giấy tờ gồm 9 hoặc 12 chữ số, hoặc hộ chiếu Việt Nam: 1 chữ cái và 7–8 chữ số. Giấy tờ của người nước ngoài: đánh dấu «Giấy tờ nước ngoài».</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="180"/>
        <source>A phone number starts with 0 or +84 and has 10–11 digits; a foreign one starts with + and its country code.</source>
        <translation>Số điện thoại bắt đầu bằng 0 hoặc +84, có 10–11 chữ số; số nước ngoài bắt đầu bằng + và mã nước.</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="247"/>
        <source>Name, and a document number or a phone number, are required.</source>
        <translation>Bắt buộc: họ tên, và số giấy tờ hoặc số điện thoại.</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="263"/>
        <source>Direction</source>
        <translation>Chiều</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="264"/>
        <source>Foreign document</source>
        <translation>Giấy tờ nước ngoài</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="264"/>
        <source>Another country&apos;s passport or ID card</source>
        <translation>Hộ chiếu hoặc thẻ căn cước của nước khác</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="271"/>
        <source>Record IN</source>
        <translation>Ghi VÀO</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="271"/>
        <source>Record OUT</source>
        <translation>Ghi RA</translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="272"/>
        <source>Record (IN/OUT automatic)</source>
        <translation>Ghi (VÀO/RA tự động)</translation>
    </message>
</context>
<context>
    <name>OfficerScreen</name>
    <message>
        <location filename="../officer.py" line="406"/>
        <source>CHECK</source>
        <translation>KIỂM TRA</translation>
    </message>
    <message>
        <location filename="../officer.py" line="406"/>
        <source>AGAIN</source>
        <translation>QUÉT TRÙNG</translation>
    </message>
    <message>
        <location filename="../officer.py" line="410"/>
        <source>Needs a check: the result card said why when it was scanned</source>
        <translation>Cần kiểm tra: thẻ kết quả đã nói lý do lúc quét</translation>
    </message>
    <message>
        <location filename="../officer.py" line="411"/>
        <source>Scanned again within the duplicate window</source>
        <translation>Quét lại trong khoảng thời gian tính trùng</translation>
    </message>
    <message>
        <location filename="../officer.py" line="414"/>
        <source>IN</source>
        <translation>VÀO</translation>
    </message>
    <message>
        <location filename="../officer.py" line="414"/>
        <source>OUT</source>
        <translation>RA</translation>
    </message>
    <message>
        <location filename="../officer.py" line="414"/>
        <source>AUTO</source>
        <translation>TỰ ĐỘNG</translation>
    </message>
    <message>
        <location filename="../officer.py" line="417"/>
        <source>Recent scans</source>
        <translation>Lượt quét gần đây</translation>
    </message>
    <message>
        <location filename="../officer.py" line="418"/>
        <source>Search name or document number</source>
        <translation>Tìm theo tên hoặc số giấy tờ</translation>
    </message>
    <message>
        <location filename="../officer.py" line="420"/>
        <source>Time</source>
        <translation>Giờ</translation>
    </message>
    <message>
        <location filename="../officer.py" line="420"/>
        <source>Direction</source>
        <translation>Chiều</translation>
    </message>
    <message>
        <location filename="../officer.py" line="420"/>
        <source>Name</source>
        <translation>Họ tên</translation>
    </message>
    <message>
        <location filename="../officer.py" line="420"/>
        <source>Note</source>
        <translation>Lưu ý</translation>
    </message>
    <message>
        <location filename="../officer.py" line="421"/>
        <source>Document</source>
        <translation>Giấy tờ</translation>
    </message>
    <message>
        <location filename="../officer.py" line="421"/>
        <source>Code</source>
        <translation>Loại mã</translation>
    </message>
    <message>
        <location filename="../officer.py" line="423"/>
        <source>Direction for toggle-lane scanners and manual entries</source>
        <translation>Chiều cho máy quét dùng chung và khai báo thủ công</translation>
    </message>
    <message>
        <location filename="../officer.py" line="424"/>
        <source>Direction for manual entries</source>
        <translation>Chiều cho khai báo thủ công</translation>
    </message>
    <message>
        <location filename="../officer.py" line="428"/>
        <source>In today</source>
        <translation>Vào hôm nay</translation>
    </message>
    <message>
        <location filename="../officer.py" line="429"/>
        <source>Out today</source>
        <translation>Ra hôm nay</translation>
    </message>
    <message>
        <location filename="../officer.py" line="430"/>
        <source>Inside now</source>
        <translation>Đang ở trong</translation>
    </message>
    <message>
        <location filename="../officer.py" line="431"/>
        <source>Scans per hour</source>
        <translation>Lượt quét theo giờ</translation>
    </message>
    <message>
        <location filename="../officer.py" line="432"/>
        <source>Manual entry (no code)</source>
        <translation>Khai báo thủ công (không có mã)</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <location filename="../pin.py" line="42"/>
        <source>PIN required</source>
        <translation>Cần mã PIN</translation>
    </message>
    <message>
        <location filename="../pin.py" line="67"/>
        <source>OK</source>
        <translation>Xác nhận</translation>
    </message>
    <message>
        <location filename="../pin.py" line="73"/>
        <source>Cancel</source>
        <translation>Huỷ</translation>
    </message>
</context>
<context>
    <name>PinGate</name>
    <message numerus="yes">
        <location filename="../pin.py" line="132"/>
        <source>Too many wrong PINs. Try again in %n s.</source>
        <translation>
            <numerusform>Nhập sai mã PIN quá nhiều lần. Thử lại sau %n giây.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../pin.py" line="149"/>
        <source>Wrong PIN.</source>
        <translation>Sai mã PIN.</translation>
    </message>
</context>
<context>
    <name>ResultCard</name>
    <message>
        <location filename="../result_card.py" line="609"/>
        <source>Previous scan, at %1: %2</source>
        <translation>Lượt quét trước, lúc %1: %2</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="611"/>
        <source>READY</source>
        <translation>SẴN SÀNG</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="611"/>
        <source>Scan a QR code, or use manual entry</source>
        <translation>Mời quét mã QR, hoặc khai báo thủ công</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="620"/>
        <source>CHECK</source>
        <translation>KIỂM TRA</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="640"/>
        <source>OUT — ACCEPTED</source>
        <translation>RA — HỢP LỆ</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="641"/>
        <source>IN — ACCEPTED</source>
        <translation>VÀO — HỢP LỆ</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="642"/>
        <location filename="../result_card.py" line="700"/>
        <source>(no name in this code)</source>
        <translation>(mã này không có tên)</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="644"/>
        <location filename="../result_card.py" line="694"/>
        <source>Recorded again.</source>
        <translation>Đã ghi thêm một lượt.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="645"/>
        <location filename="../result_card.py" line="695"/>
        <source>Not recorded again.</source>
        <translation>Không ghi thêm lượt nữa.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="647"/>
        <source>not recorded</source>
        <translation>không ghi</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="706"/>
        <source>OUT</source>
        <translation>RA</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="706"/>
        <source>IN</source>
        <translation>VÀO</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="712"/>
        <source>ALREADY SCANNED UNDER A MINUTE AGO</source>
        <translation>ĐÃ QUÉT DƯỚI 1 PHÚT TRƯỚC</translation>
    </message>
    <message numerus="yes">
        <location filename="../result_card.py" line="713"/>
        <source>ALREADY SCANNED %n MIN AGO</source>
        <translation>
            <numerusform>ĐÃ QUÉT %n PHÚT TRƯỚC</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../result_card.py" line="594"/>
        <location filename="../result_card.py" line="721"/>
        <source>NOT RECORDED</source>
        <translation>CHƯA GHI ĐƯỢC</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="600"/>
        <source>SCANNER NOT CONNECTED</source>
        <translation>MÁY QUÉT CHƯA SẴN SÀNG</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="601"/>
        <source>Codes cannot be read now. Check the scanner, or call the technician; use manual entry meanwhile.</source>
        <translation>Chưa đọc được mã. Kiểm tra máy quét hoặc gọi kỹ thuật viên; trong lúc chờ hãy dùng khai báo thủ công.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="595"/>
        <source>The kiosk records no scan. Call the technician; use the paper list meanwhile.</source>
        <translation>Trạm không ghi được lượt quét nào. Gọi kỹ thuật viên; trong lúc chờ hãy ghi vào sổ giấy.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="722"/>
        <source>Call the technician; use the paper list meanwhile.</source>
        <translation>Gọi kỹ thuật viên; trong lúc chờ hãy ghi vào sổ giấy.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="729"/>
        <source>The code is empty. Ask the person to show it again.</source>
        <translation>Mã trống. Đề nghị người dân đưa lại mã.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="730"/>
        <source>This is not a QR code the kiosk can read.</source>
        <translation>Đây không phải mã QR mà trạm đọc được.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="731"/>
        <source>This citizen ID code is damaged or not genuine.</source>
        <translation>Mã CCCD này bị hỏng hoặc không phải mã thật.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="732"/>
        <source>This PC-Covid code is damaged or not genuine.</source>
        <translation>Mã PC-Covid này bị hỏng hoặc không phải mã thật.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="733"/>
        <source>The manual entry is incomplete.</source>
        <translation>Khai báo thủ công còn thiếu thông tin.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="734"/>
        <source>This code cannot be accepted.</source>
        <translation>Mã này không được chấp nhận.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="735"/>
        <source>Ask for another code, or use manual entry.</source>
        <translation>Đề nghị đưa mã khác, hoặc khai báo thủ công.</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="727"/>
        <source>REFUSED</source>
        <translation>KHÔNG HỢP LỆ</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="724"/>
        <source>SCAN AGAIN</source>
        <translation>QUÉT LẠI</translation>
    </message>
    <message>
        <location filename="../result_card.py" line="725"/>
        <source>The code was not read whole, nothing was recorded. Scan it again.</source>
        <translation>Mã chưa được đọc hết, chưa ghi gì. Quét lại.</translation>
    </message>
</context>
<context>
    <name>StatusStrip</name>
    <message>
        <location filename="../status_strip.py" line="143"/>
        <source>NO SCAN IS RECORDED</source>
        <translation>KHÔNG GHI ĐƯỢC LƯỢT QUÉT NÀO</translation>
    </message>
    <message numerus="yes">
        <location filename="../status_strip.py" line="149"/>
        <source>Sync off · %n not sent</source>
        <translation>
            <numerusform>Đồng bộ tắt · %n lượt chưa gửi</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="150"/>
        <source>Sync off</source>
        <translation>Đồng bộ tắt</translation>
    </message>
    <message numerus="yes">
        <location filename="../status_strip.py" line="153"/>
        <source>OFFLINE · %n waiting, safe on this kiosk</source>
        <translation>
            <numerusform>MẤT KẾT NỐI · %n lượt chờ gửi, đã lưu trên trạm</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="155"/>
        <source> · oldest %1</source>
        <translation> · cũ nhất %1</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="169"/>
        <source> · ALERT: see the sync screen</source>
        <translation> · CẢNH BÁO: xem màn hình đồng bộ</translation>
    </message>
    <message numerus="yes">
        <location filename="../status_strip.py" line="159"/>
        <source>Sync online · %n pending</source>
        <translation>
            <numerusform>Đồng bộ trực tuyến · %n lượt chờ gửi</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="161"/>
        <source> · sending…</source>
        <translation> · đang gửi…</translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="164"/>
        <source> · last sent %1</source>
        <translation> · gửi lần cuối %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../status_strip.py" line="166"/>
        <source> · %n refused by the centre</source>
        <translation>
            <numerusform> · %n lượt bị từ chối</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="174"/>
        <source>No scanner configured</source>
        <translation>Chưa cấu hình máy quét</translation>
    </message>
</context>
<context>
    <name>SyncScreen</name>
    <message>
        <location filename="../sync_screen.py" line="283"/>
        <source>never</source>
        <translation>chưa lần nào</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="285"/>
        <source>Sync is off in config.toml ([sync] enabled = false).</source>
        <translation>Đồng bộ đang tắt trong config.toml ([sync] enabled = false).</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="287"/>
        <source>Not tried yet.</source>
        <translation>Chưa thử kết nối.</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="289"/>
        <source>Online: the centre answers.</source>
        <translation>Trực tuyến: máy chủ trung tâm đang trả lời.</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="291"/>
        <source>OFFLINE: the centre cannot be reached. Entries stay safe on this kiosk and are sent when it answers again.</source>
        <translation>MẤT KẾT NỐI: không liên lạc được với trung tâm. Dữ liệu vẫn được lưu an toàn trên trạm và sẽ được gửi khi có kết nối trở lại.</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="295"/>
        <source>Centre: %1</source>
        <translation>Trung tâm: %1</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="296"/>
        <source>Oldest entry waiting: %1</source>
        <translation>Lượt chờ lâu nhất: %1</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="297"/>
        <source>Last success: %1</source>
        <translation>Gửi thành công lần cuối: %1</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="299"/>
        <source>Last error: %1</source>
        <translation>Lỗi gần nhất: %1</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="307"/>
        <location filename="../sync_screen.py" line="309"/>
        <source>ALERT: %1</source>
        <translation>CẢNH BÁO: %1</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="384"/>
        <location filename="../sync_screen.py" line="487"/>
        <source>Failed: %1</source>
        <translation>Thất bại: %1</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="391"/>
        <source>Sending to the centre…</source>
        <translation>Đang gửi về trung tâm…</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="412"/>
        <source>%1 accepted, %2 already there, %3 refused; %4 still waiting.</source>
        <translation>%1 lượt được nhận, %2 lượt đã có sẵn, %3 lượt bị từ chối; còn %4 lượt chờ gửi.</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="418"/>
        <source>%1 older than the centre&apos;s retention cut (%2): not stored, not counted.</source>
        <translation>%1 lượt cũ hơn mốc lưu giữ của trung tâm (%2): không lưu, không tính.</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="422"/>
        <source>%1 older than the centre&apos;s retention cut: not stored, not counted.</source>
        <translation>%1 lượt cũ hơn mốc lưu giữ của trung tâm: không lưu, không tính.</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="303"/>
        <source>Past the centre&apos;s retention: %1</source>
        <translation>Quá mốc lưu giữ của trung tâm: %1</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="253"/>
        <source>Sync</source>
        <translation>Đồng bộ</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="254"/>
        <source>Refused entries</source>
        <translation>Các lượt bị từ chối</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="425"/>
        <source>Stopped: %1</source>
        <translation>Đã dừng: %1</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="429"/>
        <source>Done: </source>
        <translation>Xong: </translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="435"/>
        <source>Export the backlog to a file</source>
        <translation>Xuất dữ liệu chờ gửi ra tệp</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="437"/>
        <source>Backlog files (*.backlog)</source>
        <translation>Tệp dữ liệu chờ gửi (*.backlog)</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="457"/>
        <source>Writing %1…</source>
        <translation>Đang ghi %1…</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="496"/>
        <source>%1 entries written to %2. They stay pending until the centre confirms it has imported them.</source>
        <translation>Đã ghi %1 lượt vào %2. Các lượt này vẫn chờ cho đến khi trung tâm xác nhận đã nhập.</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="509"/>
        <source>Load the centre&apos;s answer</source>
        <translation>Nạp trả lời của trung tâm</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="510"/>
        <source>The centre&apos;s answers (*.refused)</source>
        <translation>Tệp trả lời của trung tâm (*.refused)</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="521"/>
        <source>Reading %1…</source>
        <translation>Đang đọc %1…</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="538"/>
        <source>Queuing the refused entries again…</source>
        <translation>Đang đưa các lượt bị từ chối vào hàng chờ gửi lại…</translation>
    </message>
    <message numerus="yes">
        <location filename="../sync_screen.py" line="548"/>
        <source>%n entries queued again.</source>
        <translation>
            <numerusform>Đã đưa %n lượt vào hàng chờ gửi lại.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="551"/>
        <source>Sync with the centre</source>
        <translation>Đồng bộ với trung tâm</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="552"/>
        <source>Back</source>
        <translation>Quay lại</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="553"/>
        <source>Waiting to be sent</source>
        <translation>Chờ gửi</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="554"/>
        <source>Refused by the centre</source>
        <translation>Bị trung tâm từ chối</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="555"/>
        <source>Confirmed by the centre</source>
        <translation>Trung tâm đã xác nhận</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="556"/>
        <source>Sync now</source>
        <translation>Đồng bộ ngay</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="557"/>
        <source>Export backlog to file…</source>
        <translation>Xuất dữ liệu ra tệp…</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="558"/>
        <source>Load the centre&apos;s answer…</source>
        <translation>Nạp trả lời của trung tâm…</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="559"/>
        <source>Retry refused entries</source>
        <translation>Gửi lại lượt bị từ chối</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="560"/>
        <source>Refused entries and the centre&apos;s reasons</source>
        <translation>Các lượt bị từ chối và lý do của trung tâm</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="563"/>
        <source>Time</source>
        <translation>Giờ</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="563"/>
        <source>Name</source>
        <translation>Họ tên</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="563"/>
        <source>Document</source>
        <translation>Giấy tờ</translation>
    </message>
    <message>
        <location filename="../sync_screen.py" line="563"/>
        <source>Reason</source>
        <translation>Lý do</translation>
    </message>
</context>
<context>
    <name>TechnicianScreen</name>
    <message>
        <location filename="../technician.py" line="227"/>
        <source>Unsaved changes: press Back again to discard them, or Save and apply to keep them.</source>
        <translation>Có thay đổi chưa lưu: bấm Quay lại lần nữa để bỏ chúng, hoặc Lưu và áp dụng để giữ.</translation>
    </message>
    <message>
        <location filename="../technician.py" line="254"/>
        <source>not running</source>
        <translation>không chạy</translation>
    </message>
    <message>
        <location filename="../technician.py" line="257"/>
        <source>typed into the window</source>
        <translation>gõ vào cửa sổ</translation>
    </message>
    <message>
        <location filename="../technician.py" line="319"/>
        <source>Not valid: %1</source>
        <translation>Không hợp lệ: %1</translation>
    </message>
    <message>
        <location filename="../technician.py" line="344"/>
        <source>Unsaved changes: the kiosk still runs the previous list until you save.</source>
        <translation>Có thay đổi chưa lưu: trạm vẫn chạy danh sách cũ cho đến khi bạn lưu.</translation>
    </message>
    <message>
        <location filename="../technician.py" line="383"/>
        <source>Looking for devices…</source>
        <translation>Đang tìm thiết bị…</translation>
    </message>
    <message>
        <location filename="../technician.py" line="391"/>
        <source>Discovery failed: %1</source>
        <translation>Không dò được thiết bị: %1</translation>
    </message>
    <message>
        <location filename="../technician.py" line="394"/>
        <source>No scanner or camera found.</source>
        <translation>Không tìm thấy máy quét hay camera nào.</translation>
    </message>
    <message>
        <location filename="../technician.py" line="504"/>
        <source>Saving…</source>
        <translation>Đang lưu…</translation>
    </message>
    <message>
        <location filename="../technician.py" line="511"/>
        <source>Saved. Restarting the devices…</source>
        <translation>Đã lưu. Đang khởi động lại các thiết bị…</translation>
    </message>
    <message>
        <location filename="../technician.py" line="517"/>
        <source>Saved to %1 and applied.</source>
        <translation>Đã lưu vào %1 và áp dụng.</translation>
    </message>
    <message>
        <location filename="../technician.py" line="532"/>
        <source>Not saved: %1</source>
        <translation>Chưa lưu: %1</translation>
    </message>
    <message>
        <location filename="../technician.py" line="535"/>
        <source>Technician — devices</source>
        <translation>Kỹ thuật — thiết bị</translation>
    </message>
    <message>
        <location filename="../technician.py" line="536"/>
        <source>Back</source>
        <translation>Quay lại</translation>
    </message>
    <message>
        <location filename="../technician.py" line="537"/>
        <source>Save and apply</source>
        <translation>Lưu và áp dụng</translation>
    </message>
    <message>
        <location filename="../technician.py" line="538"/>
        <source>Add device</source>
        <translation>Thêm thiết bị</translation>
    </message>
    <message>
        <location filename="../technician.py" line="539"/>
        <source>Remove device</source>
        <translation>Xoá thiết bị</translation>
    </message>
    <message>
        <location filename="../technician.py" line="540"/>
        <source>Found on this machine (`kiosk devices`)</source>
        <translation>Tìm thấy trên máy này (`kiosk devices`)</translation>
    </message>
    <message>
        <location filename="../technician.py" line="541"/>
        <source>Look again</source>
        <translation>Tìm lại</translation>
    </message>
    <message>
        <location filename="../technician.py" line="542"/>
        <source>Add the selected one</source>
        <translation>Thêm thiết bị đã chọn</translation>
    </message>
    <message>
        <location filename="../technician.py" line="544"/>
        <source>State</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <location filename="../technician.py" line="544"/>
        <source>Scans</source>
        <translation>Lượt quét</translation>
    </message>
    <message>
        <location filename="../technician.py" line="545"/>
        <source>Detail</source>
        <translation>Chi tiết</translation>
    </message>
    <message>
        <location filename="../technician.py" line="546"/>
        <source>Settings</source>
        <translation>Cài đặt</translation>
    </message>
    <message>
        <location filename="../technician.py" line="547"/>
        <source>Watch</source>
        <translation>Theo dõi</translation>
    </message>
    <message>
        <location filename="../technician.py" line="548"/>
        <source>Camera</source>
        <translation>Camera</translation>
    </message>
    <message>
        <location filename="../technician.py" line="549"/>
        <source>Centre</source>
        <translation>Trung tâm</translation>
    </message>
    <message>
        <location filename="../technician.py" line="550"/>
        <source>Check</source>
        <translation>Kiểm tra</translation>
    </message>
    <message>
        <location filename="../technician.py" line="547"/>
        <source>Device</source>
        <translation>Thiết bị</translation>
    </message>
    <message>
        <location filename="../technician.py" line="547"/>
        <source>Type</source>
        <translation>Loại</translation>
    </message>
    <message>
        <location filename="../technician.py" line="547"/>
        <source>Lane</source>
        <translation>Làn</translation>
    </message>
    <message>
        <location filename="../technician.py" line="547"/>
        <source>Enabled</source>
        <translation>Bật</translation>
    </message>
</context>
<context>
    <name>WatchPanel</name>
    <message>
        <location filename="../watch.py" line="234"/>
        <source>cannot read the device: %1</source>
        <translation>không đọc được thiết bị: %1</translation>
    </message>
    <message>
        <location filename="../watch.py" line="235"/>
        <source>If the kiosk is using it, untick &quot;enabled&quot;, save, and watch again.</source>
        <translation>Nếu trạm đang dùng thiết bị này, bỏ chọn &quot;enabled&quot;, lưu lại rồi xem lại.</translation>
    </message>
    <message>
        <location filename="../watch.py" line="246"/>
        <source>scanner input: %1</source>
        <translation>máy quét gửi: %1</translation>
    </message>
    <message numerus="yes">
        <location filename="../watch.py" line="284"/>
        <source>payload %n bytes: </source>
        <translation>
            <numerusform>dữ liệu %n byte: </numerusform>
        </translation>
    </message>
    <message>
        <location filename="../watch.py" line="296"/>
        <source>Select a device to watch what it sends.</source>
        <translation>Chọn một thiết bị để xem nó gửi gì.</translation>
    </message>
    <message>
        <location filename="../watch.py" line="298"/>
        <source>Watching %1: every scan&apos;s raw bytes and what they decode to.</source>
        <translation>Đang theo dõi %1: byte thô của từng lượt quét và kết quả giải mã.</translation>
    </message>
    <message>
        <location filename="../watch.py" line="300"/>
        <source>Click here and scan: each key is listed with the time since the previous one</source>
        <translation>Bấm vào đây rồi quét: mỗi phím hiện kèm thời gian kể từ phím trước</translation>
    </message>
    <message>
        <location filename="../watch.py" line="302"/>
        <source>Stop watching</source>
        <translation>Dừng theo dõi</translation>
    </message>
    <message>
        <location filename="../watch.py" line="303"/>
        <source>Watch raw input</source>
        <translation>Xem dữ liệu thô</translation>
    </message>
</context>
</TS>
