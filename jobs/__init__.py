"""Jobs run outside the desk's pages, by cron or a systemd timer (``python -m jobs.publish``)."""
