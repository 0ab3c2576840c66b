"""The invitation's score buttons survive Outlook on Windows (no inline-block, no
max-width): a table row of eleven fixed cells in its conditional comments, and each
button a sized, coloured table cell. How they look in a browser at 360 and 600 px:
tests/browser/test_invitation_email_buttons.py."""

import re

from surveys.invitation_email import invitation_email
from surveys.models import Program
from tests.factories import ContactFactory, InvitationFactory


def test_outlook_gets_the_eleven_buttons_in_one_table_row_of_sized_cells(account):
    invitation = InvitationFactory(contact=ContactFactory(account=account))
    html = invitation_email(invitation, program=Program.current()).alternatives[0][0]
    ghost_cells = re.findall(r'<!--\[if mso\]><td width="48"[^>]*><!\[endif\]-->', html)
    assert len(ghost_cells) == 11
    assert html.count("<!--[if mso]><table") == 2  # the 600 px frame and the buttons' row
    buttons = re.findall(r'<td [^>]*width="44" height="44" bgcolor="#1f5fbf"[^>]*><a href="[^"]+\?score=(\d+)"', html)
    assert buttons == [str(n) for n in range(11)]
