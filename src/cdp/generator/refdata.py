"""Static reference data of the simulated world (Cucina Viva's customers and systems).

Everything here is plain data written for this project: country weights, real city names with
plausible postcode ranges, e-mail providers, store list, product catalogue and the small
multilingual vocabularies used for free-text fields.
"""

from __future__ import annotations

COUNTRIES = ["IT", "DE", "FR", "ES", "CH", "GB", "US"]
COUNTRY_WEIGHTS = [35, 20, 15, 12, 8, 8, 2]

# (language, faker locale for names, faker locale for streets, weight) per country
LOCALES = {
    "IT": [("it", "it_IT", "it_IT", 1)],
    "DE": [("de", "de_DE", "de_DE", 1)],
    "FR": [("fr", "fr_FR", "fr_FR", 1)],
    "ES": [("es", "es_ES", "es_ES", 1)],
    # Faker has no it_CH: Ticino persons take Italian names and street names.
    "CH": [
        ("de", "de_CH", "de_CH", 65),
        ("fr", "fr_CH", "fr_CH", 25),
        ("it", "it_IT", "it_IT", 10),
    ],
    "GB": [("en", "en_GB", "en_GB", 1)],
    "US": [("en", "en_US", "en_US", 1)],
}
FAKER_LOCALES = ["it_IT", "de_DE", "fr_FR", "es_ES", "de_CH", "fr_CH", "en_GB", "en_US"]

CURRENCY = {"GB": "GBP", "CH": "CHF", "US": "USD"}  # default EUR
FX = {"EUR": 1.0, "GBP": 0.86, "CHF": 0.95, "USD": 1.08}

TIMEZONE = {
    "IT": "Europe/Rome",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "ES": "Europe/Madrid",
    "CH": "Europe/Zurich",
    "GB": "Europe/London",
}

