"""Reasons for the demo's answers, in English and Danish: put together from what
customers praise and complain about, so that the themes and their drivers in the demo
look like a real company's (each account manager's customers have a sore point of
their own) and no two screens repeat the same five sentences."""

import random

# theme -> language -> (praise, complaints)
FRAGMENTS = {
    "delivery": {
        "en": (
            ["Deliveries always arrive on time", "Fast, reliable shipping", "Next-day delivery every time",
             "Stock is always available", "Your drivers are careful and on schedule",
             "Never had a damaged pallet", "Lead times are short and predictable"],
            ["Deliveries have been late three times this quarter", "The stuff arrived three weeks late",
             "Half the order was on backorder", "We keep getting the wrong items", "Parcels arrive damaged",
             "Lead times keep growing", "Still waiting for goods we ordered a month ago",
             "Partial deliveries all the time"],
        ),
        "da": (
            ["Leveringerne kommer altid til tiden", "Hurtig og pålidelig levering", "Varerne er altid på lager",
             "Levering dagen efter hver gang", "Chaufførerne er søde og præcise", "Korte leveringstider"],
            ["Leveringen var forsinket igen", "Vi venter altid på varerne", "Leveringstiden er alt for lang",
             "Der mangler ofte varer i leverancen", "Varerne kom beskadiget frem", "Alt for mange restordrer",
             "Vi fik forkerte varer to gange", "Leveringerne er blevet daarligere"],
        ),
    },
    "price": {
        "en": (
            ["Fair prices", "Good value for money", "Competitive pricing", "Cheaper than the alternatives"],
            ["Too expensive compared to your competitors", "The price increase in January was too steep",
             "The new fees are annoying", "Prices went up and the service did not", "Way overpriced",
             "The small order surcharge kills us"],
        ),
        "da": (
            ["Fornuftige priser", "God valuta for pengene", "Konkurrencedygtige priser"],
            ["Alt for dyrt", "Prisstigningen i januar var for stor", "Gebyrerne er irriterende",
             "Priserne steg og servicen gjorde ikke", "Prisen er for hoej", "Vi kan få det billigere andre steder"],
        ),
    },
    "support": {
        "en": (
            ["Customer service solved our problem within an hour", "Always helpful when something goes wrong",
             "The helpdesk is friendly and competent", "They fixed our machine the same day",
             "Excellent after-sales service"],
            ["Nobody answers the support line before 10", "Returns take forever", "Our complaint was ignored",
             "The repair took weeks", "Support is slow to resolve technical issues",
             "Worst customer servise we have had"],
        ),
        "da": (
            ["Kundeservice løste vores problem på en time", "Altid hjælpsomme når noget går galt",
             "Servicedesken er venlig og kompetent", "Teknikeren fik maskinen op at køre samme dag"],
            ["Supporten svarer ikke før kl. 10", "Returneringer tager evigheder", "Vores reklamation blev ignoreret",
             "Reparationen tog uger", "Kundeservicen er blevet langsommere"],
        ),
    },
    "relationship": {
        "en": (
            ["Our account manager really knows our business", "{am} visits us every quarter with good ideas",
             "{am} is the best salesperson we have had", "A partnership built on trust",
             "They understand what we do"],
            ["Our contact person changed twice this year", "We feel like just a number",
             "Nobody from your side has visited us in two years", "The new sales rep doesn't know us",
             "I don't even know who our account manager is"],
        ),
        "da": (
            ["Vores kundeansvarlige kender vores forretning", "{am} besøger os hvert kvartal",
             "{am} er den bedste sælger vi har haft", "Godt samarbejde bygget på tillid"],
            ["Vores kontaktperson er skiftet to gange i år", "Vi føler os som bare et nummer",
             "Ingen fra jer har besøgt os i to år", "Den nye saelger kender os ikke"],
        ),
    },
    "product": {
        "en": (
            ["Good products", "Excellent quality, very durable", "Wide range of products",
             "The machines never fail", "Top quality, every time"],
            ["Quality has dropped", "Defective parts in every third box", "The new model breaks after a few weeks",
             "The software keeps crashing", "The range could be wider"],
        ),
        "da": (
            ["Gode produkter", "Fremragende kvalitet", "Stort sortiment", "Maskinerne svigter aldrig"],
            ["Kvaliteten er faldet", "Defekte dele i hver tredje kasse", "Den nye model går i stykker efter få uger",
             "Softwaren går ned hele tiden"],
        ),
    },
    "ordering": {
        "en": (
            ["The web shop is easy to use", "Ordering takes two minutes", "Easy to do business with"],
            ["Ordering is cumbersome", "The portal is slow and I can never log in",
             "Too much paperwork to place a simple order", "The new website is confusing"],
        ),
        "da": (
            ["Webshoppen er nem at bruge", "En bestilling tager to minutter", "Nemme at handle med"],
            ["Bestillingen er besværlig", "Portalen er langsom og jeg kan aldrig logge ind",
             "Alt for meget papirarbejde", "Den nye hjemmeside er forvirrende"],
        ),
    },
    "billing": {
        "en": (
            ["Clear invoices", "Billing is always correct"],
            ["The invoice errors keep coming back", "We were invoiced twice for the same order",
             "Credit notes take months", "Wrong VAT on every other invoice"],
        ),
        "da": (
            ["Klare fakturaer", "Faktureringen er altid korrekt"],
            ["Fejlene i fakturaerne bliver ved", "Vi blev faktureret to gange", "Kreditnotaer tager måneder",
             "Fakturane kommer altid for sent"],
        ),
    },
    "communication": {
        "en": (
            ["They keep us informed about every change", "Quick to respond", "Proactive advice",
             "Always answer within the hour"],
            ["Nobody answers our emails", "No one ever gets back to us", "We heard nothing about the recall",
             "You never return our calls", "Hard to reach anyone by phone"],
        ),
        "da": (
            ["De holder os informeret", "Hurtige til at svare", "Proaktiv rådgivning"],
            ["Ingen svarer på vores mails", "Der er aldrig nogen der vender tilbage", "I ringer aldrig tilbage",
             "Svært at få fat i nogen på telefonen"],
        ),
    },
}
NOTHING_IN_PARTICULAR = {
    "en": ["All good.", "Nothing to add.", "No complaints.", "Keep up the good work!", "Fine.", "It's ok.",
           "Happy customer for 12 years.", "Not happy at all.", "Disappointing year."],
    "da": ["Alt er godt.", "Ingen kommentarer.", "Ingen klager.", "Fortsæt det gode arbejde!", "Fint.",
           "Det er ok.", "Tilfreds kunde gennem mange år.", "Slet ikke tilfreds."],
}
BUT = {"en": ", but ", "da": ", men "}
AND = {"en": " and ", "da": " og "}
# How often each theme comes up, by what the customer says about it.
PRAISED = {"relationship": 5, "product": 4, "support": 3, "delivery": 3, "communication": 2, "price": 1,
           "ordering": 1, "billing": 1}
