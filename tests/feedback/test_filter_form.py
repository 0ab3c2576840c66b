"""The inbox's account filter lists every account the AM owns (hundreds in a large book),
written by a widget of its own: the same choices, selection and escaping as Django's."""

from html.parser import HTMLParser

from django import forms

from feedback.forms import AnswerFilterForm


class _Options(HTMLParser):
    def __init__(self):
        super().__init__()
        self.options, self.select_attrs, self._open = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "select":
            self.select_attrs = dict(attrs)
        if tag == "option":
            self._open = dict(attrs)
            self.options.append([self._open.get("value"), "selected" in self._open, ""])

    def handle_data(self, data):
        if self._open is not None:
            self.options[-1][2] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self._open = None


def _parsed(html: str) -> _Options:
    parser = _Options()
    parser.feed(html)
    return parser


class _Account:
    def __init__(self, pk, name):
        self.pk, self.name = pk, name


def test_the_account_select_reads_as_djangos_own():
    accounts = [_Account(3, "Acme A/S"), _Account(7, 'Bad <b>"name"</b> & co'), _Account(12, "Østergaard")]
    for data in ({}, {"account": "7"}, {"account": "999"}):
        form = AnswerFilterForm(data, accounts=accounts)
        form.is_valid()
        ours = _parsed(str(form["account"]))
        form.fields["account"].widget = forms.Select(choices=form.fields["account"].choices)
        django_s = _parsed(str(form["account"]))
        assert ours.options == [[v, s, t.strip()] for v, s, t in django_s.options]
        assert ours.select_attrs == django_s.select_attrs
    assert "&lt;b&gt;" in str(AnswerFilterForm({}, accounts=accounts)["account"])
