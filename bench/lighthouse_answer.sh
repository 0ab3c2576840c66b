#!/usr/bin/env bash
# Lighthouse (mobile) on the customer's answer page and on the two staff pages used most
# (the AM's inbox, the RM's region rollup, signed in by a session cookie), served by
# gunicorn like production (DEBUG off) on a throwaway SQLite database; prints the
# accessibility and performance scores. Targets: accessibility 100, performance >= 95.
#
#   bench/lighthouse_answer.sh
#
# Lighthouse comes from npm into $LH_DIR (default /tmp/pulse-lighthouse; never committed)
# and drives Debian's Chromium ($CHROME_PATH, default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
LH_DIR=${LH_DIR:-/tmp/pulse-lighthouse}
LH_VERSION=${LH_VERSION:-12.8.2}
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}

if [ ! -x "$LH_DIR/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$LH_DIR"
  npm install --silent --no-audit --no-fund --prefix "$LH_DIR" "lighthouse@$LH_VERSION" >/dev/null
fi

WORK=$(mktemp -d /tmp/pulse-lh-XXXXXX)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite:///$WORK/lh.sqlite3" DEBUG=0 SECRET_KEY="lighthouse-only-$RANDOM$RANDOM-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
export SITE_URL="http://127.0.0.1:$PORT" REDIS_URL="" LOG_LEVEL=ERROR MAIL_DIR="$WORK/mail"
unset REDIS_URL

cleanup() {
  if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

$PY manage.py migrate --noinput -v 0
# Two links: one not answered yet (the email's "3" button), one answered with reasons; then
# the AM's inbox and the RM's region, each line "name|path|session key".
PAGES=$($PY manage.py shell -v 0 -c '
from datetime import timedelta
from django.utils import timezone
from feedback.models import Response, category_for_score
from surveys.models import Account, Contact, Invitation, Program, Region, User, Wave
from surveys.tokens import invitation_token, token_fields_new
Program.current().save()
am = User.objects.create_user("lh.am@pulse.test", full_name="Anna Andersen", role="am")
account = Account.objects.create(external_id="LH1", name="Nordic Freight", region=Region.objects.create(name="North"), owner=am)
wave = Wave.objects.create(month=timezone.localdate().replace(day=1), status="sent")
now = timezone.now()
links = []
for i, email in enumerate(["carla@customer.test", "dan@customer.test"]):
    contact = Contact.objects.create(account=account, email=email, name="Carla Customer", level="manager")
    inv = Invitation.objects.create(wave=wave, contact=contact, account=account, status="sent", sent_at=now,
                                    expires_at=now + timedelta(days=30), **token_fields_new())
    links.append(f"/r/{invitation_token(inv)}/" + ("?score=3" if i == 0 else ""))
    if i == 1:
        Response.objects.create(invitation=inv, contact=contact, account=account, score=6,
                                category=category_for_score(6), reason="Deliveries were late twice.")
print(f"answer form (from the email\x27s 3)|{links[0]}|")
print(f"answer form (answered before)|{links[1]}|")
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from feedback.summaries import summary_rebuild
rm = User.objects.create_user("lh.rm@pulse.test", full_name="Rasmus Rask", role="rm")
Region.objects.filter(pk=account.region_id).update(manager=rm)
for n, score in enumerate([10, 9, 2, 7, 9, 4, 10, 8, 9, 3, 10, 6]):
    contact = Contact.objects.create(account=account, email=f"c{n}@customer.test", name=f"Contact {n}", level="operational")
    inv = Invitation.objects.create(wave=wave, contact=contact, account=account, status="sent", sent_at=now,
                                    expires_at=now + timedelta(days=30), **token_fields_new())
    Response.objects.create(invitation=inv, contact=contact, account=account, score=score,
                            category=category_for_score(score), reason="Good service, slow invoices." if n % 2 else "")
summary_rebuild()
def session_for(user):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key
print(f"inbox (account manager)|/inbox/|{session_for(am)}")
print(f"region rollup (regional manager)|/region/|{session_for(rm)}")
')

$PY -m gunicorn config.wsgi -w 2 -b "127.0.0.1:$PORT" --log-level error &
SERVER=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
  sleep 0.1
done

printf '%-34s %14s %12s\n' "page (Lighthouse $LH_VERSION, mobile)" accessibility performance
while IFS='|' read -r name path session; do
  headers='{}'
  [ -n "$session" ] && headers="{\"Cookie\": \"sessionid=$session\"}"
  # Lighthouse now and then fails to record its trace (NO_NAVSTART): one more try, then say why.
  for attempt in 1 2; do
    if "$LH_DIR/node_modules/.bin/lighthouse" "http://127.0.0.1:$PORT$path" --quiet \
        --only-categories=accessibility,performance --form-factor=mobile --extra-headers="$headers" \
        --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking" \
        --output=json --output-path="$WORK/report.json" >"$WORK/lighthouse.log" 2>&1 </dev/null; then
      break
    fi
    if [ "$attempt" = 2 ]; then tail -5 "$WORK/lighthouse.log" >&2; exit 1; fi
  done
  $PY - "$WORK/report.json" "$name" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
cats = report["categories"]
score = lambda key: "n/a" if cats[key]["score"] is None else f"{cats[key]['score'] * 100:.0f}"
print(f"{sys.argv[2]:<34} {score('accessibility'):>14} {score('performance'):>12}")
failed = [a["id"] for a in report["audits"].values()
          if a.get("scoreDisplayMode") == "binary" and a.get("score") == 0]
print(f"  at {report['finalDisplayedUrl'].split('/', 3)[-1] and '/' + report['finalDisplayedUrl'].split('/', 3)[-1]}")
for audit_id in sorted(failed):
    items = (report["audits"][audit_id].get("details") or {}).get("items") or []
    where = [item.get("node", {}).get("snippet", "")[:90] for item in items[:3]]
    print(f"  failed audit {audit_id}:", "; ".join(where))
m = report["audits"]
print(f"  FCP {m['first-contentful-paint']['displayValue']}, LCP {m['largest-contentful-paint']['displayValue']}, "
      f"TBT {m['total-blocking-time']['displayValue']}, CLS {m['cumulative-layout-shift']['displayValue']}")
EOF
done <<< "$PAGES"
