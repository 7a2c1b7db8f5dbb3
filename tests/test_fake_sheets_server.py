"""Tests of the loopback Sheets API fake, driven through real gspread 6.2.1 calls.

Why: every Sheets-facing test in the project trusts this fake; these pin the semantics it promises (ranges,
RAW vs USER_ENTERED, append placement, atomic batches, admin edits, counts, faults, auth) so a regression in
the fake cannot silently make the app's tests meaningless.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import gspread
import pytest
import requests
from gspread.exceptions import APIError

from fakes.sheets_server import (
    FakeSheets,
    SheetSpec,
    connect,
    datetime_to_serial,
    loopback_http_client,
    service_account_info,
)

HEADER = ["id", "title", "status"]
ROWS = [HEADER, ["a1", "Banjir", "draft"], ["a2", "Jalan", "review"], ["a3", "Kapal", "published"]]


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    with FakeSheets() as server:
        yield server


@pytest.fixture
def key(fake: FakeSheets) -> str:
    return fake.create_spreadsheet(
        "Desk", [SheetSpec("Log", values=ROWS, rows=20, cols=6, frozen_rows=1), "Other"], locale="id_ID"
    )


@pytest.fixture
def ws(fake: FakeSheets, key: str) -> gspread.Worksheet:
    return connect(fake).open_by_key(key).worksheet("Log")


# -- reads ------------------------------------------------------------------------------------------------


def test_get_all_values_sends_a_sheet_name_only_range_and_gets_trimmed_rows(
    fake: FakeSheets, ws: gspread.Worksheet
) -> None:
    fake.reset_counts()
    assert ws.get_all_values() == ROWS
    assert [r.path for r in fake.log] == ["/v4/spreadsheets/" + ws.spreadsheet_id + "/values/%27Log%27"]
    raw = ws.spreadsheet.values_get("Log!A1:F")
    assert raw["range"] == "Log!A1:F20" and raw["values"] == ROWS


def test_reads_trim_trailing_cells_and_rows_but_keep_inner_gaps(fake: FakeSheets, key: str) -> None:
    fake.admin_set_values(key, "Other!A1", [["x", "", "z"], ["", "", ""], ["", "y"]])
    fake.admin_edit(key, "Other!E9", "")
    resp = connect(fake).open_by_key(key).values_get("Other")
    assert resp["values"] == [["x", "", "z"], [], ["", "y"]]
    empty = connect(fake).open_by_key(key).values_get("Other!D5:E9")
    assert "values" not in empty and empty["range"] == "Other!D5:E9"


def test_range_past_the_grid_is_rejected_like_google(ws: gspread.Worksheet) -> None:
    with pytest.raises(APIError) as err:
        ws.get("A1:AA")
    assert err.value.code == 400 and "exceeds grid limits. Max rows: 20, max columns: 6" in str(err.value)


def test_batch_get_is_one_request(fake: FakeSheets, ws: gspread.Worksheet) -> None:
    fake.reset_counts()
    first, second = ws.batch_get(["A1:B2", "C4"])
    assert first == [["id", "title"], ["a1", "Banjir"]] and second == [["published"]]
    assert fake.counts["values.batchGet"] == 1 and fake.counts["total"] == 1


# -- value input and rendering ----------------------------------------------------------------------------


def test_raw_keeps_strings_user_entered_parses_like_the_ui(fake: FakeSheets, key: str,
                                                         ws: gspread.Worksheet) -> None:
    ws.update([["007", "=1+1", "TRUE", "2026-11-26"]], "A6")  # gspread's default is RAW
    ws.update([["007", "=1+1", "TRUE", "'007"]], "A7", raw=False)
    assert ws.get("A6:D7") == [["007", "=1+1", "TRUE", "2026-11-26"], ["7", "2", "TRUE", "007"]]
    assert ws.get("A6:D7", value_render_option="UNFORMATTED_VALUE") == [
        ["007", "=1+1", "TRUE", "2026-11-26"], [7, 2, True, "007"]]
    assert ws.get("B6:B7", value_render_option="FORMULA") == [["=1+1"], ["=1+1"]]
    assert fake.cell(key, "Log", "B7").formula == "=1+1"  # type: ignore[union-attr]


def test_indonesian_date_typed_by_hand_becomes_a_serial_number(fake: FakeSheets, key: str,
                                                               ws: gspread.Worksheet) -> None:
    fake.admin_edit(key, "Log!D2", "26/11/2026 10.00")
    fake.admin_edit(key, "Log!E2", "26/11/2026")
    fake.admin_edit(key, "Log!F2", "3,5")
    serial = datetime_to_serial(datetime(2026, 11, 26, 10, 0))
    assert ws.get("D2:F2") == [["26/11/2026 10.00.00", "26/11/2026", "3,5"]]
    assert ws.get("D2:F2", value_render_option="UNFORMATTED_VALUE") == [[serial, int(serial), 3.5]]
    assert ws.get("D2", value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING") == [
        ["26/11/2026 10.00.00"]]
    # A RAW number written later into the date-formatted cell still reads back as a date: formats stay.
    ws.update([[serial + 1]], "D2")
    assert ws.acell("D2").value == "27/11/2026 10.00.00"


def test_en_us_locale_reads_month_first_and_iso_everywhere(fake: FakeSheets) -> None:
    key = fake.create_spreadsheet("US", ["S"], locale="en_US")
    ws = connect(fake).open_by_key(key).sheet1
    ws.update([["11/26/2026 10:00:00", "2026-11-26", "26/11/2026", "1,234.5"]], "A1", raw=False)
    assert ws.get("A1:D1") == [["11/26/2026 10:00:00", "2026-11-26", "26/11/2026", "1234.5"]]
    unformatted = ws.get("A1:D1", value_render_option="UNFORMATTED_VALUE")[0]
    assert unformatted[:2] == [datetime_to_serial(datetime(2026, 11, 26, 10)), 46352]
    assert unformatted[2:] == ["26/11/2026", 1234.5]  # no 26th month: stays text


def test_update_outside_its_range_or_with_a_flat_list_is_rejected(ws: gspread.Worksheet) -> None:
    with pytest.raises(APIError, match=r"tried writing to column \[C\]"):
        ws.update([["a", "b", "c"]], "A2:B2")
    with pytest.raises(APIError, match="ListValue"):
        ws.spreadsheet.values_update("Log!A2", params={"valueInputOption": "RAW"}, body={"values": ["a", "b"]})
    assert ws.row_values(2) == ROWS[1]


# -- append -----------------------------------------------------------------------------------------------


def test_append_rows_insert_rows_lands_after_the_table_and_reports_the_range(
    fake: FakeSheets, key: str, ws: gspread.Worksheet
) -> None:
    fake.admin_edit(key, "Log!A7", "note below the table")
    resp = ws.append_rows([["a4", "Pelabuhan", "draft"], ["a5", "Bandara", "draft"]],
                          insert_data_option="INSERT_ROWS", table_range="A1")
    assert resp["tableRange"] == "Log!A1:C4"
    assert resp["updates"]["updatedRange"] == "Log!A5:C6" and resp["updates"]["updatedRows"] == 2
    values = ws.get_all_values()
    assert values[4:6] == [["a4", "Pelabuhan", "draft"], ["a5", "Bandara", "draft"]]
    assert values[8] == ["note below the table", "", ""]  # shifted down by the inserted rows
    assert fake.sheet_properties(key, "Log")["properties"]["gridProperties"]["rowCount"] == 22


def test_append_overwrite_writes_over_the_row_after_a_blank_gap(fake: FakeSheets, key: str,
                                                                ws: gspread.Worksheet) -> None:
    fake.admin_delete_rows(key, "Log", 3)  # a2 gone: a3 now at row 3
    fake.admin_insert_rows(key, "Log", 3)  # a blank row 3 splits the table
    resp = ws.append_rows([["a9", "X", "draft"]], table_range="A1")
    assert resp["updates"]["updatedRange"] == "Log!A3:C3"
    assert ws.col_values(1) == ["id", "a1", "a9", "a3"]


def test_insert_row_via_gspread_lands_on_the_requested_row(ws: gspread.Worksheet) -> None:
    ws.insert_row(["new", "Row", "draft"], index=3)
    assert ws.col_values(1) == ["id", "a1", "new", "a2", "a3"]


# -- values:batchUpdate and clears -------------------------------------------------------------------------


def test_values_batch_update_is_one_atomic_write(fake: FakeSheets, ws: gspread.Worksheet) -> None:
    fake.reset_counts()
    resp = ws.batch_update([{"range": "C2", "values": [["review"]]}, {"range": "C4", "values": [["draft"]]}])
    assert resp["totalUpdatedCells"] == 2 and fake.counts["write"] == 1
    assert ws.col_values(3) == ["status", "review", "review", "draft"]
    with pytest.raises(APIError):
        ws.batch_update([{"range": "C2", "values": [["lost"]]}, {"range": "Nope!A1", "values": [["x"]]}])
    assert ws.acell("C2").value == "review"


def test_clear_keeps_formats_and_batch_clear_clears_ranges(fake: FakeSheets, key: str,
                                                          ws: gspread.Worksheet) -> None:
    fake.admin_edit(key, "Log!D2", "26/11/2026")
    ws.batch_clear(["D2", "B3:C4"])
    assert ws.spreadsheet.values_get("Log")["values"][1:] == [["a1", "Banjir", "draft"], ["a2"], ["a3"]]
    ws.update([[46353]], "D2")
    assert ws.acell("D2").value == "27/11/2026"


# -- spreadsheets:batchUpdate -----------------------------------------------------------------------------


def test_structure_requests_freeze_add_sheet_protect_and_validate(fake: FakeSheets, key: str,
                                                                  ws: gspread.Worksheet) -> None:
    ws.freeze(rows=2)
    ws.add_protected_range("D1:D20", warning_only=True, description="publish result")
    ws.add_validation("C2:C4", gspread.utils.ValidationConditionType.one_of_list, ["draft", "review"])
    new = ws.spreadsheet.add_worksheet("Audit", rows=5, cols=3)
    props = fake.sheet_properties(key, "Log")
    assert props["properties"]["gridProperties"]["frozenRowCount"] == 2
    assert props["protectedRanges"][0]["range"]["startColumnIndex"] == 3
    assert fake.cell(key, "Log", "C3").validation["condition"]["type"] == "ONE_OF_LIST"  # type: ignore[index,union-attr]
    assert [w.title for w in ws.spreadsheet.worksheets()] == ["Log", "Other", "Audit"]
    assert new.row_count == 5 and new.id != 0
    with pytest.raises(APIError, match="already exists"):
        ws.spreadsheet.add_worksheet("Audit", rows=5, cols=3)


def test_batch_update_is_atomic_and_rejects_unknown_requests(fake: FakeSheets, key: str,
                                                             ws: gspread.Worksheet) -> None:
    body = {"requests": [
        {"insertDimension": {"range": {"sheetId": ws.id, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}}},
        {"updateSheetProperties": {"properties": {"sheetId": ws.id, "title": "Renamed"}, "fields": "title"}},
        {"frobnicate": {}},
    ]}
    with pytest.raises(APIError) as err:
        ws.spreadsheet.batch_update(body)
    assert err.value.code == 400 and 'Unknown name "frobnicate"' in str(err.value)
    bad_delete = {"requests": [body["requests"][0], {"deleteDimension": {"range": {
        "sheetId": ws.id, "dimension": "ROWS", "startIndex": 0, "endIndex": 99}}}]}
    with pytest.raises(APIError, match="exceeds grid limits"):
        ws.spreadsheet.batch_update(bad_delete)
    assert fake.peek(key, "Log") == ROWS
    assert fake.sheet_properties(key, "Log")["properties"]["gridProperties"]["rowCount"] == 20
    assert ws.spreadsheet.worksheet("Log").title == "Log"


def _text(*values: str) -> dict:
    return {"values": [{"userEnteredValue": {"stringValue": v}} if v else {} for v in values]}


def test_update_cells_from_start_writes_raw_text_and_leaves_other_cells_and_formats(
        fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    ws.update([["2026-11-26"]], "D2", raw=False)  # a date: the cell gets a date format
    fmt = fake.cell(key, "Log", "D2").fmt  # type: ignore[union-attr]
    ws.spreadsheet.batch_update({"requests": [{"updateCells": {
        "start": {"sheetId": ws.id, "rowIndex": 1, "columnIndex": 1}, "rows": [_text("=1+1", "007")],
        "fields": "userEnteredValue"}}]})
    assert fake.peek(key, "Log!A2:D2", "UNFORMATTED_VALUE") == [["a1", "=1+1", "007", 46352]]
    assert fake.cell(key, "Log", "B2").formula is None  # RAW: text, not a formula
    assert fake.cell(key, "Log", "D2").fmt == fmt  # not in the mask, not reached: untouched
    # {} under the mask clears its cell (it does not skip it), and keeps the cell's format
    ws.spreadsheet.batch_update({"requests": [{"updateCells": {
        "start": {"sheetId": ws.id, "rowIndex": 1, "columnIndex": 2}, "rows": [{"values": [{}, {}]}],
        "fields": "userEnteredValue"}}]})
    assert fake.peek(key, "Log!A2:D2") == [["a1", "=1+1"]]
    assert fake.cell(key, "Log", "D2").fmt == fmt  # type: ignore[union-attr]


def test_update_cells_with_a_range_clears_what_the_rows_do_not_cover(fake: FakeSheets, key: str,
                                                                     ws: gspread.Worksheet) -> None:
    ws.spreadsheet.batch_update({"requests": [{"updateCells": {
        "range": {"sheetId": ws.id, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": 0,
                  "endColumnIndex": 3}, "rows": [_text("x")], "fields": "userEnteredValue"}}]})
    assert fake.peek(key, "Log!A1:C4") == [HEADER, ["x"], [], ["a3", "Kapal", "published"]]


def test_update_cells_past_the_grid_or_without_fields_is_rejected(fake: FakeSheets, key: str,
                                                                  ws: gspread.Worksheet) -> None:
    for request in ({"start": {"sheetId": ws.id, "rowIndex": 19, "columnIndex": 5}, "rows": [_text("a", "b")],
                     "fields": "userEnteredValue"},
                    {"start": {"sheetId": ws.id}, "rows": [_text("a")]},
                    {"start": {"sheetId": ws.id}, "rows": [_text("a")], "fields": "note"}):
        with pytest.raises(APIError) as err:
            ws.spreadsheet.batch_update({"requests": [{"updateCells": request}]})
        assert err.value.code == 400
    assert fake.peek(key, "Log") == ROWS


def test_append_cells_goes_after_the_last_data_row_past_blank_rows_and_grows_the_grid(
        fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    fake.admin_edit(key, "Log!E7", "note")  # rows 5 and 6 blank; row 7 has data only in column E
    ws.spreadsheet.batch_update({"requests": [{"appendCells": {
        "sheetId": ws.id, "rows": [_text("a4", "Sungai")], "fields": "userEnteredValue"}}]})
    values = fake.peek(key, "Log")
    assert values[4:] == [[], [], ["", "", "", "", "note"], ["a4", "Sungai"]]  # not at row 5 (values.append)
    fake.admin_edit(key, "Log!A20", "last")
    ws.spreadsheet.batch_update({"requests": [{"appendCells": {
        "sheetId": ws.id, "rows": [_text("a5"), _text("a6")], "fields": "userEnteredValue"}}]})
    assert fake.sheet_properties(key, "Log")["properties"]["gridProperties"]["rowCount"] == 22
    assert fake.peek(key, "Log!A20:A22") == [["last"], ["a5"], ["a6"]]


def test_cell_requests_are_atomic_with_the_rest_of_the_batch(fake: FakeSheets, key: str,
                                                             ws: gspread.Worksheet) -> None:
    with pytest.raises(APIError, match="No grid with id"):
        ws.spreadsheet.batch_update({"requests": [
            {"updateCells": {"start": {"sheetId": ws.id, "rowIndex": 1}, "rows": [_text("changed")],
                             "fields": "userEnteredValue"}},
            {"appendCells": {"sheetId": 424242, "rows": [_text("x")], "fields": "userEnteredValue"}}]})
    assert fake.peek(key, "Log") == ROWS


def test_sort_range_orders_numbers_text_and_puts_empties_last(fake: FakeSheets, key: str,
                                                              ws: gspread.Worksheet) -> None:
    ws.update([["b"], [10], ["A"], [2]], "E2", raw=True)
    ws.sort((5, "asc"), range="A2:E6")
    assert ws.col_values(5) == ["", "2", "10", "A", "b"]
    assert ws.col_values(1) == ["id", "", "a2", "a3", "a1"]  # whole rows moved: E=2 was on an empty row


def test_gspread_structure_helpers_round_trip(fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    sh = ws.spreadsheet
    ws.resize(rows=8)  # field mask "gridProperties/rowCount"
    ws.update_title("Journal")
    ws.insert_cols([["c0", "c1"]], 1)
    assert ws.row_values(1) == ["c0", "id", "title", "status"]
    ws.delete_columns(1)
    copy = sh.duplicate_sheet(ws.id, new_sheet_name="Copy")  # gspread sends nested nulls here
    assert copy.get_all_values() == ws.get_all_values() == ROWS
    sh.del_worksheet(copy)
    assert [(w.title, w.row_count) for w in sh.worksheets()] == [("Journal", 8), ("Other", 1000)]
    fake.admin_edit(key, "Journal!D2", "26/11/2026")
    sh.update_locale("en_US")  # locale-default date formats follow the locale, as in Sheets
    assert ws.acell("D2").value == "11/26/2026"


def test_unknown_endpoint_is_a_404_not_a_silent_success(fake: FakeSheets, key: str) -> None:
    resp = requests.post(f"{fake.url}/v4/spreadsheets/{key}/developerMetadata:search",
                         headers={"Authorization": "Bearer t"}, json={}, timeout=5)
    assert resp.status_code == 404 and resp.json()["error"]["status"] == "NOT_FOUND"


# -- admin hand edits between the app's read and write ------------------------------------------------------


def test_admin_edits_change_what_the_next_read_sees(fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    row_of_a2 = ws.col_values(1).index("a2") + 1  # the app caches a row number...
    fake.admin_insert_rows(key, "Log", before_row=2)  # ...an admin inserts a row above it...
    ws.update([["approved"]], f"C{row_of_a2}")  # ...and the stale row number hits the wrong record
    assert ws.get_all_values()[1:] == [["", "", ""], ["a1", "Banjir", "approved"], ["a2", "Jalan", "review"],
                                       ["a3", "Kapal", "published"]]
    fake.admin_delete_rows(key, "Log", 2)
    fake.admin_sort(key, "Log", "B", ascending=False)  # header row is frozen, so it stays put
    assert ws.col_values(1) == ["id", "a3", "a2", "a1"]
    fake.admin_move_column(key, "Log", "C", 1)
    assert ws.row_values(1) == ["status", "id", "title"]
    fake.admin_edit(key, "Log!B2", "'0042")
    assert ws.acell("B2").value == "0042"


def test_protected_ranges_shift_when_an_admin_inserts_rows(fake: FakeSheets, key: str,
                                                           ws: gspread.Worksheet) -> None:
    ws.add_protected_range("A3:C4", warning_only=True)
    fake.admin_insert_rows(key, "Log", before_row=2, count=2)
    grid = fake.sheet_properties(key, "Log")["protectedRanges"][0]["range"]
    assert (grid["startRowIndex"], grid["endRowIndex"]) == (4, 6)


# -- instrumentation and faults ---------------------------------------------------------------------------


def test_counts_per_kind_and_category(fake: FakeSheets, key: str) -> None:
    gc = connect(fake)
    sh = gc.open_by_key(key)  # one spreadsheets.get
    ws = sh.worksheet("Log")  # another one: cache Worksheet objects in the app
    ws.get_all_values()
    ws.update([["x"]], "D2")
    ws.append_rows([["a4"]], table_range="A1")
    assert fake.counts["spreadsheets.get"] == 2 and fake.counts["values.get"] == 1
    assert (fake.counts["read"], fake.counts["write"]) == (3, 2)
    fake.reset_counts()
    assert fake.counts["total"] == 0


def test_429_with_retry_after_seen_by_a_plain_requests_call(fake: FakeSheets, key: str) -> None:
    fake.inject("values.get", status=429, retry_after=7)
    url = f"{fake.url}/v4/spreadsheets/{key}/values/Log"
    headers = {"Authorization": "Bearer t"}
    first = requests.get(url, headers=headers, timeout=5)
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert first.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert first.json()["error"]["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert requests.get(url, headers=headers, timeout=5).status_code == 200  # times=1 used up
    assert fake.counts["values.get"] == 2


def test_429_with_a_non_json_body_and_500s(fake: FakeSheets, ws: gspread.Worksheet) -> None:
    fake.inject("read", status=429, body="<html>Too many requests</html>")
    with pytest.raises(APIError) as err:
        ws.get_all_values()
    assert err.value.response.status_code == 429 and err.value.code == -1  # gspread could not parse it
    fault = fake.inject("write", status=500, times=2)
    for _ in range(2):
        with pytest.raises(APIError) as err:
            ws.update([["x"]], "A2")
        assert err.value.code == 500
    assert fault.hits == 2 and ws.acell("A2").value == "a1"


def test_dropped_connection_after_applying_a_write(fake: FakeSheets, key: str, ws: gspread.Worksheet) -> None:
    fake.inject("values.update", drop=True, after_apply=True)
    with pytest.raises(requests.ConnectionError):
        ws.update([["applied"]], "C2")
    assert fake.peek(key, "Log!C2") == [["applied"]]
    fake.inject("values.update", drop=True)
    with pytest.raises(requests.ConnectionError):
        ws.update([["lost"]], "C3")
    assert fake.peek(key, "Log!C3") == [["review"]]


def test_slow_answer_times_out_the_client_but_the_write_still_lands(fake: FakeSheets, key: str,
                                                                    ws: gspread.Worksheet) -> None:
    fake.inject("values.update", status=None, delay=0.6)
    ws.client.set_timeout(0.2)
    with pytest.raises(requests.Timeout):
        ws.update([["late"]], "C2")
    ws.client.set_timeout(None)
    deadline = time.monotonic() + 3  # the server finishes the write after the client gave up
    while fake.peek(key, "Log!C2") != [["late"]] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.peek(key, "Log!C2") == [["late"]]


# -- auth -------------------------------------------------------------------------------------------------


def test_requests_without_a_bearer_token_get_401(fake: FakeSheets, key: str) -> None:
    resp = requests.get(f"{fake.url}/v4/spreadsheets/{key}", timeout=5)
    assert resp.status_code == 401 and resp.json()["error"]["status"] == "UNAUTHENTICATED"


def test_service_account_from_dict_via_the_loopback_token_endpoint(key: str) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with FakeSheets(strict_tokens=True) as fake:
        key = fake.create_spreadsheet("Desk", [SheetSpec("Log", values=ROWS)])
        with pytest.raises(APIError):
            connect(fake, token="not-issued").open_by_key(key)  # strict: only tokens from /token work
        gc = gspread.service_account_from_dict(service_account_info(fake, pem),
                                               http_client=loopback_http_client(fake.url))
        assert gc.open_by_key(key).worksheet("Log").get_all_values() == ROWS
        assert fake.counts["token"] == 1 and fake.issued_tokens == ["fake-access-token-1"]
        claims = fake.token_claims[0]  # google-auth signs for Google's audience even with a custom token_uri
        assert claims["iss"] == "desk@fake-project.iam.gserviceaccount.com"
        assert "auth/spreadsheets" in claims["scope"]
        assert {r.bearer for r in fake.log if r.kind != "token" and r.status == 200} == {"fake-access-token-1"}
