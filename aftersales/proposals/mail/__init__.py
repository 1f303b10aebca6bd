"""P4: proposals that arrive by email.

parse.py turns raw RFC 822 bytes into one normalized structure, whatever
charset the sender used or mislabelled; intake.py decides what the mail is
(a new proposal, a reply to one, automatic mail, a duplicate) and stores it;
imap.py reads a mailbox and hands each message to the intake on its own.
"""