# city, postcode rule, weight, (US: timezone) ; CH cities carry their language region.
# Postcode rules: ("num", lo, hi, width) numeric range; ("gb", area) British outward area.
CITIES: dict[str, list[tuple]] = {
    "IT": [
        ("Milano", ("num", 20121, 20162, 5), 14),
        ("Roma", ("num", 118, 199, 5), 16),
        ("Napoli", ("num", 80121, 80147, 5), 8),
        ("Torino", ("num", 10121, 10156, 5), 7),
        ("Palermo", ("num", 90121, 90151, 5), 5),
        ("Genova", ("num", 16121, 16167, 5), 4),
        ("Bologna", ("num", 40121, 40141, 5), 5),
        ("Firenze", ("num", 50121, 50145, 5), 5),
        ("Bari", ("num", 70121, 70132, 5), 3),
        ("Catania", ("num", 95121, 95131, 5), 3),
        ("Venezia", ("num", 30121, 30176, 5), 2),
        ("Verona", ("num", 37121, 37142, 5), 3),
        ("Padova", ("num", 35121, 35143, 5), 3),
        ("Trieste", ("num", 34121, 34151, 5), 2),
        ("Brescia", ("num", 25121, 25136, 5), 2),
        ("Bergamo", ("num", 24121, 24129, 5), 2),
        ("Parma", ("num", 43121, 43126, 5), 2),
        ("Modena", ("num", 41121, 41126, 5), 2),
        ("Perugia", ("num", 6121, 6135, 5), 1),
        ("Cagliari", ("num", 9121, 9134, 5), 1),
        ("Lecce", ("num", 73100, 73100, 5), 1),
        ("Monza", ("num", 20900, 20900, 5), 2),
        ("Como", ("num", 22100, 22100, 5), 1),
        ("Trento", ("num", 38121, 38123, 5), 1),
    ],
    "DE": [
        ("Berlin", ("num", 10115, 14199, 5), 14),
        ("Hamburg", ("num", 20095, 22769, 5), 8),
        ("München", ("num", 80331, 81929, 5), 8),
        ("Köln", ("num", 50667, 51149, 5), 6),
        ("Frankfurt am Main", ("num", 60306, 60599, 5), 5),
        ("Stuttgart", ("num", 70173, 70629, 5), 4),
        ("Düsseldorf", ("num", 40210, 40629, 5), 4),
        ("Leipzig", ("num", 4103, 4357, 5), 3),
        ("Dortmund", ("num", 44135, 44388, 5), 3),
        ("Essen", ("num", 45127, 45359, 5), 3),
        ("Bremen", ("num", 28195, 28779, 5), 2),
        ("Dresden", ("num", 1067, 1328, 5), 3),
        ("Hannover", ("num", 30159, 30669, 5), 3),
        ("Nürnberg", ("num", 90402, 90491, 5), 3),
        ("Bonn", ("num", 53111, 53229, 5), 2),
        ("Münster", ("num", 48143, 48167, 5), 2),
        ("Freiburg im Breisgau", ("num", 79098, 79117, 5), 2),
        ("Mannheim", ("num", 68159, 68309, 5), 2),
        ("Augsburg", ("num", 86150, 86199, 5), 2),
    ],
    "FR": [
        ("Paris", ("num", 75001, 75020, 5), 16),
        ("Marseille", ("num", 13001, 13016, 5), 6),
        ("Lyon", ("num", 69001, 69009, 5), 6),
        ("Toulouse", ("num", 31000, 31500, 5), 4),
        ("Nice", ("num", 6000, 6300, 5), 3),
        ("Nantes", ("num", 44000, 44300, 5), 3),
        ("Strasbourg", ("num", 67000, 67200, 5), 3),
        ("Montpellier", ("num", 34000, 34090, 5), 3),
        ("Bordeaux", ("num", 33000, 33800, 5), 3),
        ("Lille", ("num", 59000, 59800, 5), 3),
        ("Rennes", ("num", 35000, 35700, 5), 2),
        ("Reims", ("num", 51100, 51100, 5), 1),
        ("Grenoble", ("num", 38000, 38100, 5), 2),
        ("Dijon", ("num", 21000, 21000, 5), 1),
        ("Annecy", ("num", 74000, 74000, 5), 1),
    ],
    "ES": [
        ("Madrid", ("num", 28001, 28055, 5), 14),
        ("Barcelona", ("num", 8001, 8042, 5), 10),
        ("Valencia", ("num", 46001, 46026, 5), 5),
        ("Sevilla", ("num", 41001, 41020, 5), 4),
        ("Zaragoza", ("num", 50001, 50021, 5), 3),
        ("Málaga", ("num", 29001, 29018, 5), 3),
        ("Murcia", ("num", 30001, 30012, 5), 2),
        ("Palma", ("num", 7001, 7015, 5), 2),
        ("Bilbao", ("num", 48001, 48015, 5), 3),
        ("Alicante", ("num", 3001, 3016, 5), 2),
        ("Valladolid", ("num", 47001, 47016, 5), 2),
        ("Granada", ("num", 18001, 18015, 5), 2),
    ],
    "CH": [
        ("Zürich", ("num", 8001, 8057, 4), 12, "de"),
        ("Basel", ("num", 4001, 4059, 4), 6, "de"),
        ("Bern", ("num", 3001, 3030, 4), 6, "de"),
        ("Winterthur", ("num", 8400, 8411, 4), 3, "de"),
        ("Luzern", ("num", 6002, 6015, 4), 3, "de"),
        ("St. Gallen", ("num", 9000, 9016, 4), 2, "de"),
        ("Genève", ("num", 1201, 1209, 4), 8, "fr"),
        ("Lausanne", ("num", 1003, 1018, 4), 6, "fr"),
        ("Fribourg", ("num", 1700, 1708, 4), 2, "fr"),
        ("Neuchâtel", ("num", 2000, 2002, 4), 2, "fr"),
        ("Lugano", ("num", 6900, 6908, 4), 4, "it"),
        ("Bellinzona", ("num", 6500, 6500, 4), 2, "it"),
        ("Locarno", ("num", 6600, 6600, 4), 2, "it"),
    ],
    "GB": [
        ("London", ("gb", ["E", "EC", "N", "NW", "SE", "SW", "W", "WC"]), 16),
        ("Manchester", ("gb", ["M"]), 5),
        ("Birmingham", ("gb", ["B"]), 5),
        ("Leeds", ("gb", ["LS"]), 3),
        ("Glasgow", ("gb", ["G"]), 3),
        ("Liverpool", ("gb", ["L"]), 3),
        ("Bristol", ("gb", ["BS"]), 3),
        ("Edinburgh", ("gb", ["EH"]), 3),
        ("Sheffield", ("gb", ["S"]), 2),
        ("Cardiff", ("gb", ["CF"]), 2),
        ("Newcastle upon Tyne", ("gb", ["NE"]), 2),
        ("Nottingham", ("gb", ["NG"]), 2),
    ],
    "US": [
        ("New York", ("num", 10001, 10282, 5), 8, "America/New_York"),
        ("Boston", ("num", 2108, 2137, 5), 3, "America/New_York"),
        ("Miami", ("num", 33101, 33199, 5), 3, "America/New_York"),
        ("Chicago", ("num", 60601, 60661, 5), 4, "America/Chicago"),
        ("Houston", ("num", 77001, 77099, 5), 3, "America/Chicago"),
        ("Austin", ("num", 78701, 78759, 5), 2, "America/Chicago"),
        ("Denver", ("num", 80201, 80239, 5), 2, "America/Denver"),
        ("Los Angeles", ("num", 90001, 90089, 5), 5, "America/Los_Angeles"),
        ("San Francisco", ("num", 94102, 94134, 5), 4, "America/Los_Angeles"),
        ("Seattle", ("num", 98101, 98199, 5), 3, "America/Los_Angeles"),
    ],
}

