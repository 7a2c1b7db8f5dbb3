"""The one catalogue of UI text: Bahasa Indonesia (default) and English. Pages never hold literal text.

``t(key, lang, **values)`` formats with ``str.format``; an unknown key raises KeyError (a test walks every page
for the keys it uses, so a typo fails the suite, not a user's screen).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

LANGS: tuple[str, ...] = ("id", "en")
DEFAULT_LANG = "id"

# key: (Bahasa Indonesia, English)
CATALOGUE: dict[str, tuple[str, str]] = {
    # pages
    "page.home": ("Beranda", "Home"),
    "page.officer": ("Petugas", "Officer"),
    "page.creator": ("Pembuat Konten", "Content creator"),
    "page.supervisor": ("Pejabat Pengawas", "Supervisory official"),
    "page.administrator": ("Pejabat Administrator", "Administrator official"),
    "page.publisher": ("Pengelola Website/Medsos", "Website/social media"),
    "page.item": ("Detail Konten", "Item detail"),
    "page.compliance": ("Kepatuhan", "Compliance"),
    "page.admin": ("Admin", "Admin"),
    "page.about": ("Tentang SOP Ini", "About this SOP"),
    # sign-in and guard
    "signin.title": ("Masuk", "Sign in"),
    "signin.email": ("Email", "E-mail"),
    "signin.password": ("Kata sandi", "Password"),
    "signin.submit": ("Masuk", "Sign in"),
    "signin.oidc": ("Masuk dengan akun dinas", "Sign in with the agency account"),
    "signin.no_account": ("Akun ini belum terdaftar di desk. Hubungi admin.",
                          "This account is not registered on the desk. Contact the admin."),
    "auth.failed": ("Tidak bisa masuk: email atau kata sandi salah, atau akun sedang dikunci sementara setelah "
                    "beberapa kali gagal. Coba lagi nanti, atau hubungi admin.",
                    "Could not sign in: wrong e-mail or password, or the account is locked for a while after "
                    "several failures. Try again later, or contact the admin."),
    "auth.password_short": ("Kata sandi minimal 10 karakter.", "The password needs at least 10 characters."),
    "guard.signed_in_as": ("Masuk sebagai {name} ({roles})", "Signed in as {name} ({roles})"),
    "guard.sign_out": ("Keluar", "Sign out"),
    "guard.refused": ("Halaman ini bukan untuk peran Anda.", "This page is not for your role."),
    "guard.refused_page": ("Halaman {page} hanya untuk peran {roles}. Anda masuk sebagai {mine}.",
                           "The {page} page is for the role {roles} only. You are signed in as {mine}."),
    "guard.home": ("Kembali ke Beranda", "Back to Home"),
    "guard.not_found_title": ("Halaman tidak ditemukan", "Page not found"),
    "guard.not_found": ("Halaman {path} tidak ada di desk ini.", "There is no page {path} on this desk."),
    "signin.then": ("Setelah masuk, Anda langsung dibawa ke {page}.",
                    "After signing in you go straight to {page}."),
    "session.unknown": ("Sesi Anda tidak dikenal lagi. Silakan masuk kembali.",
                        "Your session is no longer known. Please sign in again."),
    "session.signed_out": ("Anda sudah keluar (di tab atau perangkat lain). Silakan masuk kembali.",
                           "You signed out (in another tab or device). Please sign in again."),
    "session.expired": ("Sesi Anda sudah berakhir. Silakan masuk kembali.",
                        "Your session has ended. Please sign in again."),
    "session.inactive": ("Akun ini dinonaktifkan atau dihapus. Hubungi admin.",
                         "This account is deactivated or removed. Contact the admin."),
    "session.changed": ("Kata sandi atau peran akun Anda baru diubah. Silakan masuk kembali.",
                        "Your account's password or roles were just changed. Please sign in again."),
    "session.no_claims": ("Penyedia akun tidak mengirim data yang diperlukan (email). Hubungi admin.",
                          "The account provider did not send what the desk needs (e-mail). Contact the admin."),
    # fields
    "field.title": ("Judul", "Title"),
    "field.summary": ("Ringkasan", "Summary"),
    "field.category": ("Kategori", "Category"),
    "field.channels": ("Kanal tujuan", "Target channels"),
    "field.sources": ("Sumber / tautan", "Sources / links"),
    "field.sources_help": ("Satu sumber per baris.", "One source per line."),
    "field.body": ("Isi artikel (Markdown)", "Article body (Markdown)"),
    "field.note": ("Catatan", "Note"),
    "field.caption": ("Keterangan", "Caption"),
    "field.alt": ("Teks alternatif", "Alt text"),
    "field.url": ("URL", "URL"),
    "field.media": ("Lampiran", "Attachment"),
    "field.name": ("Nama", "Name"),
    "field.email": ("Email", "E-mail"),
    "text.control_char": ("{field} berisi karakter kendali {code} (karakter ke-{position}) yang tidak diizinkan. "
                          "Hapus karakter itu lalu coba lagi.",
                          "{field} contains the control character {code} (character {position}), which is not "
                          "allowed. Remove it and try again."),
    # queues and clocks
    "queue.title": ("Antrean", "Queue"),
    "queue.empty": ("Antrean kosong.", "The queue is empty."),
    "queue.take": ("Ambil", "Take"),
    "queue.capped": ("Menampilkan {shown} terlama dari {total}.", "Showing the {shown} oldest of {total}."),
    # search and filters (pages/_ui/filters.py)
    "filter.search": ("Cari", "Search"),
    "filter.search_hint": ("Cari judul, ID, ringkasan atau nama…", "Search title, ID, summary or name…"),
    "filter.more": ("Saring", "Filter"),
    "filter.more_n": ("Saring ({n} aktif)", "Filter ({n} active)"),
    "filter.categories": ("Kategori", "Category"),
    "filter.channels": ("Kanal", "Channel"),
    "filter.people": ("Orang", "Person"),
    "filter.statuses": ("Status", "Status"),
    "filter.count": ("{shown} dari {total} cocok.", "{shown} of {total} match."),
    "filter.none": ("Tidak ada yang cocok dengan pencarian ini.", "Nothing matches this search."),
    "channel_name.site": ("Situs web", "Website"),
    "channel_name.wordpress": ("WordPress", "WordPress"),
    "channel_name.facebook": ("Facebook", "Facebook"),
    "channel_name.instagram": ("Instagram", "Instagram"),
    "channel_name.telegram": ("Telegram", "Telegram"),
    "channel_name.x": ("X (Twitter)", "X (Twitter)"),
    "channel_name.manual": ("Manual", "Manual"),
    "clock.left": ("Sisa {left} jam (batas {deadline})", "{left} h left (due {deadline})"),
    "clock.late": ("Terlambat {over} jam (batas {deadline})", "{over} h late (was due {deadline})"),
    "clock.waiting": ("Terjadwal {at}", "Scheduled for {at}"),
    "ui.choose_one": ("Pilih…", "Choose…"),
    "ui.choose_many": ("Pilih satu atau lebih…", "Choose one or more…"),
    "col.email": ("Email", "E-mail"),
    "col.name": ("Nama", "Name"),
    "col.roles": ("Peran", "Roles"),
    "col.active": ("Aktif", "Active"),
    "col.locked_until": ("Terkunci sampai", "Locked until"),
    "col.attempts": ("Percobaan", "Attempts"),
    "col.on_time_rate": ("Tepat waktu", "On time"),
    "col.median_minutes": ("Median (menit)", "Median (minutes)"),
    "col.title": ("Judul", "Title"),
    "col.category": ("Kategori", "Category"),
    "col.channels": ("Kanal", "Channels"),
    "col.remaining_minutes": ("Sisa (menit)", "Left (minutes)"),
    "col.row": ("Baris", "Row"),
    "col.reason": ("Alasan", "Reason"),
    "col.table": ("Tabel", "Table"),
    "col.column": ("Kolom", "Column"),
    "col.value": ("Isi", "Value"),
    # home
    "home.my_tasks": ("Tugas saya", "My tasks"),
    "home.no_tasks": ("Tidak ada tugas yang menunggu Anda.", "Nothing is waiting on you."),
    "home.held_by": ("Dipegang oleh {who}", "Held by {who}"),
    "home.in_queue": ("Di antrean, belum diambil", "In the queue, not taken yet"),
    "home.go_to": ("Buka {page}", "Open {page}"),
    "home.recent": ("Aktivitas terakhir saya", "My recent activity"),
    "home.no_activity": ("Belum ada aktivitas.", "No activity yet."),
    # log and attempts columns
    "log.at": ("Waktu", "When"),
    "log.item_id": ("Konten", "Item"),
    "log.step": ("Langkah", "Step"),
    "log.action": ("Tindakan", "Action"),
    "log.actor": ("Oleh", "By"),
    "log.role": ("Peran", "Role"),
    "log.note": ("Catatan", "Note"),
    "att.step": ("Langkah", "Step"),
    "att.attempt": ("Percobaan", "Attempt"),
    "att.started_at": ("Mulai", "Started"),
    "att.ended_at": ("Selesai", "Ended"),
    "att.minutes": ("Menit", "Minutes"),
    "att.limit_minutes": ("Batas (menit)", "Limit (minutes)"),
    "att.on_time": ("Tepat waktu", "On time"),
    "att.outcome": ("Hasil", "Outcome"),
    "att.actor": ("Oleh", "By"),
    "att.settings_rev": ("Revisi pengaturan", "Settings revision"),
    # why late: the working-time breakdown of an attempt
    "why.from": ("Dari", "From"),
    "why.to": ("Sampai", "To"),
    "why.kind": ("Jenis", "Kind"),
    "why.minutes": ("Menit kerja", "Working minutes"),
    "why.name": ("Keterangan", "Detail"),
    "why.kind.work": ("Jam kerja (dihitung)", "Working hours (counted)"),
    "why.kind.extra_work": ("Hari kerja tambahan (dihitung)", "Extra working day (counted)"),
    "why.kind.break": ("Istirahat", "Break"),
    "why.kind.off_hours": ("Di luar jam kerja", "Outside working hours"),
    "why.kind.weekend": ("Akhir pekan / hari tanpa jam kerja", "Weekend / day without working hours"),
    "why.kind.holiday": ("Libur nasional / cuti bersama", "Public holiday / joint leave"),
    "why.kind.extra_holiday": ("Libur tambahan (pengaturan admin)", "Extra holiday (admin setting)"),
    # Settings revisions
    "hist.rev": ("Revisi", "Revision"),
    "hist.at": ("Berlaku sejak", "In force from"),
    "hist.actor": ("Oleh", "By"),
    "hist.source": ("Sumber", "Source"),
    "hist.changes": ("Perubahan", "Changes"),
    "hist.source.admin": ("halaman Admin", "Admin page"),
    "hist.source.init": ("pemasangan (init)", "set-up (init)"),
    "hist.source.hand_edit": ("diubah langsung di tabel Settings (tercatat saat pertama terbaca)",
                              "edited directly in the Settings table (recorded when first seen)"),
    "hist.source.existing": ("pengaturan yang sudah ada sebelum riwayat dicatat",
                             "settings that existed before the history was kept"),
    "hist.source.none": ("pengaturan SOP, tanpa riwayat tercatat", "the SOP's settings, no recorded history"),
    "hist.always": ("selalu", "always"),
    # officer
    "officer.start": ("Mulai konten baru", "Start a new item"),
    "officer.start_button": ("Simpan draf", "Save draft"),
    "officer.start_send": ("Langsung kirim ke Pembuat Konten", "Send straight to the content creator"),
    "officer.attached_n": ("Lampiran ({n})", "Attachments ({n})"),
    "officer.attach": ("Lampiran: gambar, video, dokumen", "Attachments: images, video, documents"),
    "officer.attach_help": ("Gambar diperiksa dari isinya, bukan nama file.",
                            "Pictures are checked by their content, not their file name."),
    "officer.attached": ("Terlampir: {names}", "Attached: {names}"),
    "officer.mine": ("Sedang saya kumpulkan", "Being collected by me"),
    "officer.none": ("Tidak ada konten di langkah 1.", "No items at step 1."),
    "officer.save_draft": ("Simpan draf", "Save draft"),
    "officer.flow": ("Isi lalu simpan sebagai draf, atau langsung kirim ke Pembuat Konten.",
                     "Fill in, then save as a draft or send straight to the content creator."),
    "officer.save": ("Simpan", "Save"),
    "officer.submit": ("Kirim ke Pembuat Konten", "Submit to the content creator"),
    "upload.rejected": ("File {name} ditolak: {reason}", "File {name} refused: {reason}"),
    "upload.empty": ("file kosong", "the file is empty"),
    "upload.too_large": ("file terlalu besar", "the file is too large"),
    "upload.not_image": ("bukan gambar (isi file tidak cocok dengan namanya)",
                         "not a picture (the content does not match the name)"),
    "upload.unsupported_format": ("format gambar tidak didukung; ubah ke JPEG atau PNG",
                                  "unsupported picture format; convert it to JPEG or PNG"),
    "upload.too_many_pixels": ("gambar terlalu besar dalam piksel", "too many pixels"),
    "upload.corrupt": ("file rusak", "the file is damaged"),
    "upload.cannot_compress": ("gambar tidak bisa diperkecil", "the picture cannot be made small enough"),
    "upload.unknown_channel": ("kanal tidak dikenal", "unknown channel"),
    "upload.not_document": ("isi file tidak cocok dengan jenisnya", "the content does not match its type"),
    "upload.bad_path": ("lokasi file tidak sah", "bad file location"),
    # creator
    "creator.mine": ("Sedang saya kerjakan", "My work in progress"),
    "creator.none": ("Belum ada konten yang Anda pegang. Ambil dari antrean.",
                     "You hold no items. Take one from the queue."),
    "creator.rework": ("Dikembalikan untuk perbaikan ({n}×). Catatan pemeriksa:",
                       "Sent back for rework ({n}×). Reviewer's note:"),
    "creator.rework_badge": ("Perbaikan ke-{n}", "Rework #{n}"),
    "creator.returned_by": ("Dikembalikan oleh {who}, {at}", "Sent back by {who}, {at}"),
    # maker-checker, said before the click (workflow.maker_checker_reason)
    "mc.collection": ("Anda mengumpulkan bahan konten ini, jadi pemeriksaannya harus oleh orang lain.",
                      "You collected the material for this item, so someone else must check it."),
    "mc.design": ("Anda membuat konten ini, jadi pemeriksaannya harus oleh orang lain.",
                  "You designed this content, so someone else must check it."),
    "mc.verification": ("Anda memverifikasi konten ini, jadi persetujuan akhirnya harus oleh orang lain.",
                        "You verified this content, so someone else must give the final approval."),
    "mc.approval": ("Anda sudah memutuskan konten ini di langkah persetujuan, jadi langkah ini harus oleh orang "
                    "lain.", "You already decided this item at the approval step, so someone else must do this "
                    "one."),
    "mc.other": ("Anda sudah menangani konten ini di langkah {step}, jadi pemeriksaannya harus oleh orang lain.",
                 "You already handled this item at step {step}, so someone else must check it."),
    # the per-channel preview (sopkit.preview)
    "preview.title": ("Pratinjau per kanal", "Preview per channel"),
    "preview.site": ("Artikel di {channel}", "Article on {channel}"),
    "preview.card": ("Unggahan {channel}", "{channel} post"),
    "preview.summary_used": ("Keterangan {channel} kosong: ringkasan yang dipakai.",
                             "The {channel} caption is empty: the summary is used."),
    "preview.more_pictures": ("+{n} gambar lain", "+{n} more pictures"),
    "preview.no_picture": ("Tanpa gambar", "No picture"),
    "preview.picture_error": ("Gambar tidak dapat dibuat: {error}", "The picture cannot be made: {error}"),
    "preview.hashtags": ("Tagar: {tags}", "Hashtags: {tags}"),
    "preview.no_hashtags": ("Tanpa tagar", "No hashtags"),
    "preview.attachments": ("Video dan dokumen", "Videos and documents"),
    "preview.document": ("Dokumen: {name}", "Document: {name}"),
    "preview.missing": ("File {name} tidak ditemukan.", "The file {name} is missing."),
    "preview.by_hand": ("{channel} diunggah oleh Pengelola sendiri: keterangan dan gambar di bawah.",
                        "{channel} is posted by hand: caption and pictures below."),
    # the item's history for the approver (sopkit.history)
    "history.title": ("Riwayat konten", "Item history"),
    "history.row": ("{at} · {who} · {action} ({step})", "{at} · {who} · {action} ({step})"),
    "history.sent_back": ("Dikembalikan oleh {who}, {at}:", "Sent back by {who}, {at}:"),
    "history.steps": ("Semua langkah", "Every step"),
    "history.diff_title": ("Perubahan dari versi {old} ({old_at}, {old_by}) ke versi {new} ({new_at}, {new_by})",
                           "Changes from version {old} ({old_at}, {old_by}) to version {new} ({new_at}, "
                           "{new_by})"),
    "history.once": ("Baru sekali dikirim untuk diperiksa: belum ada versi untuk dibandingkan.",
                     "Sent to review once: no earlier version to compare."),
    "history.same": ("Teksnya tidak berubah di antara kedua versi.", "The text is the same in both versions."),
    "history.too_long": ("Versi terlalu panjang untuk disimpan; perbandingan tidak tersedia.",
                         "A version was too long to keep; no comparison."),
    "history.field.title": ("Judul", "Title"),
    "history.field.body": ("Isi artikel", "Article body"),
    "history.field.caption": ("Keterangan {channel}", "{channel} caption"),
    "creator.material": ("Bahan dari Petugas", "Material from the officer"),
    "creator.write": ("Tulis", "Write"),
    "creator.preview": ("Pratinjau", "Preview"),
    "creator.captions": ("Keterangan per kanal", "Caption per channel"),
    "creator.caption_for": ("Keterangan {channel}", "{channel} caption"),
    "creator.count": ("{n} / {limit} karakter", "{n} / {limit} characters"),
    "creator.count_nolimit": ("{n} karakter", "{n} characters"),
    "creator.hashtags": ("{n} / {limit} tagar", "{n} / {limit} hashtags"),
    "creator.images": ("Gambar", "Pictures"),
    "creator.use_image": ("Pakai", "Use"),
    "creator.alt": ("Teks alternatif untuk {name}", "Alt text for {name}"),
    "creator.renditions": ("Pratinjau per kanal: {name}", "Per-channel preview: {name}"),
    "creator.no_rendition": ("Tidak ada gambar untuk {channel}", "No picture for {channel}"),
    "creator.check": ("Pemeriksaan sebelum kirim ({n} temuan)", "Pre-submit check ({n} findings)"),
    "creator.fix_first": ("Perbaiki temuan merah dulu sebelum mengirim.", "Fix the red findings before submitting."),
    "creator.save": ("Simpan", "Save"),
    "creator.submit": ("Kirim ke verifikasi", "Submit for verification"),
    "check.ok": ("Tidak ada temuan.", "Nothing found."),
    "check.empty": ("{where} masih kosong.", "{where} is empty."),
    "check.caption_over": ("Keterangan {channel}: {n} karakter, batas {limit}.",
                           "{channel} caption: {n} characters, the limit is {limit}."),
    "check.hashtags_over": ("Keterangan {channel}: {n} tagar, batas {limit}.",
                            "{channel} caption: {n} hashtags, the limit is {limit}."),
    "check.mentions_over": ("Keterangan {channel}: {n} sebutan @akun, batas {limit}.",
                            "{channel} caption: {n} @mentions, the limit is {limit}."),
    "check.repeated_word": ("{where}: kata berulang \"{word}\".", "{where}: repeated word \"{word}\"."),
    "check.double_space": ("{where}: ada spasi ganda.", "{where}: double space."),
    "check.alt_missing": ("Gambar {name} belum punya teks alternatif.", "Picture {name} has no alt text."),
    # review (steps 3 and 4)
    "review.content": ("Konten", "Content"),
    "review.sources": ("Sumber", "Sources"),
    "review.media": ("Lampiran", "Attachments"),
    "review.no_alt": ("tanpa teks alternatif", "no alt text"),
    "review.approve": ("Setujui", "Approve"),
    "review.reject": ("Kembalikan", "Send back"),
    "review.note": ("Catatan (wajib bila dikembalikan)", "Note (required to send back)"),
    "review.note_help": ("Sebutkan apa yang harus diperbaiki.", "Say what must change."),
    # supervisor
    "supervisor.verify": ("Verifikasi (langkah 3)", "Verification (step 3)"),
    "supervisor.schedule": ("Penjadwalan (langkah 5)", "Scheduling (step 5)"),
    "supervisor.scheduled": ("Terjadwal", "Scheduled"),
    "supervisor.assign": ("Tugaskan", "Assign"),
    "schedule.calendar": ("Kalender tayang", "Publication calendar"),
    "schedule.view": ("Tampilan", "View"),
    "schedule.view.month": ("Bulan", "Month"),
    "schedule.view.week": ("Minggu", "Week"),
    "schedule.prev": ("Sebelumnya", "Previous"),
    "schedule.next": ("Berikutnya", "Next"),
    "schedule.today": ("Hari ini", "Today"),
    "schedule.week_of": ("Minggu {first} – {last}", "Week {first} – {last}"),
    "schedule.past_due": ("Lewat waktu, belum tayang", "Past due, not published"),
    "schedule.past_due_n": ("{n} posting sudah lewat waktunya tanpa hasil tayang.",
                            "{n} posts are past their time without a published result."),
    "schedule.in": ("Tayang dalam {left}", "Goes out in {left}"),
    "schedule.overdue": ("Lewat {over} tanpa hasil tayang", "{over} past due without a result"),
    "schedule.pick": ("Ubah jadwal atau batalkan", "Reschedule or cancel"),
    "schedule.pick_help": ("Pilih konten terjadwal; formulirnya muncul di bawah.",
                           "Choose a scheduled item; its forms appear below."),
    "schedule.more": ("+{n} lagi", "+{n} more"),
    "weekday.short.0": ("Sen", "Mon"),
    "weekday.short.1": ("Sel", "Tue"),
    "weekday.short.2": ("Rab", "Wed"),
    "weekday.short.3": ("Kam", "Thu"),
    "weekday.short.4": ("Jum", "Fri"),
    "weekday.short.5": ("Sab", "Sat"),
    "weekday.short.6": ("Min", "Sun"),
    "duration.days": ("{n} hari", "{n} d"),
    "duration.hours": ("{n} jam", "{n} h"),
    "duration.minutes": ("{n} menit", "{n} min"),
    "duration.under_minute": ("kurang dari 1 menit", "under a minute"),
    "schedule.nothing": ("Belum ada yang terjadwal.", "Nothing is scheduled."),
    "schedule.date": ("Tanggal", "Date"),
    "schedule.time": ("Jam", "Time"),
    "schedule.hour": ("Jam", "Hour"),
    "schedule.force": ("Tetap jadwalkan walau berdekatan dengan posting lain",
                       "Schedule even if close to another post"),
    "schedule.button": ("Jadwalkan", "Schedule"),
    "schedule.reschedule": ("Ubah jadwal", "Reschedule"),
    "schedule.at": ("Jadwal tayang: {at}", "Publication: {at}"),
    "schedule.need_time": ("Pilih tanggal dan jam.", "Choose a date and a time."),
    "schedule.collision": ("Bertabrakan dengan {ids} di kanal yang sama (selisih < 30 menit).",
                           "Collides with {ids} on the same channel (less than 30 minutes apart)."),
    "cancel.note": ("Alasan pembatalan", "Reason for cancelling"),
    "cancel.button": ("Batalkan penayangan", "Cancel publication"),
    "assign.to": ("Tugaskan kepada", "Assign to"),
    "assign.button": ("Tugaskan", "Assign"),
    "assign.choose": ("Pilih petugas yang memegang peran langkah ini.", "Choose someone with this step's role."),
    # publisher
    "publisher.due": ("Jatuh tempo ({n})", "Due ({n})"),
    "publisher.upcoming": ("Akan datang ({n})", "Upcoming ({n})"),
    "publisher.none_due": ("Tidak ada yang jatuh tempo.", "Nothing is due."),
    "publisher.none_upcoming": ("Tidak ada jadwal berikutnya.", "Nothing upcoming."),
    "publisher.status.none": ("belum ada hasil", "no result yet"),
    "publisher.status.published": ("tayang", "published"),
    "publisher.status.failed": ("gagal", "failed"),
    "publisher.status.unknown": ("tidak pasti — periksa kanal", "unknown — check the channel"),
    "publisher.status.claimed": ("sedang diproses job", "being processed by the job"),
    "publisher.status.pending": ("menunggu job (dicoba lagi pada putaran berikutnya)",
                                 "waiting for the job (tried again on its next run)"),
    "publisher.status.manual": ("unggah manual — job tidak bisa memposting ke sini",
                                "post by hand — the job cannot post here"),
    "publisher.status.checking": ("dicari job — jawaban kanal hilang",
                                  "being looked for — the channel's answer was lost"),
    "publisher.status.other": ("status tidak dikenal: {status}", "unrecognised status: {status}"),
    "publisher.checking_note": ("Jawaban {channel} hilang saat job memposting. Job mencari postingan ini pada setiap "
                                "putaran dan mencatatnya begitu ditemukan; jika sampai {settle} belum ada, job "
                                "memposting lagi setelah memeriksa sekali lagi. Tidak perlu tindakan.",
                                "{channel}'s answer was lost while the job posted. The job looks for the post on "
                                "each run and records it as soon as it appears; if it is still not there at "
                                "{settle}, the job posts again after one more look. Nothing to do."),
    "publisher.unknown_check": ("Yang perlu diperiksa: apakah postingan berjudul «{title}» sudah tayang di {where} "
                                "(sejak {since}; kunci postingan {post_key}). Jika sudah tayang, tempel URL-nya di "
                                "bawah dan catat. Jika belum, serahkan kembali ke job: job memeriksa kanal lagi "
                                "sebelum memposting, jadi tidak akan terkirim dua kali.",
                                "What to check: whether the post titled «{title}» is out on {where} (since "
                                "{since}; post key {post_key}). If it is, paste its URL below and record it. If it is "
                                "not, hand it back to the job: it asks the channel again before posting, so it "
                                "cannot go out twice."),
    "publisher.where_link": ("Buka daftar postingan di kanal", "Open the channel's list of posts"),
    "publisher.where.site": ("situs web Dinas (halaman Berita)", "the agency website (the News page)"),
    "publisher.where.wordpress": ("WordPress: menu Pos → Semua Pos, cari judulnya (alamat postingan diawali "
                                  "kuncinya) dan periksa juga Sampah",
                                  "WordPress: Posts → All Posts, search for its title (the post's address starts "
                                  "with its key) and check the Trash too"),
    "publisher.where.facebook": ("Halaman Facebook Dinas: Meta Business Suite → Konten → Postingan",
                                 "the agency's Facebook Page: Meta Business Suite → Content → Posts"),
    "publisher.where.instagram": ("akun Instagram Dinas: profil → postingan (atau Meta Business Suite → Konten)",
                                  "the agency's Instagram account: profile → posts (or Meta Business Suite → "
                                  "Content)"),
    "publisher.where.telegram": ("kanal Telegram Dinas: pesan-pesan terbaru", "the agency's Telegram channel: its "
                                 "latest messages"),
    "publisher.where.x": ("akun X Dinas: tab Postingan", "the agency's X account: the Posts tab"),
    "publisher.where.manual": ("kanal yang diunggah manual", "the hand-posted channel"),
    "publisher.where.other": ("kanal tersebut", "that channel"),
    "publisher.copies": ("Salinan ganda ({n})", "Duplicate copies ({n})"),
    "publisher.none_copies": ("Tidak ada salinan ganda.", "No duplicate copies."),
    "publisher.copies_intro": ("Permintaan yang sudah ditinggalkan job (jawabannya hilang, atau job dihentikan) "
                               "ternyata tetap diterapkan kanal dan membuat salinan kedua. Postingan yang dicatat "
                               "tetap satu.",
                               "A request the job had given up on (its answer lost, or the job stopped) was "
                               "applied by the channel after all and made a second copy. The recorded post stays "
                               "one."),
    "publisher.copy.trashed": ("Salinan {url} dipindahkan ke Sampah oleh job ({at}). Postingan yang dicatat: "
                               "{kept}. Jika keliru, pulihkan dari Sampah {channel}.",
                               "Copy {url} was moved to the Trash by the job ({at}). Recorded post: {kept}. If "
                               "that was wrong, restore it from {channel}'s Trash."),
    "publisher.copy.left": ("Salinan {url} masih tayang: hapus (pindahkan ke Sampah) di {where}. Postingan yang "
                            "dicatat: {kept}.",
                            "Copy {url} is still live: remove it (move it to the Trash) on {where}. Recorded "
                            "post: {kept}."),
    "publisher.copy.removed": ("Salinan {url} sudah dihapus ({at}).", "Copy {url} has been removed ({at})."),
    "publisher.requeue": ("Serahkan kembali ke job", "Hand back to the job"),
    "publisher.requeue_note": ("Apa yang sudah Anda periksa di kanal? (wajib)",
                               "What did you check on the channel? (required)"),
    "publisher.requeue_help": ("Job akan memeriksa kanal dulu sebelum memposting, jadi unggahan yang ternyata "
                               "sudah tayang tidak akan terkirim dua kali.",
                               "The job asks the channel first, so a post that did go out is recorded, "
                               "not sent twice."),
    "publisher.caption": ("Keterangan untuk disalin", "Caption to copy"),
    "publisher.download": ("Unduh {name}", "Download {name}"),
    "publisher.url": ("URL yang sudah tayang", "Published URL"),
    "publisher.record": ("Catat tayang", "Record as published"),
    "publisher.bad_url": ("Tempel URL lengkap yang diawali https://", "Paste the full URL starting with https://"),
    # item detail
    "item.open": ("Detail {id}", "Details of {id}"),
    "item.choose": ("Pilih konten", "Choose an item"),
    "item.pick": ("Pilih konten untuk melihat detailnya.", "Choose an item to see its details."),
    "item.not_found": ("Konten tidak ditemukan.", "Item not found."),
    "item.status": ("Status: {status} · revisi {rev}", "Status: {status} · revision {rev}"),
    "item.channels": ("Hasil per kanal", "Result per channel"),
    "item.channel": ("Kanal", "Channel"),
    "item.channel_status": ("Status", "Status"),
    "item.channel_at": ("Waktu", "When"),
    "item.channel_detail": ("Tautan / keterangan", "Link / detail"),
    # Log actions (sop.ACTIONS) and an attempt still open, as the timeline shows them
    "action.start": ("mulai", "start"),
    "action.submit": ("kirim", "submit"),
    "action.approve": ("setujui", "approve"),
    "action.reject": ("kembalikan", "reject"),
    "action.schedule": ("jadwalkan", "schedule"),
    "action.publish": ("tayang", "publish"),
    "action.cancel": ("batalkan", "cancel"),
    "action.edit": ("ubah", "edit"),
    "action.take": ("ambil", "take"),
    "action.assign": ("tugaskan", "assign"),
    "action.channel": ("hasil kanal", "channel result"),
    "action.open": ("berjalan", "open"),
    # item statuses (sop.STATUSES)
    "status.collecting": ("mengumpulkan informasi", "collecting information"),
    "status.designing": ("didesain", "being designed"),
    "status.verifying": ("menunggu verifikasi", "waiting for verification"),
    "status.approving": ("menunggu persetujuan", "waiting for approval"),
    "status.scheduling": ("menunggu jadwal", "waiting to be scheduled"),
    "status.scheduled": ("terjadwal", "scheduled"),
    "status.published": ("tayang", "published"),
    "status.cancelled": ("dibatalkan", "cancelled"),
    "item.info": ("Info", "Info"),
    "item.content": ("Isi", "Content"),
    "item.timeline": ("Riwayat", "Timeline"),
    "item.durations": ("Lama tiap langkah dibanding batasnya", "Time per step against its limit"),
    "item.rules": ("Aturan yang dipakai: tiap percobaan dinilai dengan revisi pengaturan yang berlaku saat ia dimulai",
                   "Rules applied: each attempt is judged by the settings revision in force when it started"),
    "item.revision": ("Revisi {rev} · berlaku sejak {at} · {who} · {changes}",
                      "Revision {rev} · in force from {at} · {who} · {changes}"),
    "item.settings_changed": ("Pengaturan SOP diubah (revisi {rev})", "SOP settings revised (revision {rev})"),
    "item.why_late": ("Mengapa terlambat: langkah {step}, percobaan {attempt}",
                      "Why late: step {step}, attempt {attempt}"),
    "item.why_summary": ("Mulai {start} · batas {limit} menit kerja, jatuh tempo {deadline} · {until} {end} · "
                         "{minutes} menit kerja dihitung · revisi pengaturan {rev}",
                         "Started {start} · limit {limit} working minutes, due {deadline} · {until} {end} · "
                         "{minutes} working minutes counted · settings revision {rev}"),
    "item.why_until.closed": ("selesai", "ended"),
    "item.why_until.open": ("masih berjalan per", "still open as of"),
    "item.holder.officer": ("Petugas", "Officer"),
    "item.holder.creator": ("Pembuat Konten", "Creator"),
    "item.holder.verifier": ("Verifikator", "Verifier"),
    "item.holder.approver": ("Pemberi persetujuan", "Approver"),
    "item.holder.scheduler": ("Penjadwal", "Scheduler"),
    "item.holder.publisher": ("Pengunggah", "Publisher"),
    # compliance
    "compliance.computing": ("Menghitung kepatuhan…", "Computing compliance…"),
    "compliance.filters": ("Filter", "Filters"),
    "compliance.period": ("Periode", "Period"),
    "compliance.person": ("Orang", "Person"),
    "compliance.per_step": ("Tepat waktu per langkah", "On time per step"),
    "compliance.trend": ("Tren", "Trend"),
    "compliance.freq.M": ("Bulanan", "Monthly"),
    "compliance.freq.W": ("Mingguan", "Weekly"),
    "compliance.durations": ("Sebaran durasi dan batas SOP (garis merah)",
                             "Distribution of durations and the SOP limit (red line)"),
    "compliance.count": ("Jumlah", "Count"),
    "compliance.people": ("Per orang", "Per person"),
    "compliance.at_risk": ("Berisiko terlambat", "At risk"),
    "compliance.problems": ("Baris Log bermasalah ({n})", "Log rows with problems ({n})"),
    "compliance.download": ("Unduh laporan (arsip softcopy SOP)", "Download the report (the SOP's softcopy record)"),
    "compliance.prepare_xlsx": ("Siapkan XLSX", "Prepare XLSX"),
    "compliance.prepare_csv": ("Siapkan CSV", "Prepare CSV"),
    "compliance.preparing": ("Menyiapkan file…", "Preparing the file…"),
    "compliance.xlsx": ("Unduh XLSX", "Download XLSX"),
    "compliance.csv": ("Unduh CSV (ZIP: percobaan, masalah, keterangan)",
                       "Download CSV (ZIP: attempts, problems, about)"),
    "compliance.about": ("Dihitung per {as_of} · revisi pengaturan {revs} · paket holidays {holidays} · sidik Log "
                         "{fingerprint} ({rows} baris)",
                         "Computed as of {as_of} · settings revision(s) {revs} · holidays package {holidays} · Log "
                         "fingerprint {fingerprint} ({rows} rows)"),
    "kpi.published": ("Tayang bulan ini", "Published this month"),
    "kpi.on_time": ("Tepat waktu", "On time"),
    "kpi.lead_time": ("Median waktu tempuh", "Median lead time"),
    "kpi.hours": ("{h} jam", "{h} h"),
    "kpi.rework": ("Tingkat perbaikan", "Rework rate"),
    # admin
    "admin.users": ("Pengguna & peran", "Users & roles"),
    "admin.settings": ("Pengaturan SOP", "SOP settings"),
    "admin.register": ("Register", "Register"),
    "admin.problems": ("Baris tidak valid", "Invalid rows"),
    "admin.save_users": ("Simpan pengguna", "Save users"),
    "admin.saved_users": ("{n} pengguna disimpan.", "{n} users saved."),
    "admin.invalid": ("Tidak disimpan: {reason}", "Not saved: {reason}"),
    "admin.set_password": ("Atur kata sandi", "Set password"),
    "admin.password_set": ("Kata sandi {email} diatur.", "Password of {email} set."),
    "admin.choose_user": ("Pilih pengguna.", "Choose a user."),
    "admin.limits": ("Batas waktu per langkah", "Time limit per step"),
    "admin.limit_step": ("Langkah {n}", "Step {n}"),
    "admin.hours": ("Jam kerja (mis. 07:30-12:00,13:00-16:00; kosong = libur)",
                    "Working hours (e.g. 07:30-12:00,13:00-16:00; blank = day off)"),
    "admin.day.mon": ("Senin", "Monday"),
    "admin.day.tue": ("Selasa", "Tuesday"),
    "admin.day.wed": ("Rabu", "Wednesday"),
    "admin.day.thu": ("Kamis", "Thursday"),
    "admin.day.fri": ("Jumat", "Friday"),
    "admin.day.sat": ("Sabtu", "Saturday"),
    "admin.day.sun": ("Minggu", "Sunday"),
    "admin.extra_holidays": ("Libur tambahan", "Extra holidays"),
    "admin.extra_working_days": ("Hari kerja tambahan", "Extra working days"),
    "admin.limits_help": ("1 hari kerja = 7 jam 30 menit kerja (Senin–Kamis, Perpres 21/2023). Langkah penayangan "
                          "dihitung dengan jam kalender sejak jadwal tayang.",
                          "1 working day = 7 h 30 min of work (Monday–Thursday, Perpres 21/2023). The publication "
                          "step runs on calendar time from the scheduled time."),
    "admin.limit_amount": ("Jumlah", "Amount"),
    "admin.limit_unit": ("Satuan", "Unit"),
    "unit.workday": ("hari kerja", "working days"),
    "unit.hour": ("jam", "hours"),
    "unit.minute": ("menit", "minutes"),
    "admin.hours_title": ("Jam kerja per hari", "Working hours per day"),
    "admin.hours_help": ("Dua sesi per hari (pagi dan siang). Kosongkan keduanya untuk hari libur.",
                         "Two sessions per day (morning and afternoon). Leave both empty for a day off."),
    "admin.window_start": ("Sesi {n} mulai", "Session {n} starts"),
    "admin.window_end": ("Sesi {n} selesai", "Session {n} ends"),
    "admin.day_off": ("libur", "day off"),
    "admin.more_windows": ("{day} punya lebih dari dua sesi di penyimpanan; menyimpan dari sini hanya menyimpan dua "
                           "yang pertama.", "{day} has more than two sessions in the store; saving here keeps the "
                           "first two only."),
    "admin.days_title": ("Libur dan hari kerja tambahan", "Extra holidays and working days"),
    "admin.add_date": ("Tambah tanggal", "Add a date"),
    "admin.add": ("Tambah", "Add"),
    "admin.dates_help": ("Hapus tanggal dengan tanda × di daftar.", "Remove a date with the × in the list."),
    "admin.national": ("Libur nasional dan cuti bersama {year}", "National holidays and joint leave {year}"),
    "admin.national_help": ("Dari kalender resmi (paket holidays {version}); hari kerja tambahan membatalkannya.",
                            "From the official calendar (holidays package {version}); an extra working day "
                            "overrides it."),
    "admin.national_off": ("dibatalkan: hari kerja tambahan", "overridden: extra working day"),
    "col.date": ("Tanggal", "Date"),
    "col.holiday": ("Keterangan", "Name"),
    "settings.window_half": ("{day}, sesi {n}: isi jam mulai dan jam selesai (atau kosongkan keduanya).",
                             "{day}, session {n}: give both the start and the end (or leave both empty)."),
    "settings.window_order": ("{day}, sesi {n}: jam selesai harus sesudah jam mulai.",
                              "{day}, session {n}: the end must be after the start."),
    "settings.window_overlap": ("{day}, sesi {n}: harus mulai sesudah sesi sebelumnya selesai.",
                                "{day}, session {n}: must start after the previous session ends."),
    "settings.limit_bad": ("Batas langkah {step} harus minimal 1.", "The limit of step {step} must be at least 1."),
    "settings.date_both": ("{date} tidak bisa sekaligus libur tambahan dan hari kerja tambahan.",
                           "{date} cannot be both an extra holiday and an extra working day."),
    "admin.header": ("Identitas SOP", "SOP header"),
    "admin.save_settings": ("Simpan pengaturan", "Save settings"),
    "admin.saved_settings": ("Pengaturan disimpan.", "Settings saved."),
    "admin.saved_revision": ("Tersimpan sebagai revisi {rev}.", "Saved as revision {rev}."),
    "admin.no_change": ("Tidak ada yang berubah; tidak ada revisi baru.", "Nothing changed; no new revision."),
    "admin.history": ("Riwayat pengaturan", "Settings history"),
    "admin.history_help": ("Setiap penyimpanan menjadi revisi baru. Perubahan langsung di Google Sheet (atau di file "
                           "SQLite) dicatat sebagai revisi tersendiri saat pertama kali terbaca oleh aplikasi. "
                           "Kepatuhan menilai setiap percobaan dengan revisi yang berlaku saat percobaan itu dimulai: "
                           "perubahan tidak mengubah penilaian percobaan yang sudah dimulai sebelumnya.",
                           "Every save becomes a new revision. An edit made directly in the Google Sheet (or the "
                           "SQLite file) is recorded as a revision of its own the first time the app reads it. "
                           "Compliance judges each attempt by the revision in force when the attempt started: a "
                           "change never alters how an attempt that had already started is judged."),
    "admin.open_store": ("Buka {name}", "Open the {name}"),
    "admin.register_help": ("Hanya kolom isi yang bisa dikoreksi; langkah dan status berubah lewat alur SOP.",
                            "Only content columns can be corrected; step and status change through the SOP flow."),
    "admin.save_register": ("Simpan perubahan Register", "Save Register changes"),
    "admin.row_refused": ("Baris {id} tidak disimpan: {reason}", "Row {id} not saved: {reason}"),
    "admin.saved_rows": ("{n} baris disimpan.", "{n} rows saved."),
    "admin.credentials": ("Periksa kredensial kanal sebelum konten terjadwal jatuh tempo:",
                          "Check the channel credentials before scheduled items fall due:"),
    "admin.deprecated": ("Konfigurasi memakai pengaturan lama ({keys}). Ganti dengan satu baris di [register]: "
                         "url = \"{url}\" (atau variabel SOPKIT_STORE).",
                         "The configuration uses deprecated settings ({keys}). Replace them with one line in "
                         "[register]: url = \"{url}\" (or the SOPKIT_STORE variable)."),
    "admin.no_problems": ("Semua baris valid.", "Every row is valid."),
    # about
    "about.value": ("Isi", "Value"),
    "about.sop_number": ("Nomor SOP", "SOP number"),
    "about.sop_created": ("Tanggal pembuatan", "Created"),
    "about.sop_revised": ("Tanggal revisi", "Revised"),
    "about.sop_ratified": ("Tanggal pengesahan", "Ratified"),
    "about.sop_ratified_by": ("Disahkan oleh", "Ratified by"),
    "about.role": ("Pelaksana", "Role"),
    "about.what": ("Kegiatan", "Activity"),
    "about.clock": ("Jam", "Clock"),
    "about.clock.working": ("jam kerja", "working time"),
    "about.clock.calendar": ("jam kalender sejak jadwal tayang", "calendar time from the scheduled time"),
    "about.recording": ("Pencatatan: disimpan dalam bentuk softcopy (Log dan laporan kepatuhan).",
                        "Recording: kept as softcopy (the Log and the compliance report)."),
    # outcomes of actions
    "done.saved": ("{id} disimpan.", "{id} saved."),
    "done.start": ("Konten {id} dibuat.", "Item {id} started."),
    "done.start_submit": ("Konten {id} dibuat dan dikirim ke Pembuat Konten.",
                          "Item {id} started and sent to the content creator."),
    "done.edit": ("{id} disimpan.", "{id} saved."),
    "done.take": ("{id} Anda ambil.", "You took {id}."),
    "done.assign": ("{id} ditugaskan.", "{id} assigned."),
    "done.submit": ("{id} dikirim ke langkah berikutnya.", "{id} sent to the next step."),
    "done.approve": ("{id} disetujui.", "{id} approved."),
    "done.reject": ("{id} dikembalikan ke Pembuat Konten.", "{id} sent back to the creator."),
    "done.schedule": ("{id} dijadwalkan.", "{id} scheduled."),
    "done.channel": ("Hasil kanal {id} dicatat.", "Channel result of {id} recorded."),
    "done.publish": ("{id} tayang.", "{id} published."),
    "done.cancel": ("{id} dibatalkan.", "{id} cancelled."),
    "done.requeue": ("Kanal {id} diserahkan kembali ke job.", "The channel of {id} is handed back to the job."),
    "error.stale": ("Konten ini baru saja diubah orang lain. Tidak ada yang disimpan; halaman dimuat ulang.",
                    "Someone else changed this item just now. Nothing was saved; the page has been reloaded."),
    "error.forbidden": ("Peran Anda tidak mengizinkan tindakan ini.", "Your role does not allow this action."),
    "error.note_required": ("Catatan wajib diisi.", "A note is required."),
    "error.maker_checker": ("Anda tidak boleh memeriksa konten yang Anda buat sendiri.",
                            "You may not review content you made yourself."),
    "error.not_holder": ("Konten ini dipegang orang lain.", "Someone else holds this item."),
    "error.wrong_state": ("Konten sudah tidak di langkah ini.", "The item is no longer at this step."),
    "error.invalid": ("Isian belum benar.", "Some input is not right."),
    "error.workflow": ("Tindakan tidak bisa dilakukan.", "The action cannot be taken."),
    "error.store": ("Penyimpanan gagal.", "Saving failed."),
    "error.busy": ("Google Sheets sedang sibuk. Tidak ada yang disimpan; coba lagi sebentar lagi.",
                   "Google Sheets is busy. Nothing was saved; try again in a moment."),
    "error.unconfirmed": ("Perubahan sudah dikirim, tetapi Google Sheets belum memastikan apakah tersimpan. Muat "
                          "ulang halaman dan periksa sebelum mencoba lagi.",
                          "The change was sent, but Google Sheets has not confirmed whether it was saved. Reload "
                          "the page and check before trying again."),
    "error.actor_refused": ("Akun Anda sudah dinonaktifkan atau tidak lagi memegang peran ini. Tidak ada yang "
                            "disimpan.", "Your account has been deactivated or no longer has this role. Nothing "
                            "was saved."),
    "error.not_found": ("Konten ini sudah tidak ada. Tidak ada yang disimpan.",
                        "This item no longer exists. Nothing was saved."),
    "error.duplicate": ("Konten dengan nomor ini sudah ada. Tidak ada yang disimpan.",
                        "An item with this number already exists. Nothing was saved."),
    "done.saved_stale": ("{id} disimpan, tetapi tampilan ini belum diperbarui. Muat ulang halaman.",
                         "{id} was saved, but this view is not up to date. Reload the page."),
    "error.sheets_busy": ("Google Sheets sedang sibuk, mencoba lagi…", "Google Sheets is busy, retrying…"),
    # publishing: what the job and the channels write into an item's channel result (stored in Indonesian) and
    # what the admin page says about the channels' configuration
    "job.unknown": ("tidak pasti — periksa kanal", "unknown — check the channel"),
    "job.unknown_detail": ("{unknown}: {detail}. {look}", "{unknown}: {detail}. {look}"),
    "job.unexpected": ("galat tak terduga setelah permintaan mungkin terkirim ({detail})",
                       "unexpected error after the request may have gone out ({detail})"),
    "job.look_generic": ("Buka kanal {channel} dan cari posting ini; jika sudah tayang, catat URL-nya; jika belum, "
                         "serahkan kembali ke job.",
                         "Open {channel} and look for this post; if it is out, record its URL; if not, hand it "
                         "back to the job."),
    "job.claim_unfinished_unavailable": ("{unknown}: job sebelumnya mengambil kanal ini dan tidak selesai, dan job "
                                         "kini tidak bisa memposting ke sana ({reason}). {look}",
                                         "{unknown}: a run claimed it and did not finish, and the job can no "
                                         "longer post there ({reason}). {look}"),
    "job.claim_unfinished_unsearchable": ("{unknown}: job sebelumnya mengambil kanal ini dan tidak selesai, dan "
                                          "kanal ini tidak bisa dicari ({detail}). {look}",
                                          "{unknown}: a run claimed it and did not finish, and the channel cannot "
                                          "be searched ({detail}). {look}"),
    "job.could_not_ask": ("tidak bisa menanyakan ke {channel} apakah posting sudah ada: {detail}",
                          "could not ask {channel} whether it already has the post: {detail}"),
    "job.could_not_prepare": ("posting tidak bisa disiapkan: {detail}", "could not prepare the post: {detail}"),
    "job.gave_up": ("berhenti mencoba setelah {runs} putaran job: {detail}", "gave up after {runs} runs: {detail}"),
    "job.try_next_run": ("dicoba lagi pada putaran job berikutnya: {detail}",
                         "will try again on the next run: {detail}"),
    "job.throttled": ("batas penggunaan tercapai; job menunggu sampai {until}: {detail}",
                      "rate limit reached; the job waits until {until}: {detail}"),
    "job.claim_lost_nothing_sent": ("dicoba lagi pada putaran job berikutnya (belum ada yang terkirim): {detail}",
                                    "will try again on the next run (nothing was posted): {detail}"),
    "job.lookup_failed": ("{detail} (dan pencarian postingan gagal: {lookup})",
                          "{detail} (and looking for the post failed: {lookup})"),
    "job.checking": ("{unknown}: {detail}; belum ada di {channel}: job mencarinya lagi pada setiap putaran dan "
                     "memposting hanya jika sampai {settle} masih belum ada",
                     "{unknown}: {detail}; not on {channel} yet: the job looks again on each run and posts only if "
                     "it is still not there at {settle}"),
    "job.checking_unavailable": ("{unknown}: jawaban kanal hilang, dan job kini tidak bisa mencari di sana "
                                 "({reason}). {look}",
                                 "{unknown}: the channel's answer was lost, and the job can no longer look there "
                                 "({reason}). {look}"),
    "job.channel_answered": ("kanal menjawab {status}", "the channel answered {status}"),
    "job.not_configured": ("{channel} belum diatur: unggah manual", "{channel} is not configured: post by hand"),
    "job.requeue_only_person": ("{channel} berstatus {status}; hanya kanal yang gagal atau tidak pasti yang bisa "
                                "diserahkan kembali ke job.",
                                "{channel} is {status}; only failed or unknown channels can be handed back to the "
                                "job."),
    "job.requeue_note": ("Tulis apa yang sudah Anda periksa di kanal sebelum menyerahkannya kembali ke job.",
                         "Say what you checked on the channel before handing it back to the job."),
    "job.handed_back": ("diserahkan kembali oleh {who}: {note}", "handed back by {who}: {note}"),
    "wiring.no_poster": ("tidak ada pemosting untuk kanal {channel!r}", "no poster for the channel {channel!r}"),
    "wiring.hand_posted": ("belum ada pemosting {channel} di versi ini: unggah manual",
                           "no {channel} poster in this version: post by hand"),
    "wiring.switched_off": ("dimatikan ([{channel}] enabled = false): unggah manual",
                            "switched off ([{channel}] enabled = false): post by hand"),
    "wiring.no_credentials": ("kredensial belum ada ([{channel}] {keys} belum diisi): unggah manual",
                              "no credentials ([{channel}] {keys} not set): post by hand"),
    "wiring.no_image_host": ("{channel} mengambil gambarnya dari situs web, tetapi situs web dimatikan: unggah manual",
                             "{channel} fetches its pictures from the website, which is switched off: post by hand"),
    "wiring.images_need_public": ("ditahan: Meta mengunduh gambar {channel} sendiri dari situs web, tetapi alamat "
                                  "situs ([{home}] base_url = {url}) {why}; isi alamat publik situs (https://…) "
                                  "lalu job memposting lagi",
                                  "held back: Meta fetches {channel}'s pictures from the website itself, but its "
                                  "address ([{home}] base_url = {url}) {why}; set the site's public address "
                                  "(https://…) and the job posts again"),
    "wiring.links_need_public": ("ditahan: posting {channel} memuat tautan ke situs web, tetapi alamat situs "
                                 "([{home}] base_url = {url}) {why}, jadi pembaca akan mendapat tautan mati; isi "
                                 "alamat publik situs (https://…) atau matikan situs ([{home}] enabled = false)",
                                 "held back: {channel} posts carry the website's link, but its address ([{home}] "
                                 "base_url = {url}) {why}, so readers would get a dead link; set the site's public "
                                 "address (https://…) or switch the site off ([{home}] enabled = false)"),
    "addr.not_web": ("bukan alamat web http(s)", "is not an http(s) address"),
    "addr.loopback": ("menunjuk ke komputer ini sendiri (loopback), tidak bisa dibuka dari internet",
                      "points at this computer itself (loopback), which the internet cannot open"),
    "addr.private_ip": ("adalah alamat jaringan privat, tidak bisa dibuka dari internet",
                        "is a private network address, which the internet cannot open"),
    "addr.private_name": ("adalah nama lokal, tidak bisa dibuka dari internet",
                          "is a local name, which the internet cannot open"),
    "channel.link_not_public": ("{channel}: tautan posting {url} {why}; tidak dikirim",
                                "{channel}: the post's link {url} {why}; not sent"),
    "channel.x.hand_posted": ("belum ada pemosting X (Twitter) di versi ini: unggah manual lalu tempel URL-nya",
                              "no X (Twitter) poster in this version: post by hand and paste the URL"),
    "channel.manual.hand_posted": ("diunggah manual: tempel URL-nya di halaman Pengelola",
                                   "posted by hand: paste the URL on the publisher page"),
    "cred.waiting": ("{n} konten terjadwal menuju kanal ini, yang pertama {due}",
                     "{n} scheduled item(s) target it, the first due {due}"),
    "cred.unavailable": ("{channel}: {reason}; {waiting}: konten akan menunggu di antrean Pengelola.",
                         "{channel}: {reason}; {waiting}: they will wait on the publisher's queue."),
    "cred.bad_expiry": ("{channel}: [{channel}] token_expires = {value} bukan tanggal seperti 2027-01-31",
                        "{channel}: [{channel}] token_expires = {value} is not a date like 2027-01-31"),
    "cred.not_working": ("{channel}: kredensial tidak berfungsi: {message}",
                         "{channel}: credentials do not work: {message}"),
    "cred.expired": ("{channel}: token kedaluwarsa pada {at}; perbarui di file rahasia",
                     "{channel}: the token expired on {at}; renew it in the secrets file"),
    "cred.expires_before_due": ("{channel}: token kedaluwarsa pada {at}, sebelum konten berikutnya jatuh tempo "
                                "({waiting}); perbarui sekarang.",
                                "{channel}: the token expires on {at}, before the next item is due on it "
                                "({waiting}); renew it now."),
    "cred.expires_soon": ("{channel}: token kedaluwarsa pada {at}; perbarui sebelum itu.",
                          "{channel}: the token expires on {at}; renew it before then."),
    "http.connect_timeout": ("{what}: tidak bisa tersambung dalam batas waktu", "{what}: could not connect in time"),
    "http.no_answer": ("{what}: tidak ada jawaban dalam batas waktu", "{what}: no answer in time"),
    "http.sent_no_answer": ("{what}: permintaan sudah terkirim tetapi tidak ada jawaban dalam {seconds} detik; "
                            "posting mungkin sudah dibuat",
                            "{what}: the request was sent but no answer came within {seconds} s; the post may "
                            "have been made"),
    "http.tls": ("{what}: jabat tangan TLS gagal: {detail}", "{what}: TLS handshake failed: {detail}"),
    "http.cannot_connect": ("{what}: tidak bisa tersambung: {detail}", "{what}: could not connect: {detail}"),
    "http.dropped": ("{what}: sambungan terputus", "{what}: connection dropped"),
    "http.dropped_after_send": ("{what}: sambungan terputus setelah permintaan terkirim; posting mungkin sudah "
                                "dibuat",
                                "{what}: the connection dropped after the request was sent; the post may have "
                                "been made"),
    "http.unreadable": ("{what}: jawaban tidak terbaca", "{what}: unreadable answer"),
    "http.unreadable_after_send": ("{what}: kanal menjawab tetapi jawabannya tidak terbaca; posting mungkin sudah "
                                   "dibuat",
                                   "{what}: the channel answered but the reply could not be read; the post may "
                                   "have been made"),
    "http.server_error": ("{what}: galat server ({detail})", "{what}: server error ({detail})"),
    "http.server_error_after_send": ("{what}: galat server ({detail}) setelah permintaan terkirim; layanan ini "
                                     "sering sudah membuat posting sebelum menjawab galat",
                                     "{what}: server error ({detail}) after the request was sent; this service "
                                     "often makes the post before answering with an error"),
    "http.rate_limited": ("{what}: dibatasi layanan, dicoba lagi nanti ({detail})",
                          "{what}: rate limited, tried again later ({detail})"),
    "http.refused": ("{what}: ditolak ({detail})", "{what}: refused ({detail})"),
    "graph.token_problem": ("{what}: {advice} ({detail})", "{what}: {advice} ({detail})"),
    "graph.token.expired": ("token kedaluwarsa atau dicabut: buat token baru dan isi di file rahasia",
                            "the token expired or was revoked: make a new one and put it in the secrets file"),
    "graph.token.app_removed": ("pemilik token mencabut izin aplikasi Meta: izinkan lagi aplikasinya lalu buat "
                                "token baru",
                                "the token's owner removed the Meta app: allow the app again, then make a new "
                                "token"),
    "graph.token.checkpoint": ("akun Facebook pemilik token terkena pemeriksaan keamanan (checkpoint): masuk ke "
                               "www.facebook.com dengan akun itu dan selesaikan pemeriksaannya; token tidak perlu "
                               "diganti",
                               "the token owner's Facebook account is checkpointed: log in at www.facebook.com "
                               "with that account and clear the check; the token need not be replaced"),
    "graph.token.password_changed": ("kata sandi akun pemilik token diganti sehingga token batal: buat token baru",
                                     "the token owner changed their password, which voids the token: make a new "
                                     "one"),
    "graph.token.unconfirmed": ("akun pemilik token belum dikonfirmasi: masuk ke www.facebook.com dan ikuti "
                                "petunjuknya",
                                "the token owner's account is not confirmed: log in at www.facebook.com and follow "
                                "the instructions"),
    "graph.token.page_role": ("pemilik token tidak lagi punya peran yang cukup di Halaman: minta admin Halaman "
                              "mengembalikan perannya (minimal membuat konten); token baru dari akun yang sama tidak "
                              "membantu sebelum itu",
                              "the token's owner no longer has a sufficient role on the Page: ask a Page admin to "
                              "restore it (at least content creation); a new token from the same account does not "
                              "help before that"),
    "graph.permission": ("{what}: izin token kurang ({detail}); beri izin yang diminta lalu buat token baru",
                         "{what}: the token lacks a permission ({detail}); grant it and make a new token"),
    "graph.usage_pause": ("{what}: tidak dikirim; {header} menunjukkan batas penggunaan Graph hampir atau sudah "
                          "tercapai, tunggu sekitar {minutes} menit",
                          "{what}: not sent; {header} shows Graph's rate limit (nearly) reached, wait about "
                          "{minutes} min"),
    "graph.what.token_check": ("pemeriksaan token", "token check"),
    "graph.unreachable": ("Graph API tidak bisa dihubungi: {detail}", "could not reach Graph API: {detail}"),
    "graph.token_unchecked": ("token bisa membaca {name}, tetapi masa berlaku dan izinnya TIDAK bisa diperiksa: "
                              "isi app_id dan app_secret aplikasi Meta agar /debug_token bisa ditanya",
                              "the token can read {name}, but its expiry and permissions could NOT be checked: set "
                              "the Meta app's app_id and app_secret so /debug_token can be asked"),
    "graph.token_invalid": ("token tidak berlaku: {advice} {detail}", "the token is not valid: {advice} {detail}"),
    "graph.token_type": ("token berjenis {kind}, padahal yang dibutuhkan {wanted} (untuk Halaman: ambil token "
                         "Halaman lewat /me/accounts)",
                         "the token is a {kind} token, {wanted} is needed (for a Page: take the Page token from "
                         "/me/accounts)"),
    "graph.token_other_page": ("token ini milik Halaman lain ({page}), bukan page_id yang diisi",
                               "the token belongs to another Page ({page}), not the configured page_id"),
    "graph.token_scopes": ("izin token kurang: {missing}", "token lacks permission: {missing}"),
    "graph.token_ok": ("token {kind} berlaku untuk {name}, {until}", "{kind} token valid for {name}, {until}"),
    "graph.expires": ("kedaluwarsa {at}", "expires {at}"),
    "graph.never_expires": ("tidak kedaluwarsa (menurut /debug_token)", "does not expire (says /debug_token)"),
    "graph.version_bad": ("{channel}: graph_version = {version} bukan versi seperti {default}",
                          "{channel}: graph_version = {version} is not a version like {default}"),
    "graph.version_ended": ("{channel}: Graph API {version} sudah berakhir pada {date}; ganti [{channel}] "
                            "graph_version ke {default}",
                            "{channel}: Graph API {version} ended on {date}; set [{channel}] graph_version to "
                            "{default}"),
    "graph.version_ending": ("{channel}: Graph API {version} berakhir pada {date}; ganti [{channel}] graph_version "
                             "ke {default} sebelum itu",
                             "{channel}: Graph API {version} ends on {date}; set [{channel}] graph_version to "
                             "{default} before then"),
    "graph.no_app_token": ("{channel}: masa berlaku token tidak bisa diperiksa: isi [{channel}] app_id dan "
                           "app_secret (aplikasi Meta pemilik token) agar desk bisa menanyakannya ke /debug_token",
                           "{channel}: the token's expiry cannot be checked: set [{channel}] app_id and app_secret "
                           "(the token's Meta app) so the desk can ask /debug_token"),
    "facebook.what.photo": ("posting foto Facebook", "Facebook photo post"),
    "facebook.what.feed": ("posting Facebook", "Facebook feed post"),
    "facebook.what.permalink": ("tautan posting Facebook", "Facebook permalink"),
    "facebook.what.search": ("pencarian posting Halaman Facebook", "Facebook Page post search"),
    "facebook.nothing": ("Facebook: tidak ada yang bisa diposting (tanpa keterangan, tautan, atau gambar)",
                         "Facebook: nothing to post (no caption, link or image)"),
    "facebook.no_id": ("Facebook menerima posting tetapi tidak memberi id-nya",
                       "Facebook accepted the post but returned no id"),
    "facebook.cannot_search": ("Halaman tidak bisa dicari (izin pages_read_engagement?): {detail}",
                               "the Page cannot be searched (pages_read_engagement?): {detail}"),
    "facebook.look": ("Buka {page} dan cari posting dengan tautan atau teks \u201c{clue}\u201d; jika sudah ada, "
                      "catat URL-nya; jika belum, serahkan kembali ke job.",
                      "Open {page} and look for a post with the link or text \u201c{clue}\u201d; if it is there, "
                      "record its URL; if not, hand it back to the job."),
    "instagram.what.container": ("wadah media Instagram", "Instagram media container"),
    "instagram.what.status": ("status wadah Instagram", "Instagram container status"),
    "instagram.what.publish": ("penerbitan Instagram", "Instagram publish"),
    "instagram.what.permalink": ("tautan posting Instagram", "Instagram permalink"),
    "instagram.what.quota": ("batas penerbitan Instagram", "Instagram publishing limit"),
    "instagram.caption_long": ("keterangan {n} karakter, Instagram membolehkan {limit}",
                               "caption is {n} characters, Instagram allows {limit}"),
    "instagram.hashtags": ("keterangan memuat {n} tagar, Instagram membolehkan {limit}",
                           "caption has {n} hashtags, Instagram allows {limit}"),
    "instagram.mentions": ("keterangan memuat {n} sebutan @akun, Instagram membolehkan {limit}",
                           "caption has {n} @mentions, Instagram allows {limit}"),
    "instagram.needs_image": ("Instagram membutuhkan gambar", "Instagram needs an image"),
    "instagram.no_public_url": ("gambar belum punya alamat publik (Instagram mengunduhnya dari situs web)",
                                "the image has no public URL yet (Instagram downloads it from the website)"),
    "instagram.image_not_public": ("alamat gambar {url} {why} (Meta mengunduh gambar sendiri)",
                                   "the image address {url} {why} (Meta downloads the picture itself)"),
    "instagram.jpeg_only": ("Instagram hanya menerima gambar JPEG, bukan {mime}",
                            "Instagram accepts JPEG images only, not {mime}"),
    "instagram.refused": ("Instagram: {problems}", "Instagram: {problems}"),
    "instagram.fetch_failed": ("Meta belum bisa mengunduh gambar {url}; dicoba lagi ({detail})",
                               "Meta could not download the image {url} yet; trying again ({detail})"),
    "instagram.no_container_id": ("wadah media Instagram: id tidak diberikan", "Instagram media container: no id"),
    "instagram.container_not_visible": ("wadah {container} belum terlihat (100/33); dicoba lagi",
                                        "container {container} not visible yet (100/33); trying again"),
    "instagram.container_failed": ("Instagram tidak bisa memproses gambar ({status}: {detail})",
                                   "Instagram could not process the image ({status}: {detail})"),
    "instagram.still_processing": ("wadah Instagram {container} masih {status}",
                                   "Instagram container {container} still {status}"),
    "instagram.not_finished": ("Instagram belum selesai memproses gambar setelah {n} pemeriksaan",
                               "Instagram did not finish processing the image after {n} checks"),
    "instagram.quota": ("batas penerbitan Instagram tercapai ({used} dari {total} dalam 24 jam)",
                        "Instagram publishing limit reached ({used} of {total} in 24 h)"),
    "instagram.quota_refused": ("Instagram menolak karena batas penerbitan harian tercapai ({detail})",
                                "Instagram refused: the daily publishing limit is reached ({detail})"),
    "instagram.not_ready": ("wadah belum siap diterbitkan (9007/2207027); dicoba lagi ({detail})",
                            "the container is not ready for publishing (9007/2207027); trying again ({detail})"),
    "instagram.publish_again": ("wadah masih FINISHED (belum terbit) setelah jawaban tidak jelas; diterbitkan lagi "
                                "dengan wadah yang sama ({detail})",
                                "the container is still FINISHED (not published) after an unclear answer; "
                                "publishing the same container again ({detail})"),
    "instagram.no_media_id": ("Instagram menerima penerbitan tetapi tidak memberi id media, dan status wadah tidak "
                              "bisa dipastikan",
                              "Instagram accepted the publish but returned no media id, and the container's status "
                              "could not be confirmed"),
    "instagram.container_gone": ("wadah {container} dari percobaan sebelumnya tidak bisa dibaca lagi (100/33)",
                                 "the container {container} of an earlier try cannot be read any more (100/33)"),
    "instagram.cannot_search": ("Instagram tidak bisa dicari tanpa id wadah dari percobaan sebelumnya",
                                "Instagram cannot be searched without the container id of an earlier try"),
    "instagram.look": ("Buka akun Instagram {account} dan cari posting berketerangan \u201c{caption}\u201d (wadah "
                       "{container}); jika sudah ada, catat URL-nya; jika belum, serahkan kembali ke job.",
                       "Open the Instagram account {account} and look for a post captioned \u201c{caption}\u201d "
                       "(container {container}); if it is there, record its URL; if not, hand it back to the job."),
    "telegram.what": ("Telegram {method}", "Telegram {method}"),
    "telegram.migrated": ("{what}: grup sudah menjadi supergrup; isi chat_id {chat_id} di [telegram]",
                          "{what}: the group became a supergroup; set chat_id {chat_id} in [telegram]"),
    "telegram.token_rejected": ("{what}: token bot ditolak ({detail}); buat token baru di @BotFather dan isi "
                                "[telegram] bot_token",
                                "{what}: bot token rejected ({detail}); make a new one with @BotFather and set "
                                "[telegram] bot_token"),
    "telegram.forbidden": ("{what}: {detail} (apakah bot sudah menjadi admin kanal?)",
                           "{what}: {detail} (is the bot an administrator of the channel?)"),
    "telegram.cannot_search": ("Bot API tidak bisa membaca riwayat kanal",
                               "the Bot API cannot read a channel's history"),
    "telegram.the_chat": ("chat {chat}", "the chat {chat}"),
    "telegram.look": ("Buka {where} dan cari pesan dengan tautan atau teks \u201c{clue}\u201d; jika sudah ada, "
                      "catat URL-nya; jika belum, serahkan kembali ke job.",
                      "Open {where} and look for a message with the link or text \u201c{clue}\u201d; if it is "
                      "there, record its URL; if not, hand it back to the job."),
    "telegram.caption_long": ("Telegram: keterangan foto paling banyak {limit} karakter, yang ini {n}; persingkat "
                              "keterangan Telegram atau terbitkan tanpa gambar",
                              "Telegram: a photo caption allows {limit} characters, this one has {n}; shorten the "
                              "Telegram caption or publish without the image"),
    "telegram.nothing": ("Telegram: tidak ada yang bisa diposting (keterangan kosong dan tanpa gambar)",
                         "Telegram: nothing to post (empty caption and no image)"),
    "telegram.text_long": ("Telegram: pesan paling banyak {limit} karakter, yang ini {n}",
                           "Telegram: a message allows {limit} characters, this one has {n}"),
    "telegram.no_id": ("Telegram menerima posting tetapi tidak memberi id pesan",
                       "Telegram accepted the post but returned no message id"),
    "telegram.unreachable": ("Telegram tidak bisa dihubungi: {detail}", "could not reach Telegram: {detail}"),
    "telegram.ok": ("bot @{bot} bisa menjangkau {chat}", "bot @{bot} can reach {chat}"),
    "wordpress.what.discovery": ("penemuan API WordPress", "WordPress API discovery"),
    "wordpress.what.sign_in": ("masuk WordPress", "WordPress sign-in"),
    "wordpress.what.lookup": ("pencarian posting WordPress", "WordPress post lookup"),
    "wordpress.what.post": ("posting WordPress", "WordPress post"),
    "wordpress.what.image": ("gambar WordPress {n} ({name})", "WordPress image {n} ({name})"),
    "wordpress.what.tag": ("tag WordPress {name!r}", "WordPress tag {name!r}"),
    "wordpress.what.category": ("kategori WordPress {name!r}", "WordPress category {name!r}"),
    "wordpress.refused_401": ("WordPress menolak kata sandi aplikasi (401) untuk pengguna {user!r}{detail}",
                              "WordPress refused the application password (401) for user {user!r}{detail}"),
    "wordpress.forbidden": ("{what}: pengguna WordPress {user!r} tidak diizinkan (403){detail}",
                            "{what}: WordPress user {user!r} is not allowed (403){detail}"),
    "wordpress.refused": ("{what}: WordPress menolak permintaan (HTTP {status}){detail}",
                          "{what}: WordPress refused the request (HTTP {status}){detail}"),
    "wordpress.no_rest_api": ("{what}: {url} tidak mengumumkan REST API (tidak ada header Link maupun elemen <link> "
                              "rel=\"{rel}\"); apakah ini situs WordPress dengan REST API aktif?",
                              "{what}: {url} announces no REST API (neither a Link header nor a <link> element "
                              "rel=\"{rel}\"); is this a WordPress site with the REST API enabled?"),
    "wordpress.html_reply": ("{what}: WordPress menjawab {status} berupa halaman HTML, bukan JSON {expect}; periksa "
                             "alamat situs dan pengaturan permalink-nya",
                             "{what}: WordPress answered {status} with an HTML page instead of {expect} JSON; check "
                             "the site address and its permalink settings"),
    "wordpress.no_user": ("{what}: /users/me tidak menjelaskan seorang pengguna",
                          "{what}: /users/me did not describe a user"),
    "wordpress.401_needs_https": ("WordPress tidak menerima kata sandi aplikasi untuk {user!r} (401): situs "
                                  "{url} dibuka lewat http biasa, dan WordPress hanya mengaktifkan Application "
                                  "Passwords lewat HTTPS; ganti [wordpress] base_url ke alamat https://",
                                  "WordPress did not accept the application password for {user!r} (401): the "
                                  "site {url} is plain http, and WordPress enables Application Passwords over "
                                  "HTTPS only; set [wordpress] base_url to its https:// address"),
    "wordpress.401_disabled": ("WordPress tidak menerima kata sandi aplikasi untuk {user!r} (401): situs ini "
                               "mematikan Application Passwords (plugin keamanan atau pengaturan); aktifkan lagi",
                               "WordPress did not accept the application password for {user!r} (401): this site "
                               "has Application Passwords switched off (a security plugin or setting); switch them "
                               "back on"),
    "wordpress.401_password_or_header": ("WordPress tidak melihat pengguna yang masuk (401) untuk {user!r}. "
                                         "Penyebabnya salah satu dari dua: (1) kata sandi aplikasi salah atau "
                                         "dicabut: buat yang baru di Profil pengguna WordPress dan isi [wordpress] "
                                         "app_password; (2) server web membuang header Authorization sebelum "
                                         "sampai ke WordPress (umum pada PHP CGI/FastCGI; Site Health WordPress "
                                         "menyebut \u201cThe authorization header is missing\u201d): tambahkan "
                                         "RewriteRule .* - [E=HTTP_AUTHORIZATION:%{{HTTP:Authorization}}] di "
                                         ".htaccess",
                                         "WordPress saw no signed-in user (401) for {user!r}. It is one of two: (1) "
                                         "the application password is wrong or revoked: make a new one in the "
                                         "WordPress user's Profile and set [wordpress] app_password; (2) the web "
                                         "server drops the Authorization header before WordPress sees it (common "
                                         "with PHP under CGI/FastCGI; WordPress Site Health says \u201cThe "
                                         "authorization header is missing\u201d): add RewriteRule .* - "
                                         "[E=HTTP_AUTHORIZATION:%{{HTTP:Authorization}}] to .htaccess"),
    "wordpress.no_key": ("WordPress: posting tidak punya kunci, jadi tidak akan pernah bisa ditemukan lagi",
                         "WordPress: the post has no key, so it could never be found again"),
    "wordpress.unreachable": ("WordPress tidak bisa dihubungi: {detail}", "could not reach WordPress: {detail}"),
    "wordpress.lacks": ("pengguna WordPress {user} tidak punya izin: {caps}", "WordPress user {user} lacks: {caps}"),
    "wordpress.ok": ("masuk ke WordPress sebagai {user}", "signed in to WordPress as {user}"),
    "wordpress.naive_time": ("WordPress: waktu tayang {at} tidak punya zona waktu",
                             "WordPress: publish_at {at} has no time zone"),
    "wordpress.no_id": ("WordPress menerima posting tetapi tidak memberi id-nya",
                        "WordPress accepted the post but returned no id"),
    "wordpress.no_media_id": ("{what}: WordPress tidak memberi id media", "{what}: WordPress returned no media id"),
    "wordpress.no_term_id": ("{what}: WordPress tidak memberi id istilah", "{what}: WordPress returned no term id"),
    "site.not_writable": ("folder situs web tidak bisa ditulisi: {detail}",
                          "the website folder is not writable: {detail}"),
    "site.write_failed": ("menulis situs web gagal: {detail}", "writing the website failed: {detail}"),
    "site.same_file_name": ("dua gambar posting ini bernama file sama; ganti nama salah satunya lalu terbitkan lagi",
                            "two images of this post have the same file name; rename one and publish again"),
    "site.naive_time": ("waktu tayang tidak punya zona waktu", "the publication time has no time zone"),
    "site.manifest_damaged": ("daftar posting situs {path} rusak; pulihkan dari cadangan: {detail}",
                              "the site manifest {path} is damaged; restore it from backup: {detail}"),
    "site.bad_key": ("{slug!r} tidak bisa dipakai sebagai alamat halaman (hanya a-z, 0-9 dan '-')",
                     "{slug!r} cannot be used as a page address (only a-z, 0-9 and '-')"),
    "site.mime": ("situs web tidak menyajikan gambar {mime}", "the site does not serve {mime} images"),
    "site.not_web": ("alamat situs {url!r} bukan alamat http(s)", "the site address {url!r} is not an http(s) URL"),
    "site.cannot_write": ("tidak bisa menulis ke folder situs web {root}: {detail}",
                          "cannot write to the website folder {root}: {detail}"),
    "site.ok": ("menulis ke {root}, disajikan di {url}", "writing to {root}, served at {url}"),
    "media.no_folder": ("job tidak diberi folder media, jadi gambar konten ini tidak bisa diposting",
                        "the job was given no media folder, so it cannot post this item's pictures"),
    "media.no_path": ("gambar {name}: rujukannya tidak punya path", "image {name}: the reference has no path"),
    "media.missing": ("gambar {name} tidak ada di folder media {folder}",
                      "image {name} is missing from the media folder {folder}"),
    "media.unusable": ("gambar {name}: {detail}", "image {name}: {detail}"),
    "wordpress.look": ("Buka {url} dan cari posting dengan slug {slug}; jika sudah ada, catat URL-nya; jika belum, "
                       "serahkan kembali ke job.",
                       "Open {url} and look for the post with the slug {slug}; if it is there, record its URL; if "
                       "not, hand it back to the job."),
    # notifications (``sopkit.notify``): messages to people, and the desk's notification and outbox views
    "notify.kind.arrived": ("Tugas baru masuk", "Work arrived"),
    "notify.kind.returned": ("Konten dikembalikan ke saya", "Returned to me"),
    "notify.kind.reminder": ("Pengingat sebelum batas waktu", "Reminder before the limit"),
    "notify.kind.breach": ("Lewat batas waktu (eskalasi)", "Past the limit (escalation)"),
    "notify.kind.digest": ("Ringkasan harian", "Daily digest"),
    "notify.kind.publish_problem": ("Masalah penayangan", "Publishing problem"),
    "notify.channel.email": ("Email", "E-mail"),
    "notify.channel.telegram": ("Telegram", "Telegram"),
    "notify.channel.none": ("—", "—"),
    "notify.subject.arrived": ("Tugas baru: {step} — {title}", "New task: {step} — {title}"),
    "notify.subject.returned": ("Dikembalikan untuk diperbaiki: {title}", "Sent back for changes: {title}"),
    "notify.subject.reminder": ("Pengingat: {step} — {title}", "Reminder: {step} — {title}"),
    "notify.subject.breach": ("Lewat batas waktu: {step} — {title}", "Past the time limit: {step} — {title}"),
    "notify.subject.digest": ("Ringkasan harian SOP Konten, {date}", "Daily SOP content summary, {date}"),
    "notify.subject.publish_problem": ("Masalah penayangan di {channel}: {title}",
                                       "Publishing problem on {channel}: {title}"),
    "notify.greeting": ("Yth. {name},", "Dear {name},"),
    "notify.due": ("batas: {deadline}", "due: {deadline}"),
    "notify.lead.arrived": ("Konten ini menunggu Anda di langkah {n}, {step} — {due}.",
                            "This item is waiting for you at step {n}, {step} — {due}."),
    "notify.lead.queue": ("Konten ini masuk antrean {role} di langkah {n}, {step} — {due}. Ambil di desk bila Anda "
                          "yang mengerjakannya.",
                          "This item is in the {role} queue at step {n}, {step} — {due}. Take it on the desk if "
                          "you will handle it."),
    "notify.lead.returned": ("{reviewer} mengembalikan konten ini dari langkah {from_n} ({from_step}) untuk "
                             "diperbaiki — {due}.",
                             "{reviewer} sent this item back from step {from_n} ({from_step}) for changes — "
                             "{due}."),
    "notify.lead.reminder": ("{share}% dari batas waktu langkah {n}, {step}, sudah terpakai; sisa {left} — {due}.",
                             "{share}% of the time limit of step {n}, {step}, is used; {left} left — {due}."),
    "notify.lead.breach": ("Langkah {n}, {step}, sudah melewati batas waktunya ({due}); terlambat {over}.",
                           "Step {n}, {step}, is past its time limit ({due}); {over} late."),
    "notify.lead.digest": ("Ringkasan pekerjaan SOP Konten pada awal hari kerja ini.",
                           "The SOP content work at the start of this working day."),
    "notify.lead.publish_problem": ("Penayangan ke {channel} {state}: {error}",
                                    "Publishing to {channel} {state}: {error}"),
    "notify.state.failed": ("gagal", "failed"),
    "notify.state.unknown": ("belum pasti — periksa kanal", "is unknown — check the channel"),
    "notify.fact.title": ("Judul", "Title"),
    "notify.fact.summary": ("Ringkasan", "Summary"),
    "notify.fact.channels": ("Kanal", "Channels"),
    "notify.fact.holder": ("Dipegang oleh", "Held by"),
    "notify.fact.nobody": ("belum diambil (antrean {role})", "not taken yet ({role} queue)"),
    "notify.fact.note": ("Catatan", "Note"),
    "notify.fact.publish_at": ("Jadwal tayang", "Scheduled for"),
    "notify.fact.attempt": ("Percobaan", "Attempt"),
    "notify.check": ("Periksa sebelum memutuskan", "Check before deciding"),
    "notify.check.verification.facts": ("Fakta, angka, tanggal, nama dan jabatan sesuai sumber",
                                        "Facts, figures, dates, names and titles match the sources"),
    "notify.check.verification.reading": ("Tidak ada salah tafsir atas informasi",
                                          "Nothing is misread or misinterpreted"),
    "notify.check.verification.language": ("Ejaan dan tata bahasa benar, mudah dipahami",
                                           "Spelling and grammar are right, the text is easy to understand"),
    "notify.check.verification.media": ("Gambar sesuai isi dan punya teks alternatif",
                                        "Pictures fit the content and have alt text"),
    "notify.check.approval.verified": ("Konten sudah diverifikasi dan sejalan dengan kebijakan serta tujuan Dinas",
                                       "The content is verified and in line with the agency's policy and goals"),
    "notify.check.approval.channels": ("Layak tayang di kanal yang dipilih: {channels}",
                                       "Fit to publish on the chosen channels: {channels}"),
    "notify.check.approval.exempt": ("Tidak memuat informasi yang dikecualikan (UU 14/2008)",
                                     "Holds no exempt information (Law 14/2008)"),
    "notify.open": ("Buka konten di desk", "Open the item on the desk"),
    "notify.open_compliance": ("Buka laporan kepatuhan", "Open the compliance report"),
    "notify.footer": ("Pesan otomatis dari desk SOP Konten Dinas Perhubungan Prov. Kalbar. Atur notifikasi Anda: "
                      "{url}",
                      "An automatic message from the SOP content desk of Dinas Perhubungan Prov. Kalbar. Set "
                      "your notifications: {url}"),
    "notify.digest.overdue": ("Lewat batas waktu ({n})", "Past the time limit ({n})"),
    "notify.digest.due_today": ("Jatuh tempo hari ini ({n})", "Due today ({n})"),
    "notify.digest.rates": ("Ketepatan waktu per langkah, {day}", "On time per step, {day}"),
    "notify.digest.none": ("Tidak ada.", "None."),
    "notify.digest.more": ("… dan {n} lainnya", "… and {n} more"),
    "notify.digest.over_item": ("{title} — langkah {n}, terlambat {over}, {who}",
                                "{title} — step {n}, {over} late, {who}"),
    "notify.digest.due_item": ("{title} — langkah {n}, batas {at}, {who}", "{title} — step {n}, due {at}, {who}"),
    "notify.digest.rate": ("Langkah {n}, {step}: {on} dari {total} tepat waktu ({pct}%)",
                           "Step {n}, {step}: {on} of {total} on time ({pct}%)"),
    "notify.digest.rate_none": ("Langkah {n}, {step}: tidak ada yang selesai", "Step {n}, {step}: none finished"),
    "notify.minutes": ("{m} menit", "{m} min"),
    "notify.hours": ("{h} jam", "{h} h"),
    "notify.hours_minutes": ("{h} jam {m} menit", "{h} h {m} min"),
    "notify.linked": ("Akun Telegram ini sekarang menerima notifikasi desk SOP Konten untuk {name}.",
                      "This Telegram account now receives the SOP content desk's notifications for {name}."),
    "notify.unreachable.no_channel": ("tidak memilih kanal notifikasi apa pun", "chose no notification channel"),
    "notify.unreachable.no_chat": ("memilih Telegram tetapi belum menghubungkan chat",
                                   "chose Telegram but linked no chat"),
    "notify.unreachable.inactive": ("akunnya dinonaktifkan", "the account is deactivated"),
    "notify.unreachable.not_a_user": ("bukan pengguna desk", "not a user of the desk"),
    "notify.status.free": ("menunggu", "waiting"),
    "notify.status.claimed": ("sedang diproses", "being handled"),
    "notify.status.stale": ("tidak dikirim — run berhenti sebelum mengirim",
                            "not sent — the run stopped before sending"),
    "notify.status.sending": ("sedang dikirim", "being sent"),
    "notify.status.sent": ("terkirim", "sent"),
    "notify.status.failed": ("gagal", "failed"),
    "notify.status.retry": ("dicoba lagi nanti", "to be retried"),
    "notify.status.recorded": ("dicatat, tidak dikirim", "recorded, not sent"),
    "notify.status.unknown": ("belum pasti — mungkin sudah sampai", "unknown — may have arrived"),
    "notify.status.unreachable": ("tanpa alamat", "no address"),
    "page.notifications": ("Notifikasi", "Notifications"),
    "notifypage.intro": ("Pilih kabar apa yang Anda terima dari desk, lewat mana, dan dalam bahasa apa. Email dikirim "
                         "segera; pesan Telegram di luar jam kerja menunggu jam kerja berikutnya.",
                         "Choose which messages the desk sends you, where, and in which language. E-mail goes at "
                         "once; Telegram messages outside working hours wait for the next working hours."),
    "notifypage.lang": ("Bahasa pesan", "Language of the messages"),
    "notifypage.kinds": ("Jenis pesan", "Kinds of message"),
    "notifypage.channels": ("Kirim lewat", "Send by"),
    "notifypage.save": ("Simpan pengaturan notifikasi", "Save notification settings"),
    "notifypage.saved": ("Pengaturan notifikasi disimpan.", "Notification settings saved."),
    "notifypage.email_to": ("Email dikirim ke alamat akun Anda: {email}", "E-mail goes to your account's address: "
                            "{email}"),
    "notifypage.no_channel": ("Tanpa kanal Anda tidak menerima pesan apa pun, dan admin melihat Anda di daftar "
                              "pengguna tanpa alamat.",
                              "With no channel you receive nothing, and the admin sees you among the users with no "
                              "address."),
    "notifypage.tg_title": ("Telegram", "Telegram"),
    "notifypage.tg_linked": ("Telegram terhubung (chat {chat}).", "Telegram is linked (chat {chat})."),
    "notifypage.tg_unlink": ("Putuskan Telegram", "Unlink Telegram"),
    "notifypage.tg_unlinked": ("Telegram diputuskan.", "Telegram unlinked."),
    "notifypage.tg_how": ("Untuk menghubungkan Telegram, kirim pesan ini ke bot desk: /start {code} — chat Anda "
                          "terhubung pada run notifikasi berikutnya (paling lama satu menit).",
                          "To link Telegram, send this message to the desk's bot: /start {code} — your chat is "
                          "linked on the next notification run (within a minute)."),
    "notifypage.tg_open": ("Buka bot di Telegram", "Open the bot in Telegram"),
    "notifypage.tg_none": ("Bot Telegram belum diatur oleh admin.", "No Telegram bot is set up yet."),
    "admin.outbox": ("Notifikasi", "Notifications"),
    "admin.outbox_problems": ("Hanya yang bermasalah", "Problems only"),
    "admin.outbox_empty": ("Belum ada notifikasi.", "No notifications yet."),
    "admin.outbox_counts": ("{sent} terkirim · {problems} bermasalah · {recorded} dicatat tanpa dikirim",
                            "{sent} sent · {problems} with a problem · {recorded} recorded without sending"),
    "admin.outbox_pick": ("Pesan yang dikirim ulang", "Message to send again"),
    "admin.outbox_retry": ("Kirim ulang", "Send again"),
    "admin.outbox_requeued": ("Diserahkan kembali: terkirim pada run notifikasi berikutnya bila masih berlaku.",
                              "Handed back: it goes on the next notification run if it still applies."),
    "admin.no_smtp": ("SMTP belum diatur ([smtp] host): pesan email hanya dicatat di sini, tidak dikirim.",
                      "SMTP is not set up ([smtp] host): e-mail messages are only recorded here, not sent."),
    "admin.unreachable": ("Pengguna tanpa alamat notifikasi", "Users with no address for notifications"),
    "admin.all_reachable": ("Setiap pengguna aktif bisa dihubungi.", "Every active user can be reached."),
    "admin.chat_id": ("Chat Telegram seorang pengguna (diisi admin)", "A user's Telegram chat (entered by the admin)"),
    "admin.chat_id_value": ("Chat id", "Chat id"),
    "admin.chat_save": ("Simpan chat", "Save chat"),
    "admin.chat_saved": ("Chat Telegram {name} disimpan.", "{name}'s Telegram chat saved."),
    "admin.chat_bad": ("Chat id Telegram berupa angka.", "A Telegram chat id is a number."),
    "col.status": ("Status", "Status"),
    "col.kind": ("Jenis", "Kind"),
    "col.to": ("Kepada", "To"),
    "col.channel": ("Kanal", "Channel"),
    "col.subject": ("Perihal", "Subject"),
    "col.detail": ("Keterangan", "Detail"),
    "col.at": ("Waktu", "When"),
    "notify.link_unknown": ("Kode ini tidak dikenal. Buka halaman Notifikasi di desk untuk kode yang benar.",
                            "This code is not known. Open the Notifications page on the desk for the right code."),
}


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    text = CATALOGUE[key][1 if lang == "en" else 0]
    return text.format(**values) if values else text


def format_duration(minutes: float, lang: str = DEFAULT_LANG) -> str:
    """A span as staff say it: ``2 jam 15 menit``, ``1 hari 3 jam`` (the two largest parts, days of 24 hours),
    ``kurang dari 1 menit``; the sign is dropped (the sentence around it says "in" or "past")."""
    total = int(round(abs(minutes)))
    if total < 1:
        return t("duration.under_minute", lang)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [(days, "duration.days"), (hours, "duration.hours"), (mins, "duration.minutes")]
    first = next(n for n, (v, _) in enumerate(parts) if v)
    return " ".join(t(key, lang, n=v) for v, key in parts[first:first + 2] if v)


MONTHS: dict[str, tuple[str, ...]] = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def format_date(day: dt.date, lang: str = DEFAULT_LANG, long: bool = False) -> str:
    """``2 Des 2026`` (or ``2 Desember 2026`` with ``long``); English month names for ``en``."""
    names = (MONTH_NAMES if long else MONTHS)["en" if lang == "en" else "id"]
    return f"{day.day} {names[day.month - 1]} {day.year}"


DAYS: dict[str, tuple[str, ...]] = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def format_day_time(ts: dt.datetime | None, lang: str, tz: dt.tzinfo) -> str:
    """:func:`format_time` with the weekday in front: ``Rabu 2 Des 2026 10.30 WIB`` (for deadlines in messages)."""
    if ts is None:
        return "—"
    day = DAYS["en" if lang == "en" else "id"][ts.astimezone(tz).weekday()]
    return f"{day} {format_time(ts, lang, tz)}"


def format_weekday_date(day: dt.date, lang: str) -> str:
    """``Jumat 27 Nov 2026`` / ``Friday 27 Nov 2026`` (a digest's day)."""
    key = "en" if lang == "en" else "id"
    return f"{DAYS[key][day.weekday()]} {day.day} {MONTHS[key][day.month - 1]} {day.year}"


def format_time(ts: dt.datetime | None, lang: str, tz: dt.tzinfo) -> str:
    """A moment as staff read it: ``26 Nov 2026 10.00 WIB`` (id: a dot between hours and minutes) or
    ``26 Nov 2026 10:00 WIB`` (en), in ``tz`` with its abbreviation (WIB / WITA / WIT); ``—`` for none."""
    if ts is None:
        return "—"
    local = ts.astimezone(tz)
    sep = ":" if lang == "en" else "."
    month = MONTHS["en" if lang == "en" else "id"][local.month - 1]
    return f"{local.day} {month} {local.year} {local.hour:02d}{sep}{local.minute:02d} {local.strftime('%Z')}".rstrip()


def format_iso(text: Any, lang: str, tz: dt.tzinfo) -> str:
    """:func:`format_time` of an ISO 8601 string as the store holds it; blank → ``—``; unreadable text unchanged."""
    if text is None or text != text:  # None, NaN or NaT (neither equals itself)
        return "—"
    if isinstance(text, dt.datetime):
        return format_time(text, lang, tz)
    raw = str(text).strip()
    if not raw or raw in ("NaT", "nan", "None"):
        return "—"
    try:
        ts = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return raw
    return format_time(ts if ts.tzinfo else ts.replace(tzinfo=tz), lang, tz)


def status_key(prefix: str, status: Any) -> tuple[str, dict[str, str]]:
    """The catalogue key (and values) for a status word: ``prefix.<status>`` when the catalogue has it, else a
    generic "unrecognised status" text, so a hand-edited Sheet never breaks a page."""
    word = str(status or "").strip() or "none"
    key = f"{prefix}.{word}"
    if key in CATALOGUE:
        return key, {}
    return "publisher.status.other", {"status": word}
