"""The 25 MB upload limit is the server's (issue 9, item 8), not only the widget's: a request the browser's check
never saw (a script talking to the upload endpoint directly) is refused by the running server, with the same
XSRF cookie, header and session a real upload uses."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page

from sopkit.media import MAX_UPLOAD_BYTES

from .test_browser_flow import go, idle, sign_in

MB = 1024 * 1024


def test_the_server_refuses_an_upload_over_the_limit(page: Page, server: str) -> None:
    sign_in(page, server, "officer")
    go(page, "officer")
    with page.expect_request(lambda r: "/_stcore/upload_file/" in r.url and r.method == "PUT") as caught:
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
            {"name": "catatan.txt", "mimeType": "text/plain", "buffer": b"catatan rapat\n"})
    real = caught.value
    idle(page)
    base = real.url.rsplit("/", 1)[0]  # .../upload_file/<session id>
    headers = {k: v for k, v in real.headers.items() if k.lower() == "x-xsrftoken"}

    def put(size: int) -> int:
        body = b"%PDF-1.7\n" + b"0" * (size - 9)
        response = page.request.put(f"{base}/{uuid.uuid4()}", headers=headers, timeout=60_000,
                                    multipart={"file": {"name": "laporan.pdf", "mimeType": "application/pdf",
                                                        "buffer": body}})
        return response.status

    assert put(MAX_UPLOAD_BYTES - MB) in (200, 204)  # under the limit: taken, so the request itself was valid
    assert put(MAX_UPLOAD_BYTES + MB) == 413  # over it: refused by the server, whatever the widget said