# Personal e-mail providers per country with weights.
PROVIDERS = {
    "IT": [
        ("gmail.com", 40),
        ("libero.it", 15),
        ("hotmail.it", 9),
        ("yahoo.it", 7),
        ("outlook.it", 7),
        ("alice.it", 5),
        ("tiscali.it", 4),
        ("virgilio.it", 5),
        ("icloud.com", 6),
        ("tim.it", 2),
    ],
    "DE": [
        ("gmail.com", 25),
        ("web.de", 22),
        ("gmx.de", 20),
        ("t-online.de", 12),
        ("outlook.de", 6),
        ("yahoo.de", 5),
        ("icloud.com", 5),
        ("freenet.de", 5),
    ],
    "FR": [
        ("gmail.com", 35),
        ("orange.fr", 15),
        ("hotmail.fr", 12),
        ("free.fr", 10),
        ("laposte.net", 8),
        ("sfr.fr", 6),
        ("yahoo.fr", 7),
        ("icloud.com", 7),
    ],
    "ES": [
        ("gmail.com", 45),
        ("hotmail.es", 20),
        ("yahoo.es", 10),
        ("outlook.es", 10),
        ("telefonica.net", 5),
        ("icloud.com", 10),
    ],
    "CH": [
        ("gmail.com", 35),
        ("bluewin.ch", 25),
        ("gmx.ch", 12),
        ("hotmail.com", 8),
        ("sunrise.ch", 8),
        ("icloud.com", 12),
    ],
    "GB": [
        ("gmail.com", 35),
        ("hotmail.co.uk", 15),
        ("yahoo.co.uk", 10),
        ("outlook.com", 12),
        ("btinternet.com", 10),
        ("icloud.com", 12),
        ("sky.com", 6),
    ],
    "US": [
        ("gmail.com", 50),
        ("yahoo.com", 15),
        ("hotmail.com", 8),
        ("outlook.com", 10),
        ("icloud.com", 12),
        ("aol.com", 5),
    ],
}
WORK_TLD = {"IT": "it", "DE": "de", "FR": "fr", "ES": "es", "CH": "ch", "GB": "co.uk", "US": "com"}
FAMILY_EMAIL_PATTERNS = {
    "it": ["famiglia.{last}", "fam.{last}", "casa{last}"],
    "de": ["familie.{last}", "fam.{last}", "{last}.familie"],
    "fr": ["famille.{last}", "fam.{last}", "{last}.famille"],
    "es": ["familia.{last}", "fam.{last}", "casa{last}"],
    "en": ["the{last}s", "{last}.family", "{last}family"],
}

# Junk / shared addresses typed when a customer gives none or a test is run.
JUNK_EMAILS = [
    "test@test.com",
    "info@example.com",
    "noemail@noemail.com",
    "no@email.com",
    "nessuna@email.it",
    "keine@email.de",
    "aucun@email.fr",
    "a@a.it",
    "xx@xx.com",
]

SALUTATIONS = {
    "it": ("Sig.", "Sig.ra"),
    "de": ("Herr", "Frau"),
    "fr": ("M.", "Mme"),
    "en": ("Mr", "Ms"),
    "es": ("Mr", "Ms"),
}

