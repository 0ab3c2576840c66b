"""The taxonomy that ships with Pulse: eight themes of why B2B customers stay or leave,
named and described in English and Danish, with the words and phrases that signal them.

The migration that creates the Theme rows reads this (feedback/migrations/0010), and
so does the tagger's own test. Administrators edit the rows afterwards; the signal
syntax is explained in feedback/tagging.py (and in the admin's help text).
"""

DEFAULT_THEMES = [
    {
        "key": "product",
        "name_en": "Product",
        "name_da": "Produkt",
        "description_en": "The goods or product itself: quality, defects, features, range.",
        "description_da": "Varerne eller produktet selv: kvalitet, fejl, funktioner, sortiment.",
        "signals_en": """
product
products
quality
defect
defective
faulty
flaw
flawed
durable
durability
=lasts
last long
lasts long
break down
breaks
broke
broken
stopped working
not working
doesn't work
does not work
don't work
malfunction
like a charm
jam
jams
jammed
jamming
hardware
component
components
=kit
gear
device
devices
instrument
instruments
leak
leaks
leaked
leaking
rust
rusty
worn out
wears out
cracked
cracks
failure
failures
fails
breakdown
breakdowns
batch
batches
range
assortment
wide selection
selection of
feature
features
functionality
machine
machinery
equipment
tool
tools
material
materials
software
crash
crashes
bug
bugs
buggy
design
spec
specs
specification
innovative
innovation
solution
solutions
spare part
spare parts
good goods
quality goods
fresh
freshness
reliable products
reliable machines
build quality
-arrive broken
-arrived broken
-broken on arrival
-find a solution
-found a solution
-finds a solution
-price range
-{ordering} doesn't work
-{ordering} does not work
-{ordering} not working
-{ordering} stopped working
""",
        "signals_da": """
produkt
kvalitet
kvalitetsvare
defekt
fejlbehæftet
mangelfuld
holdbar
holdbarhed
holder ikke længe
holder længe
slidstærk
går i stykker
gik i stykker
=knækker
knækket
virker ikke
fungerer ikke
funktion
funktionalitet
sortiment
udvalg
vare er god
vare er fin
vare er dårlig
vare holder
gode varer
god vare
gode vare
dårlige varer
dårlig vare
fine varer
varernes
maskine
udstyr
værktøj
materiale
software
=system
=systemet
=systemer
nedbrud
går ned
går i stå
står stille
driftssikker
driftssikkerhed
driftsstop
komponent
apparat
utæt
utætte
utæthed
=rust
rustet
revner
revnet
slidt
svigter
fejler
=parti
=partiet
partier
design
innovation
innovativ
specifikation
reservedel
friske
friskhed
ydeevne
-produktion
-søgefunktion
-{ordering} virker ikke
-{ordering} fungerer ikke
-finde en løsning
-fandt en løsning
-finder en løsning
""",
    },
    {
        "key": "price",
        "name_en": "Price",
        "name_da": "Pris",
        "description_en": "Price level, value for money, price increases, fees.",
        "description_da": "Prisniveau, værdi for pengene, prisstigninger, gebyrer.",
        "signals_en": """
price
prices
pricing
priced
overpriced
pricey
expensive
inexpensive
cheap
cheaper
cheapest
cost
costs
costly
value for money
good value
great value
poor value
bad value
fee
fees
surcharge
surcharges
extra charge
extra charges
hidden charges
=rates
=charge
=charges
-in charge
above the market
below the market
market price
market level
price list
rip off
ripoff
quote
quotes
quotation
pay too much
paying too much
overpay
good deal
great deal
discount
discounts
rebate
competitive
affordable
margin
margins
budget
money
tariff
""",
        "signals_da": """
pris
prisniveau
prisstigning
prisforhøjelse
overpris
prisvenlig
over markedet
under markedet
markedspris
markedsniveau
prisliste
=dyr
=dyrt
=dyre
=dyrere
=dyreste
billig
billigere
billigst
omkostning
gebyr
tillæg
rabat
=tilbuddet
=tilbuddene
betale for meget
pengene værd
valuta for pengene
konkurrencedygtig
penge
budget
avance
-prisværdig
-prisværdigt
""",
    },
    {
        "key": "support",
        "name_en": "Support",
        "name_da": "Support",
        "description_en": ("Help when something goes wrong: service desk, complaints, returns, "
                           "how fast problems are fixed."),
        "description_da": ("Hjælp når noget går galt: servicedesk, reklamationer, returneringer, "
                           "hvor hurtigt problemer løses."),
        "signals_en": """
support
service
customer service
helpdesk
help desk
service desk
hotline
support line
help
helped
helpful
helpfulness
unhelpful
assistance
assist
complaint
complaints
complain
return
returns
returned
warranty
guarantee
repair
repairs
repaired
replace
replaced
replacement
fix
fixed
fixes
solve
solved
resolve
resolved
resolution
troubleshoot
technician
technicians
engineer
after sales
aftersales
maintenance
ticket
tickets
=sla
=rma
claim
claims
on hold
when something goes wrong
when things go wrong
problem solved
problems solved
sort out
sorted out
took care of
take care of
find a solution
found a solution
finds a solution
-no complaint
-no complaints
-nothing to complain about
-can't complain
-cannot complain
-can not complain
-fixed price
-fixed prices
-return call
-return calls
-return my call
-returned my call
-return our call
-returned our calls
-return phone
-in return
-return on
""",
        "signals_da": """
support
service
servicedesk
helpdesk
hotline
kundeservice
hjælp
hjælpe
hjælpsom
hjælpsomme
=hjalp
hjælpe os
reklamation
reklamere
klage
returnering
returnere
=retur
ombytning
garanti
reparation
reparere
repareret
udskifte
udskiftet
udskiftning
løse
=løst
=løste
fandt en løsning
finde en løsning
løsning på problem
tekniker
vedligeholdelse
fejlretning
bistand
assistance
tage sig af
tog sig af
-ingen klage
-ingen klager
-intet at klage over
-kan ikke klage
-ikke noget at klage over
-ringe retur
-ringer retur
""",
    },
    {
        "key": "delivery",
        "name_en": "Delivery",
        "name_da": "Levering",
        "description_en": ("On-time delivery, lead times, shipping, stock availability, "
                           "damaged or wrong shipments."),
        "description_da": ("Levering til tiden, leveringstider, fragt, varer på lager, "
                           "beskadigede eller forkerte forsendelser."),
        "signals_en": """
delivery
deliveries
deliver
delivered
"on time"
"in time"
lead time
lead times
leadtime
shipping
shipment
shipments
shipped
=ship
freight
carrier
courier
transport
transportation
logistics
dispatch
dispatched
"in stock"
out of stock
stock
truck
trucks
lorry
lorries
=van
driver
drivers
show up
shows up
showed up
turn up
turns up
turned up
backorder
backorders
back order
availability
=late
=later than
delay
delays
delayed
arrive
arrived
arrives
arrival
waiting for the goods
wait for goods
waited for goods
waiting for the order
wait for order
waited weeks
wait weeks
weeks late
week late
days late
day late
behind schedule
promised date
=eta
tracking
track and trace
parcel
parcels
went missing
sold out
pallet
pallets
warehouse
wrong items
wrong item
wrong goods
wrong products
missing items
missing parts
incomplete order
incomplete delivery
damaged
damage
transit
=dhl
=gls
=fedex
=postnord
=tnt
-late payment
-late payments
-paid late
-pay late
-pays late
-paid on time
-pay on time
-credit note on time
-credit notes on time
-credit note late
-credit notes late
-{billing} late
-{billing} on time
-{billing} in time
-{billing} delayed
-{billing} delay
-{communication} late
-{communication} on time
-{communication} in time
-{communication} delayed
-{ordering} late
-{ordering} on time
-{support} late
-{support} on time
-{support} in time
""",
        "signals_da": """
levering
levere
leverance
leveringstid
leveringsdato
leveringssikkerhed
"til tiden"
"i tide"
forsinket
forsinkelse
forsink*
"for sent"
kom sent
=sent
fragt
fragtmand
logistik
vare komme
fremsendt
fremsendelse
transport
forsendelse
=sending
=sendingen
afsendt
afsendelse
pakke
palle
lager
lagerstatus
"på lager"
udsolgt
restordre
restordrer
ankom
ankomst
ankommer
kom frem
vente på vare
venter på vare
ventet på vare
vente på ordre
venter på ordre
ventet på ordre
vente uger
ventet uger
uger forsinket
beskadiget
skadet
ødelagt
kom ødelagt
forkerte varer
forkert vare
forkert antal
mangler vare
manglende vare
chauffør
lastbil
vognmand
kurer
distribution
sporing
track and trace
=dhl
=gls
=postnord
=dao
-betale til tiden
-betaler til tiden
-betalt til tiden
-{billing} for sent
-{billing} til tiden
-{billing} i tide
-{billing} forsinket
-{billing} =sent
-{communication} for sent
-{communication} til tiden
-{communication} i tide
-{communication} forsinket
-{communication} =sent
-{ordering} for sent
-{ordering} til tiden
-{support} for sent
-{support} til tiden
-{support} i tide
""",
    },
    {
        "key": "relationship",
        "name_en": "Relationship",
        "name_da": "Relation",
        "description_en": ("The account manager and the personal relationship: knowing our business, visits, trust, "
                           "changes of contact person."),
        "description_da": ("Kundeansvarlig og den personlige relation: kendskab til vores forretning, besøg, tillid, "
                           "skift af kontaktperson."),
        "signals_en": """
account manager
account managers
account management
key account
sales rep
sales representative
salesperson
sales person
salesman
sales team
sales guy
our rep
rep
contact person
our contact
new contact
consultant
consultants
relationship
relation
relations
-in relation to
partner
partnership
cooperation
collaboration
trust
trusted
trustworthy
personal
personally
personal touch
know our business
knows our business
understand our business
understands our business
understand our needs
understands our needs
knows our needs
know us
knows us
understand us
understands us
understand what we do
knows what we do
know what we do
there for us
new guy
visit
visits
visited
meeting
meetings
in person
people
listen to us
listens to us
listened
care about us
cares about
treated like a number
just a number
keeps changing
changed contact
long term
long-term
commitment
dedicated
engaged
@name
""",
        "signals_da": """
kundeansvarlig
account manager
key account
sælger
salgskonsulent
konsulent
kontaktperson
fast kontakt
vores kontakt
ny kontakt
relation
samarbejde
samarbejdspartner
partner
partnerskab
tillid
personlig
personligt
kender vores
kender os
forstår vores
forstår os
forstår hvad vi
der for os
besøg
besøge
=møde
møder
mødes
kundemøde
folk
folkene
mennesker
lytter
lytte
bare et nummer
skift af
skiftende
=forhold
=forholdet
-i forhold til
engageret
engagement
dedikeret
@name
-servicebesøg
""",
    },
    {
        "key": "ordering",
        "name_en": "Ordering",
        "name_da": "Bestilling",
        "description_en": "Ease of doing business: ordering, web shop, portal, forms, paperwork, onboarding.",
        "description_da": "Let at handle med: bestilling, webshop, portal, formularer, papirarbejde, opstart.",
        "signals_en": """
ordering
place an order
place orders
placing orders
placing an order
order online
order online
online ordering
order process
order system
order form
order forms
order entry
order handling
order confirmation
order confirmations
easy to order
hard to order
difficult to order
webshop
web shop
online shop
e-shop
eshop
website
web site
web portal
portal
login
log in
password
form
forms
paperwork
bureaucracy
bureaucratic
red tape
administration
administrative
onboarding
sign up
registration
set up account
setting up account
open account
account setup
easy to do business
easy to deal with
hard to do business
catalogue
catalog
=edi
=erp
order directly
punchout
procurement
checkout
basket
cart
item numbers
item number
search function
-in the form of
""",
        "signals_da": """
bestilling
=bestille
=bestiller
bestillingsproces
ordreafgivelse
ordrebekræftelse
ordresystem
ordrebehandling
ordreportal
webshop
web shop
netbutik
hjemmeside
portal
kundeportal
online
login
logge ind
adgangskode
formular
blanket
papirarbejde
bureaukrati
administration
administrativ
onboarding
oprettelse
oprettet som kunde
nem at handle med
nemt at handle med
let at handle med
nemme at handle med
nethandel
katalog
=edi
=erp
varenummer
varenumre
søgefunktion
indkøbskurv
kurv
""",
    },
    {
        "key": "billing",
        "name_en": "Billing",
        "name_da": "Fakturering",
        "description_en": "Invoices, payment terms, credit notes, billing errors.",
        "description_da": "Fakturaer, betalingsbetingelser, kreditnotaer, fejl i faktureringen.",
        "signals_en": """
invoice
invoices
invoicing
invoiced
billing
billed
=bill
=bills
credit note
credit notes
credit memo
payment
payments
payment terms
statement
statements
overdue
dunning
debt collection
charged twice
double charged
overcharged
overcharge
refund
refunds
refunded
reimburse
=vat
accounting
accounts payable
finance department
credit limit
billing address
=ean
e-invoice
""",
        "signals_da": """
faktura
fakturering
fakturere
faktur*
regning
afregning
kreditnota
betaling
betalingsbetingelse
betalingsfrist
=rykker
=rykkere
rykkerskrivelse
inkasso
=moms
bogholderi
regnskab
kontoudtog
saldo
tilgodehavende
refusion
refundering
=ean
ean-nummer
""",
    },
    {
        "key": "communication",
        "name_en": "Communication",
        "name_da": "Kommunikation",
        "description_en": "Keeping the customer informed, answering emails and calls, proactive advice.",
        "description_da": "At holde kunden informeret, svare på mails og opkald, proaktiv rådgivning.",
        "signals_en": """
communication
communicate
communicates
communicated
keep us informed
kept informed
keeps us informed
keep us updated
kept us updated
keep us posted
kept in the loop
keep us up to date
kept us up to date
informed
information
inform
update
updates
status update
heads up
answer
answers
answered
unanswered
reply
replies
replied
respond
responds
responded
responsive
unresponsive
response
quick response
fast response
slow response
response time
get back to us
gets back to us
got back to us
never got back
call back
calls back
called back
return call
return calls
returned my call
returns calls
email
emails
e-mail
e-mails
=mail
=mails
phone
phones
telephone
hard to contact
difficult to contact
easy to contact
hard to reach
easy to reach
impossible to reach
reachable
get hold of
newsletter
proactive
proactively
advice
advise
advised
guidance
let us know
told us
tell us
notify
notified
notification
warn
warned
in the loop
follow up
followed up
never hear
heard nothing
found out
find out
hear from
no answer
silence
dialogue
""",
        "signals_da": """
kommunikation
kommunikere
informere
informeret
information
=orientere
=orienterer
=orienteret
=orienterede
orientering
opdatering
opdateret
holde os informeret
svar
svare
besvare
ubesvaret
svartid
respons
vende tilbage
vender tilbage
vendt tilbage
ringe tilbage
ringer tilbage
ringe retur
ringer retur
kontakte
fat i
telefon
telefonen
opkald
mail
e-mail
email
nyhedsbrev
proaktiv
proaktivt
rådgivning
rådgive
rådgiver
vejledning
fortælle
fortæller
fortalte
besked
varsle
varsel
høre fra
høre intet
høre ingenting
høre noget
hører intet
høre om det
hører først
tavshed
dialog
opfølgning
følge op
fulgt op
-ansvar
-ansvarlig
-kundeansvarlig
""",
    },
]

FIELDS = ("name_en", "name_da", "description_en", "description_da", "signals_en", "signals_da")


def default_themes_create(theme_model) -> int:
    """Create the default themes that are missing (by key); a theme with one of these keys
    is left as it is. `theme_model`: Theme, or the migration's historical one. Returns
    how many were created."""
    created = 0
    for position, theme in enumerate(DEFAULT_THEMES):
        defaults = {field: theme[field].strip() for field in FIELDS}
        _, made = theme_model.objects.get_or_create(
            key=theme["key"], defaults={**defaults, "built_in": True, "position": position}
        )
        created += made
    return created
