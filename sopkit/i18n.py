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
    # officer
    "officer.start": ("Mulai konten baru", "Start a new item"),
    "officer.start_button": ("Mulai", "Start"),
    "officer.attach": ("Lampiran: gambar, video, dokumen", "Attachments: images, video, documents"),
    "officer.attach_help": ("Gambar diperiksa dari isinya, bukan nama file.",
                            "Pictures are checked by their content, not their file name."),
    "officer.attached": ("Terlampir: {names}", "Attached: {names}"),
    "officer.mine": ("Sedang saya kumpulkan", "Being collected by me"),
    "officer.none": ("Tidak ada konten di langkah 1.", "No items at step 1."),
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
    "publisher.status.other": ("status tidak dikenal: {status}", "unrecognised status: {status}"),
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
    "compliance.csv": ("Unduh CSV", "Download CSV"),
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
    "admin.limits": ("Batas waktu per langkah (menit)", "Time limit per step (minutes)"),
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
    "admin.extra_holidays": ("Libur tambahan (tanggal, dipisah koma)", "Extra holidays (dates, comma-separated)"),
    "admin.extra_working_days": ("Hari kerja tambahan", "Extra working days"),
    "admin.header": ("Identitas SOP", "SOP header"),
    "admin.save_settings": ("Simpan pengaturan", "Save settings"),
    "admin.saved_settings": ("Pengaturan disimpan.", "Settings saved."),
    "admin.open_sheet": ("Buka Google Sheet", "Open the Google Sheet"),
    "admin.register_help": ("Hanya kolom isi yang bisa dikoreksi; langkah dan status berubah lewat alur SOP.",
                            "Only content columns can be corrected; step and status change through the SOP flow."),
    "admin.save_register": ("Simpan perubahan Register", "Save Register changes"),
    "admin.row_refused": ("Baris {id} tidak disimpan: {reason}", "Row {id} not saved: {reason}"),
    "admin.saved_rows": ("{n} baris disimpan.", "{n} rows saved."),
    "admin.credentials": ("Periksa kredensial kanal sebelum konten terjadwal jatuh tempo:",
                          "Check the channel credentials before scheduled items fall due:"),
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
}


def t(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    text = CATALOGUE[key][1 if lang == "en" else 0]
    return text.format(**values) if values else text


MONTHS: dict[str, tuple[str, ...]] = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


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
