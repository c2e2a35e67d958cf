"""The six intake channels of the procedure (plus the public web form) and how each one behaves."""

CHANNELS = ("telefon", "faks", "eposta", "posta_kargo", "yuz_yuze", "anket", "web")
IMMEDIATE_CHANNELS = ("telefon", "yuz_yuze")
CONTACT_CHANNELS = ("eposta", "telefon")
# Channels whose complaint may arrive before it is keyed in: the deadlines count from receipt.
RECEIVED_EARLIER_CHANNELS = ("faks", "posta_kargo")