# Free-text country names as typed in the CRM: it, en, de, fr, es names and codes.
COUNTRY_TEXT = {
    "IT": ["Italia", "Italy", "Italien", "Italie", "IT", "ITA", "it", "italia", "ITALIA"],
    "DE": [
        "Germania",
        "Germany",
        "Deutschland",
        "Allemagne",
        "Alemania",
        "DE",
        "DEU",
        "de",
        "germania",
    ],
    "FR": ["Francia", "France", "Frankreich", "FR", "FRA", "fr", "francia"],
    "ES": ["Spagna", "Spain", "Spanien", "Espagne", "España", "ES", "ESP", "es", "spagna"],
    "CH": ["Svizzera", "Switzerland", "Schweiz", "Suisse", "Suiza", "CH", "CHE", "ch", "svizzera"],
    "GB": [
        "Regno Unito",
        "United Kingdom",
        "UK",
        "Großbritannien",
        "Royaume-Uni",
        "Reino Unido",
        "GB",
        "GBR",
        "gb",
        "Inghilterra",
    ],
    "US": [
        "Stati Uniti",
        "USA",
        "United States",
        "Vereinigte Staaten",
        "États-Unis",
        "Estados Unidos",
        "US",
        "usa",
    ],
}

# 40 stores: id, city, country, postcode.
STORES = [
    ("S01", "Milano", "IT", "20121"),
    ("S02", "Milano", "IT", "20145"),
    ("S03", "Roma", "IT", "00187"),
    ("S04", "Roma", "IT", "00153"),
    ("S05", "Torino", "IT", "10123"),
    ("S06", "Napoli", "IT", "80132"),
    ("S07", "Bologna", "IT", "40124"),
    ("S08", "Firenze", "IT", "50123"),
    ("S09", "Verona", "IT", "37121"),
    ("S10", "Genova", "IT", "16121"),
    ("S11", "Padova", "IT", "35122"),
    ("S12", "Bari", "IT", "70122"),
    ("S13", "Palermo", "IT", "90133"),
    ("S14", "Bergamo", "IT", "24121"),
    ("S15", "Brescia", "IT", "25121"),
    ("S16", "Trieste", "IT", "34121"),
    ("S17", "Berlin", "DE", "10117"),
    ("S18", "München", "DE", "80331"),
    ("S19", "Hamburg", "DE", "20095"),
    ("S20", "Köln", "DE", "50667"),
    ("S21", "Frankfurt am Main", "DE", "60311"),
    ("S22", "Stuttgart", "DE", "70173"),
    ("S23", "Düsseldorf", "DE", "40213"),
    ("S24", "Paris", "FR", "75004"),
    ("S25", "Paris", "FR", "75011"),
    ("S26", "Lyon", "FR", "69002"),
    ("S27", "Marseille", "FR", "13001"),
    ("S28", "Toulouse", "FR", "31000"),
    ("S29", "Bordeaux", "FR", "33000"),
    ("S30", "Lille", "FR", "59000"),
    ("S31", "Madrid", "ES", "28013"),
    ("S32", "Barcelona", "ES", "08002"),
    ("S33", "Valencia", "ES", "46002"),
    ("S34", "Bilbao", "ES", "48001"),
    ("S35", "Zürich", "CH", "8001"),
    ("S36", "Genève", "CH", "1204"),
    ("S37", "Lugano", "CH", "6900"),
    ("S38", "London", "GB", "W1D 1AN"),
    ("S39", "London", "GB", "EC2A 3AY"),
    ("S40", "Manchester", "GB", "M1 1AD"),
]

