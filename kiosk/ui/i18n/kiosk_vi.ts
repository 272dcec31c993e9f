<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="vi_VN">
<context>
    <name>CameraPreview</name>
    <message>
        <location filename="../camera_preview.py" line="75"/>
        <source>No picture yet</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DeviceState</name>
    <message>
        <location filename="../widgets.py" line="156"/>
        <source>connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../widgets.py" line="157"/>
        <source>waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../widgets.py" line="158"/>
        <source>error</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../widgets.py" line="159"/>
        <source>finished</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../widgets.py" line="160"/>
        <source>stopped</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DirectionToggle</name>
    <message>
        <location filename="../widgets.py" line="148"/>
        <source>IN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../widgets.py" line="149"/>
        <source>OUT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../widgets.py" line="150"/>
        <source>AUTO</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../app.py" line="149"/>
        <source>keyboard-wedge support is not installed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="164"/>
        <source>the kiosk window does not have the keyboard focus</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="194"/>
        <source>Enter the PIN to close the kiosk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="220"/>
        <source>Enter the PIN to open the technician screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="233"/>
        <source>Enter the PIN to open the sync screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="269"/>
        <source>Checkpoint kiosk — %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="274"/>
        <source>Technician</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="275"/>
        <source>Sync</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../app.py" line="276"/>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ManualEntryDialog</name>
    <message>
        <location filename="../manual_entry.py" line="106"/>
        <source>Enter the full name (at least 2 letters).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="107"/>
        <source>A document number is 9 or 12 digits, or a passport number (a letter and 7–8 digits).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="109"/>
        <source>A phone number starts with 0 or +84 and has 10–11 digits.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="132"/>
        <source>Enter a document number or a phone number.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="141"/>
        <source>Please correct the fields marked in red.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="145"/>
        <source>Recording…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="159"/>
        <source>Not recorded: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="162"/>
        <source>Manual entry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="163"/>
        <source>Manual entry — person without a code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="164"/>
        <source>Name, and a document number or a phone number, are required. The direction is the one selected on the main screen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="168"/>
        <source>Full name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="169"/>
        <source>ID / passport number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="170"/>
        <source>Phone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="171"/>
        <source>Address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="172"/>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="178"/>
        <source>No phone with them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="178"/>
        <source>Phone out of battery</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="179"/>
        <source>Child</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="179"/>
        <source>Code does not scan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="181"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../manual_entry.py" line="182"/>
        <source>Record</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OfficerScreen</name>
    <message>
        <location filename="../officer.py" line="203"/>
        <source>Scanned again within the duplicate window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="207"/>
        <source>IN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="207"/>
        <source>OUT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="207"/>
        <source>AUTO</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="210"/>
        <source>Recent scans</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="211"/>
        <source>Search name or document number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="213"/>
        <source>Time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="213"/>
        <source>Direction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="213"/>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="213"/>
        <source>Document</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="214"/>
        <source>Code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="216"/>
        <source>Direction for toggle-lane scanners and manual entries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="217"/>
        <source>Direction for manual entries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="221"/>
        <source>In today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="222"/>
        <source>Out today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="223"/>
        <source>Inside now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="224"/>
        <source>Scans per hour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../officer.py" line="225"/>
        <source>Manual entry (no code)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <location filename="../pin.py" line="42"/>
        <source>PIN required</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pin.py" line="67"/>
        <source>OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../pin.py" line="73"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinGate</name>
    <message numerus="yes">
        <location filename="../pin.py" line="132"/>
        <source>Too many wrong PINs. Try again in %n s.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../pin.py" line="149"/>
        <source>Wrong PIN.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ResultCard</name>
    <message>
        <location filename="../result_card.py" line="89"/>
        <source>READY</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="89"/>
        <source>Scan a QR code, or use manual entry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="99"/>
        <source>OUT — ACCEPTED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="100"/>
        <source>IN — ACCEPTED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="101"/>
        <source>(no name in this code)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="104"/>
        <source>Recorded again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="105"/>
        <source>Not recorded again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="112"/>
        <source>OUT</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="112"/>
        <source>IN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="118"/>
        <source>ALREADY SCANNED LESS THAN A MINUTE AGO</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../result_card.py" line="119"/>
        <source>ALREADY SCANNED %n MIN AGO</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../result_card.py" line="125"/>
        <source>NOT RECORDED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="126"/>
        <source>The kiosk could not save this scan. Call the technician; use the paper list meanwhile.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="129"/>
        <source>The code is empty. Ask the person to show it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="130"/>
        <source>This is not a QR code the kiosk can read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="131"/>
        <source>This citizen ID code is damaged or not genuine.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="132"/>
        <source>This PC-Covid code is damaged or not genuine.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="133"/>
        <source>The manual entry is incomplete.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="134"/>
        <source>This code cannot be accepted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="135"/>
        <source>Ask for another code, or use manual entry.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../result_card.py" line="136"/>
        <source>REFUSED</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StatusStrip</name>
    <message numerus="yes">
        <location filename="../status_strip.py" line="103"/>
        <source>Sync off · %n not sent</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../status_strip.py" line="106"/>
        <source>OFFLINE · %n waiting, safe on this kiosk</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="108"/>
        <source> · oldest %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../status_strip.py" line="112"/>
        <source>Sync online · %n pending</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="114"/>
        <source> · sending…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="117"/>
        <source> · last sent %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../status_strip.py" line="119"/>
        <source> · %n refused by the centre</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../status_strip.py" line="126"/>
        <source>No scanner configured</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