BLAMED = {"delivery": 5, "price": 4, "support": 3, "communication": 3, "billing": 2, "product": 2,
          "ordering": 2, "relationship": 2}


def _pick(rnd: random.Random, weights: dict[str, int], sore: str, bias: int) -> str:
    themes = list(weights)
    return rnd.choices(themes, [max(weights[t] + (bias if t == sore else 0), 0) for t in themes])[0]


def _fragment(rnd: random.Random, theme: str, language: str, praise: bool, am: str) -> str:
    good, bad = FRAGMENTS[theme][language]
    return rnd.choice(good if praise else bad).format(am=am)


def _continued(fragment: str, am: str) -> str:
    """A fragment in the middle of a sentence: lower case, except a name or "I"."""
    if fragment.startswith((am + " ", "I ")):
        return fragment
    return fragment[0].lower() + fragment[1:]


def demo_reason(rnd: random.Random, *, category: str, language: str, sore_theme: str, am_first_name: str) -> str:
    """A customer's reason: a promoter praises one or two things, a detractor blames
    them (more often the account manager's sore point), a passive says both; some say
    nothing in particular."""
    language = language if language in NOTHING_IN_PARTICULAR else "en"
    if rnd.random() < 0.12:
        return rnd.choice(NOTHING_IN_PARTICULAR[language])
    if category == "promoter":
        first = _pick(rnd, PRAISED, sore_theme, -1 if PRAISED[sore_theme] > 1 else 0)
        text = _fragment(rnd, first, language, True, am_first_name)
        if rnd.random() < 0.35:
            second = _pick(rnd, PRAISED, sore_theme, 0)
            if second != first:
                text += AND[language] + _continued(_fragment(rnd, second, language, True, am_first_name), am_first_name)
    elif category == "passive":
        bad = _pick(rnd, BLAMED, sore_theme, 4)
        good = _pick(rnd, {theme: weight for theme, weight in PRAISED.items() if theme != bad}, sore_theme, 0)
        text = _fragment(rnd, good, language, True, am_first_name)
        if rnd.random() < 0.85:
            text += BUT[language] + _continued(_fragment(rnd, bad, language, False, am_first_name), am_first_name)
    else:
        first = _pick(rnd, BLAMED, sore_theme, 8)
        text = _fragment(rnd, first, language, False, am_first_name)
        if rnd.random() < 0.4:
            second = _pick(rnd, BLAMED, sore_theme, 0)
            if second != first:
                text += ". " + _fragment(rnd, second, language, False, am_first_name)
    return text + "."