# Product catalogue: sku, English name, category, EUR price.
PRODUCTS = [
    ("CW-1001", "Cast iron casserole 24cm", "cookware", 129.00),
    ("CW-1002", "Non-stick frying pan 28cm", "cookware", 39.90),
    ("CW-1003", "Stainless steel saucepan 18cm", "cookware", 44.90),
    ("CW-1004", "Carbon steel wok 32cm", "cookware", 54.00),
    ("CW-1005", "Copper sauté pan 24cm", "cookware", 189.00),
    ("CW-1006", "Pasta pot with strainer 8L", "cookware", 69.90),
    ("CW-1007", "Moka pot 6 cups", "cookware", 34.50),
    ("CW-1008", "Grill pan 26cm", "cookware", 49.90),
    ("KN-2001", "Chef's knife 20cm", "knives", 89.00),
    ("KN-2002", "Santoku knife 17cm", "knives", 79.00),
    ("KN-2003", "Bread knife 22cm", "knives", 49.00),
    ("KN-2004", "Paring knife 9cm", "knives", 24.90),
    ("KN-2005", "Knife block 6 pieces", "knives", 199.00),
    ("KN-2006", "Whetstone 1000/6000", "knives", 39.00),
    ("BK-3001", "Springform pan 26cm", "bakeware", 22.90),
    ("BK-3002", "Loaf tin 30cm", "bakeware", 14.90),
    ("BK-3003", "Muffin tray 12 cups", "bakeware", 18.50),
    ("BK-3004", "Pizza stone 38cm", "bakeware", 44.00),
    ("BK-3005", "Silicone baking mat", "bakeware", 12.90),
    ("BK-3006", "Tart tin 28cm", "bakeware", 16.90),
    ("UT-4001", "Wooden spoon set", "utensils", 12.50),
    ("UT-4002", "Silicone spatula", "utensils", 8.90),
    ("UT-4003", "Balloon whisk", "utensils", 11.90),
    ("UT-4004", "Microplane grater", "utensils", 19.90),
    ("UT-4005", "Garlic press", "utensils", 15.50),
    ("UT-4006", "Pasta machine", "utensils", 79.90),
    ("UT-4007", "Digital kitchen scale", "utensils", 29.90),
    ("UT-4008", "Mortar and pestle", "utensils", 34.90),
    ("UT-4009", "Cutting board oak", "utensils", 42.00),
    ("SA-5001", "Stand mixer 5L", "small_appliances", 449.00),
    ("SA-5002", "Immersion blender", "small_appliances", 69.00),
    ("SA-5003", "Espresso machine", "small_appliances", 329.00),
    ("SA-5004", "Electric kettle 1.7L", "small_appliances", 59.00),
    ("SA-5005", "Food processor", "small_appliances", 189.00),
    ("SA-5006", "Sous-vide stick", "small_appliances", 129.00),
    ("PA-6001", "Extra virgin olive oil 1L", "pantry", 16.90),
    ("PA-6002", "Balsamic vinegar of Modena", "pantry", 12.50),
    ("PA-6003", "Carnaroli rice 1kg", "pantry", 5.90),
    ("PA-6004", "Bronze-cut spaghetti 500g", "pantry", 3.20),
    ("PA-6005", "Smoked paprika", "pantry", 4.50),
    ("PA-6006", "Saffron 1g", "pantry", 9.90),
    ("PA-6007", "Sourdough starter kit", "pantry", 14.00),
    ("RB-7001", "Recipe box classic 2 persons", "recipe_box", 39.90),
    ("RB-7002", "Recipe box veggie 2 persons", "recipe_box", 36.90),
    ("RB-7003", "Recipe box family 4 persons", "recipe_box", 64.90),
    ("GC-8001", "Gift card 50", "gift_card", 50.00),
    ("GC-8002", "Gift card 100", "gift_card", 100.00),
    ("TX-9001", "Linen apron", "textiles", 29.00),
    ("TX-9002", "Oven mitts pair", "textiles", 17.90),
    ("TX-9003", "Tea towels set of 3", "textiles", 19.90),
]

# Subscription plans: weekly EUR price; monthly = 4 boxes with a small discount.
PLANS = {"box-2p": 39.90, "box-4p": 64.90, "veggie-2p": 36.90, "veggie-4p": 59.90}

DIET_TAGS = ["vegetarian", "vegan", "pescatarian", "gluten_free", "lactose_free"]

# Search queries in the customer's language.
SEARCH_QUERIES = {
    "it": [
        "padella antiaderente",
        "coltello da cuoco",
        "macchina per la pasta",
        "moka",
        "pentola ghisa",
        "teglia pizza",
        "bilancia cucina",
        "box ricette vegetariane",
        "olio extravergine",
        "frullatore a immersione",
        "stampo torta",
        "grembiule",
    ],
    "de": [
        "pfanne beschichtet",
        "kochmesser",
        "nudelmaschine",
        "bräter gusseisen",
        "küchenwaage",
        "backform",
        "pizzastein",
        "espressomaschine",
        "schneidebrett",
        "rezeptbox vegetarisch",
        "schürze",
    ],
    "fr": [
        "poêle antiadhésive",
        "couteau de chef",
        "cocotte fonte",
        "moule à gâteau",
        "balance cuisine",
        "pierre à pizza",
        "robot pâtissier",
        "tablier",
        "box recettes végétarienne",
    ],
    "es": [
        "sartén antiadherente",
        "cuchillo de chef",
        "olla de hierro",
        "báscula cocina",
        "molde tarta",
        "piedra pizza",
        "cafetera",
        "caja recetas vegetariana",
        "delantal",
    ],
    "en": [
        "non stick pan",
        "chef knife",
        "cast iron casserole",
        "pasta machine",
        "kitchen scale",
        "pizza stone",
        "stand mixer",
        "veggie recipe box",
        "apron",
        "gift card",
    ],
}

