"""An aiosmtpd handler for the alert tests: each message it accepts becomes N.eml (the raw message)
and N.rcpt (its envelope recipients, one a line) in the directory given on the command line.
Run: PYTHONPATH=<this dir> /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink DIR"""
import itertools
import os


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.numbers = itertools.count(1)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink takes the directory to write messages to")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        n = next(self.numbers)
        base = os.path.join(self.directory, str(n))
        with open(base + ".rcpt.tmp", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        # The .eml appears last and whole: a test that sees it may read both files.
        os.rename(base + ".rcpt.tmp", base + ".rcpt")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK"
