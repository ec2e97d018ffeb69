"""The gateway: the chat platforms' side of BAMSOS.

Webhooks in (`app`): WhatsApp Business Cloud API, Telegram Bot API, Meta's Messenger and
Instagram webhooks, and X's Account Activity API, each checked (signature or secret token),
turned into `bamsos.inquiry/1` and `bamsos.receipt/1` and published with publisher confirms before
the platform gets its 200. Replies out (`sender`): `bamsos.replies` is consumed, each reply sent
once through the platform's send API, recorded before it is acked. What each platform's messages
look like is in its own module (`whatsapp`, `telegram`, `meta`, `x`, `mail`), plain functions with
no I/O. E-mail comes from the office's mailbox (`mailbox`, IMAP IDLE) and goes out over SMTP
(`smtp`).
"""