NPS_COMMENTS = {
    "it": {
        "hi": [
            "Servizio ottimo, consegna veloce!",
            "Prodotti di qualità, consiglio.",
            "Le ricette sono fantastiche, tutta la famiglia è contenta.",
            "Personale del negozio gentilissimo.",
            "Tutto perfetto come sempre.",
        ],
        "mid": [
            "Buoni prodotti ma prezzi un po' alti.",
            "Consegna in ritardo di due giorni.",
            "Sito a volte lento.",
            "Va bene, niente di speciale.",
        ],
        "lo": [
            "Ordine arrivato incompleto e nessuno risponde.",
            "Padella rovinata dopo un mese.",
            "Rimborso ancora non ricevuto!",
            "Pessima esperienza con il servizio clienti.",
        ],
    },
    "de": {
        "hi": [
            "Super Service, schnelle Lieferung!",
            "Tolle Qualität, sehr zu empfehlen.",
            "Die Rezeptboxen sind klasse.",
            "Sehr freundliche Beratung im Laden.",
        ],
        "mid": [
            "Gute Produkte, aber etwas teuer.",
            "Lieferung kam zwei Tage zu spät.",
            "Ganz okay.",
            "Die App stürzt manchmal ab.",
        ],
        "lo": [
            "Bestellung unvollständig, keine Antwort vom Kundenservice.",
            "Pfanne nach einem Monat kaputt.",
            "Warte immer noch auf meine Erstattung!",
        ],
    },
    "fr": {
        "hi": [
            "Service impeccable, livraison rapide !",
            "Produits de grande qualité.",
            "Les box recettes sont géniales.",
            "Vendeurs très sympathiques.",
        ],
        "mid": [
            "Bons produits mais un peu chers.",
            "Livraison en retard.",
            "Correct sans plus.",
            "Le site est parfois lent.",
        ],
        "lo": [
            "Commande incomplète et aucune réponse.",
            "Poêle abîmée après un mois.",
            "Toujours pas remboursé !",
        ],
    },
    "es": {
        "hi": [
            "¡Servicio excelente y entrega rápida!",
            "Productos de muy buena calidad.",
            "Las cajas de recetas nos encantan.",
            "Personal de la tienda muy amable.",
        ],
        "mid": [
            "Buenos productos pero algo caros.",
            "La entrega llegó tarde.",
            "Está bien.",
            "La web va lenta a veces.",
        ],
        "lo": [
            "Pedido incompleto y nadie responde.",
            "La sartén se estropeó en un mes.",
            "¡Todavía espero el reembolso!",
        ],
    },
    "en": {
        "hi": [
            "Great service, fast delivery!",
            "Lovely quality, would recommend.",
            "The recipe boxes are brilliant.",
            "Very helpful staff in store.",
        ],
        "mid": [
            "Good products but a bit pricey.",
            "Delivery was two days late.",
            "It's ok.",
            "Website is slow sometimes.",
        ],
        "lo": [
            "Order arrived incomplete and nobody answers.",
            "Pan ruined after a month.",
            "Still waiting for my refund!",
        ],
    },
}

