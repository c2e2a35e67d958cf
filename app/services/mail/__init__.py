"""Mail: compose from templates, send over SMTP through the outbox, parse and file inbound mail
(pipe, Maildir, IMAP), and decide whether a sender is believable."""
