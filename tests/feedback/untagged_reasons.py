"""Reasons no theme of the default taxonomy covers, about three things customers might
start to talk about (plastic waste, training courses, climate figures), and some that say
nothing at all: what the discovery of new themes is tried on."""

PLASTIC = [
    ("Too much plastic wrapping around every single item", "en"),
    ("Please use less plastic wrapping", "en"),
    ("The plastic wrapping goes straight into our waste, far too much of it", "en"),
    ("We would like recyclable wrapping instead of plastic", "en"),
    ("Every item comes in plastic wrapping we have to throw away", "en"),
    ("Less plastic wrapping would make our waste manager happy", "en"),
    ("So much plastic wrapping, it fills our waste containers", "en"),
    ("Alt for meget plastik omkring hver eneste vare", "da"),
    ("Brug mindre plastik om varerne, tak", "da"),
    ("Plastikken fylder hele vores affaldscontainer", "da"),
    ("Vi vil gerne have mindre plastik om varerne", "da"),
    ("Hver vare sidder i plastik som vi skal smide ud", "da"),
    ("Plastik om varerne er et problem for vores affald", "da"),
]
COURSES = [
    ("The training course for our new staff was excellent", "en"),
    ("More training courses for our staff please", "en"),
    ("Your training course taught our staff a lot", "en"),
    ("We would like a training course for our staff on safety", "en"),
    ("The online training course was too short for new staff", "en"),
    ("Training course for staff was well run and useful", "en"),
    ("Kurset for vores nye medarbejdere var fremragende", "da"),
    ("Flere kurser til vores medarbejdere tak", "da"),
    ("Kurset lærte vores medarbejdere meget om sikkerhed", "da"),
    ("Vi savner et kursus for nye medarbejdere", "da"),
    ("Kurserne for medarbejdere er lærerige", "da"),
    ("Et kursus om sikkerhed til vores medarbejdere ville være godt", "da"),
]
CLIMATE = [
    ("We need CO2 figures for our climate report", "en"),
    ("No CO2 figures for the climate report, our auditors ask for them", "en"),
    ("Please send CO2 figures so we can finish our climate report", "en"),
    ("Our climate report needs your CO2 emissions figures", "en"),
    ("CO2 emissions figures are missing for our climate report", "en"),
    ("Vi mangler CO2 tal til vores klimarapport", "da"),
    ("Klimarapporten kræver CO2 tal fra jer", "da"),
    ("Send venligst CO2 tal til klimarapporten", "da"),
    ("Uden CO2 tal kan vi ikke lave klimarapporten", "da"),
    ("CO2 tal ville gøre vores klimarapport færdig", "da"),
]
NOTHING_SAID = [
    ("No comment", "en"), ("no comments", "en"), ("All good", "en"), ("nothing to add", "en"), ("-", "en"),
    ("Ingen kommentarer", "da"), ("intet at tilføje", "da"), ("Alt er godt", "da"), ("ok", "da"), ("N/A", "en"),
]
TOPICS = {"plastic": PLASTIC, "courses": COURSES, "climate": CLIMATE}