SATISFACTION_LABELS = {
    "en": {
        5: "Very satisfied",
        4: "Satisfied",
        3: "Neutral",
        2: "Dissatisfied",
        1: "Very dissatisfied",
    },
    "it": {
        5: "Molto soddisfatto",
        4: "Soddisfatto",
        3: "Né soddisfatto né insoddisfatto",
        2: "Insoddisfatto",
        1: "Molto insoddisfatto",
    },
    "de": {
        5: "Sehr zufrieden",
        4: "Zufrieden",
        3: "Neutral",
        2: "Unzufrieden",
        1: "Sehr unzufrieden",
    },
    "fr": {
        5: "Très satisfait",
        4: "Satisfait",
        3: "Neutre",
        2: "Insatisfait",
        1: "Très insatisfait",
    },
    "es": {
        5: "Muy satisfecho",
        4: "Satisfecho",
        3: "Neutral",
        2: "Insatisfecho",
        1: "Muy insatisfecho",
    },
}
SATISFACTION_FREE = {
    "en": {5: "love it", 4: "pretty good", 3: "so so", 2: "not great", 1: "terrible"},
    "it": {5: "benissimo", 4: "bene", 3: "così così", 2: "non molto", 1: "malissimo"},
    "de": {5: "super", 4: "gut", 3: "geht so", 2: "nicht so gut", 1: "schlecht"},
    "fr": {5: "génial", 4: "bien", 3: "moyen", 2: "bof", 1: "nul"},
    "es": {5: "genial", 4: "bien", 3: "regular", 2: "mal", 1: "fatal"},
}
UNMAPPABLE = {
    "en": ["it depends", "not sure", "?", "ask my wife"],
    "it": ["dipende", "boh", "non so", "?"],
    "de": ["kommt darauf an", "weiß nicht", "?"],
    "fr": ["ça dépend", "je ne sais pas", "?"],
    "es": ["depende", "no sé", "?"],
}
# Free-text diet answers that map to one vocabulary tag combination.
DIET_FREE = {
    "vegetarian": ["vegetarian", "vegetariano", "vegetarisch", "végétarien", "no meat", "veggie"],
    "vegan": ["vegan", "vegano", "végétalien", "plant based", "vegana"],
    "pescatarian": [
        "no meat, sometimes fish",
        "pescetariano",
        "only fish no meat",
        "pesco-vegetarisch",
        "pescetarien",
    ],
    "gluten_free": [
        "senza glutine",
        "glutenfrei",
        "sans gluten",
        "sin gluten",
        "celiac",
        "celiaco",
    ],
    "lactose_free": [
        "senza lattosio",
        "laktosefrei",
        "sans lactose",
        "sin lactosa",
        "lactose intolerant",
    ],
    "none": [
        "mangio di tutto",
        "I eat everything",
        "alles",
        "de tout",
        "de todo",
        "nothing",
        "nessuna",
        "keine",
    ],
}
DIET_UNMAPPABLE = [
    "I try to eat healthy",
    "mediterranea",
    "low carb when I can",
    "meno zuccheri possibile",
    "Paleo-ish",
    "kommt drauf an",
]
NUMBER_WORDS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven"],
    "it": ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette"],
    "de": ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben"],
    "fr": ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept"],
    "es": ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete"],
}
COOKING_VALUES = ["daily", "several_times_a_week", "weekly", "rarely", "never"]
COOKING_FREE = {
    "en": ["most days", "every evening", "weekends only", "when I have time"],
    "it": ["quasi ogni giorno", "tutte le sere", "solo nel weekend", "quando ho tempo"],
    "de": ["fast jeden Tag", "am Wochenende", "jeden Abend"],
    "fr": ["presque tous les jours", "le week-end", "tous les soirs"],
    "es": ["casi todos los días", "los fines de semana", "cada noche"],
}

# topic of each "open" message below, in order
SUPPORT_OPEN_TOPICS = ["delivery", "damaged_item", "subscription", "account", "product_question"]
SUPPORT_TEXT = {
    "it": {
        "open": [
            "Buongiorno, il mio ordine non è ancora arrivato.",
            "Vorrei restituire un articolo danneggiato.",
            "Come posso mettere in pausa il mio abbonamento?",
            "Non riesco ad accedere al mio account.",
            "La padella è compatibile con l'induzione?",
        ],
        "agent": [
            "Grazie per averci scritto, verifichiamo subito.",
            "Può indicarci il numero d'ordine e l'email usata?",
            "Abbiamo avviato il rimborso.",
            "Risolto, buona giornata!",
        ],
        "reply": ["Grazie mille!", "Ok, attendo notizie.", "Perfetto, grazie."],
    },
    "de": {
        "open": [
            "Hallo, meine Bestellung ist noch nicht angekommen.",
            "Ich möchte einen beschädigten Artikel zurückgeben.",
            "Wie kann ich mein Abo pausieren?",
            "Ich komme nicht in mein Konto.",
            "Ist die Pfanne induktionsgeeignet?",
        ],
        "agent": [
            "Danke für Ihre Nachricht, wir prüfen das.",
            "Können Sie uns Bestellnummer und E-Mail nennen?",
            "Die Erstattung ist veranlasst.",
            "Erledigt, schönen Tag!",
        ],
        "reply": ["Vielen Dank!", "Ok, ich warte.", "Super, danke."],
    },
    "fr": {
        "open": [
            "Bonjour, ma commande n'est toujours pas arrivée.",
            "Je voudrais retourner un article abîmé.",
            "Comment mettre mon abonnement en pause ?",
            "Je n'arrive pas à me connecter.",
            "La poêle va-t-elle sur induction ?",
        ],
        "agent": [
            "Merci pour votre message, nous vérifions.",
            "Pouvez-vous nous donner le numéro de commande et l'e-mail ?",
            "Le remboursement est lancé.",
            "C'est réglé, bonne journée !",
        ],
        "reply": ["Merci beaucoup !", "D'accord, j'attends.", "Parfait, merci."],
    },
    "es": {
        "open": [
            "Hola, mi pedido todavía no ha llegado.",
            "Quiero devolver un artículo dañado.",
            "¿Cómo pauso mi suscripción?",
            "No puedo entrar en mi cuenta.",
            "¿La sartén sirve para inducción?",
        ],
        "agent": [
            "Gracias por escribirnos, lo revisamos.",
            "¿Nos indica el número de pedido y el email?",
            "Hemos iniciado el reembolso.",
            "¡Resuelto, buen día!",
        ],
        "reply": ["¡Muchas gracias!", "Vale, espero.", "Perfecto, gracias."],
    },
    "en": {
        "open": [
            "Hi, my order still hasn't arrived.",
            "I'd like to return a damaged item.",
            "How do I pause my subscription?",
            "I can't log into my account.",
            "Does the pan work on induction?",
        ],
        "agent": [
            "Thanks for reaching out, we're looking into it.",
            "Could you share your order number and email?",
            "We've issued the refund.",
            "All sorted, have a nice day!",
        ],
        "reply": ["Thanks a lot!", "Ok, waiting to hear back.", "Perfect, thanks."],
    },
}

SOCIAL_TEXT = {
    "it": [
        "Appena provata la nuova padella di @cucinaviva 😍",
        "Box ricette di stasera: top!",
        "@cucinaviva quando arriva il mio ordine??",
        "Risotto fatto con la box #cucinaviva",
        "Negozio di Milano sempre fornitissimo",
    ],
    "de": [
        "Neue Pfanne von @cucinaviva ist der Hammer",
        "Rezeptbox heute: lecker! #cucinaviva",
        "@cucinaviva wo bleibt meine Lieferung?",
        "Tolles Messer, sehr scharf",
    ],
    "fr": [
        "Nouvelle cocotte @cucinaviva, j'adore",
        "Box recettes de ce soir : parfait !",
        "@cucinaviva ma commande est en retard...",
        "Super couteau #cucinaviva",
    ],
    "es": [
        "Nueva sartén de @cucinaviva, me encanta",
        "¡La caja de recetas de hoy, top!",
        "@cucinaviva ¿dónde está mi pedido?",
        "Cuchillo increíble #cucinaviva",
    ],
    "en": [
        "Loving my new @cucinaviva pan",
        "Tonight's recipe box was spot on #cucinaviva",
        "@cucinaviva where is my order??",
        "Best chef's knife I've owned",
    ],
}
STRANGER_WORDS = [
    "food",
    "chef",
    "kitchen",
    "cucina",
    "pasta",
    "baking",
    "gusto",
    "ricette",
    "homecook",
    "foodie",
    "dolce",
    "koch",
    "cuisine",
    "cocina",
    "sugo",
    "torta",
    "brot",
    "gateau",
    "tapas",
    "curry",
    "spice",
    "ramen",
    "vino",
    "olive",
]
BRAND_POST_COUNT = 40

UTM_SOURCES = {
    "email": [("newsletter", "email")],
    "social": [("instagram", "social"), ("facebook", "social"), ("tiktok", "social")],
    "search": [("google", "cpc"), ("bing", "cpc")],
    "display": [("criteo", "display"), ("gdn", "display")],
    "store": [("store_qr", "offline")],
}
REFERRERS = [
    "https://www.google.com/",
    "https://www.instagram.com/",
    "https://www.facebook.com/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://www.pinterest.com/",
]
