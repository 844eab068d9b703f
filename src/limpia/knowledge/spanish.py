"""Spanish text for full-text search on SQLite: the same words PostgreSQL would index.

PostgreSQL indexes with the `spanish_unaccent` configuration (see migration 0002): its parser
splits words, `unaccent` folds accents ("gestión" → "gestion", "ñ" → "n"), then the `spanish_stem`
Snowball dictionary drops stop words and stems. To give the same results on SQLite, this module
does the same in Python, for the indexed text and for the queries alike:

1. `words(text)`: runs of letters and digits, lower-cased, accents removed (NFKD, combining
   marks dropped — what `unaccent` does for Spanish text).
2. Stop words: PostgreSQL's own list (tsearch_data/spanish.stop, from the Snowball project),
   checked *after* removing accents, as PostgreSQL checks it: "de" is dropped, while "más"
   becomes "mas", which is not on the list and so is kept.
3. `stem(word)`: the Snowball Spanish stemmer (https://snowballstem.org/algorithms/spanish/),
   written out below step by step: attached pronouns, standard suffixes (R2), verb suffixes
   (RV) and the residual vowel. Words with digits are kept whole (PostgreSQL indexes numbers
   with the `simple` dictionary).

The `snowballstemmer` package is not a dependency; this is a plain transcription of the
algorithm, checked against PostgreSQL's `ts_lexize('spanish_stem', ...)` in the tests.
"""

import re
import unicodedata

_STOP_TEXT = """
    de la que el en y a los del se las por un para con no una su al lo como más pero sus le
    ya o este sí porque esta entre cuando muy sin sobre también me hasta hay donde quien
    desde todo nos durante todos uno les ni contra otros ese eso ante ellos e esto mí antes
    algunos qué unos yo otro otras otra él tanto esa estos mucho quienes nada muchos cual
    poco ella estar estas algunas algo nosotros mi mis tú te ti tu tus ellas nosotras
    vosostros vosostras os mío mía míos mías tuyo tuya tuyos tuyas suyo suya suyos suyas
    nuestro nuestra nuestros nuestras vuestro vuestra vuestros vuestras esos esas estoy
    estás está estamos estáis están esté estés estemos estéis estén estaré estarás estará
    estaremos estaréis estarán estaría estarías estaríamos estaríais estarían estaba estabas
    estábamos estabais estaban estuve estuviste estuvo estuvimos estuvisteis estuvieron
    estuviera estuvieras estuviéramos estuvierais estuvieran estuviese estuvieses
    estuviésemos estuvieseis estuviesen estando estado estada estados estadas estad he has
    ha hemos habéis han haya hayas hayamos hayáis hayan habré habrás habrá habremos habréis
    habrán habría habrías habríamos habríais habrían había habías habíamos habíais habían
    hube hubiste hubo hubimos hubisteis hubieron hubiera hubieras hubiéramos hubierais
    hubieran hubiese hubieses hubiésemos hubieseis hubiesen habiendo habido habida habidos
    habidas soy eres es somos sois son sea seas seamos seáis sean seré serás será seremos
    seréis serán sería serías seríamos seríais serían era eras éramos erais eran fui fuiste
    fue fuimos fuisteis fueron fuera fueras fuéramos fuerais fueran fuese fueses fuésemos
    fueseis fuesen sintiendo sentido sentida sentidos sentidas siente sentid tengo tienes
    tiene tenemos tenéis tienen tenga tengas tengamos tengáis tengan tendré tendrás tendrá
    tendremos tendréis tendrán tendría tendrías tendríamos tendríais tendrían tenía tenías
    teníamos teníais tenían tuve tuviste tuvo tuvimos tuvisteis tuvieron tuviera tuvieras
    tuviéramos tuvierais tuvieran tuviese tuvieses tuviésemos tuvieseis tuviesen teniendo
    tenido tenida tenidos tenidas tened
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

_WORD = re.compile(r"[^\W_]+")
VOWELS = frozenset("aeiouáéíóúü")


def unaccent(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of a text, lower-cased and without accents, stop words included."""
    return _WORD.findall(unaccent(text or "").lower())


def terms(text: str) -> list[str]:
    """The stems to index or to look for: stop words out, every other word stemmed."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS]


# ---------------------------------------------------------------- the Snowball stemmer

_PRONOUNS = (
    "selas",
    "selos",
    "sela",
    "selo",
    "las",
    "les",
    "los",
    "nos",
    "me",
    "se",
    "la",
    "le",
    "lo",
)
_PRONOUN_VERB_ENDINGS = ("iéndo", "ándo", "ár", "ér", "ír", "ando", "iendo", "ar", "er", "ir")

_STEP1 = [
    (
        "anza anzas ico ica icos icas ismo ismos able ables ible ibles ista istas oso osa osos "
        "osas amiento amientos imiento imientos",
        "plain",
    ),
    ("adora ador ación adoras adores aciones ante antes ancia ancias", "ic"),
    ("logía logías", "log"),
    ("ución uciones", "u"),
    ("encia encias", "ente"),
    ("amente", "amente"),
    ("mente", "mente"),
    ("idad idades", "idad"),
    ("iva ivo ivas ivos", "iv"),
]
_STEP1_SUFFIXES = sorted(
    ((suffix, action) for suffixes, action in _STEP1 for suffix in suffixes.split()),
    key=lambda pair: -len(pair[0]),
)
_Y_VERB_TEXT = "ya ye yan yen yeron yendo yo yó yas yes yais yamos"
_Y_VERB = sorted(_Y_VERB_TEXT.split(), key=len, reverse=True)
_VERB_GU = ("en", "es", "éis", "emos")
_VERB_TEXT = """
    arían arías arán arás aríais aría aréis aríamos aremos ará aré erían erías erán erás
    eríais ería eréis eríamos eremos erá eré irían irías irán irás iríais iría iréis iríamos
    iremos irá iré aba ada ida ía ara iera ad ed id ase iese aste iste an aban ían aran
    ieran asen iesen aron ieron ado ido ando iendo ió ar er ir as abas adas idas ías aras
    ieras ases ieses ís áis abais íais arais ierais aseis ieseis asteis isteis ados idos
    amos ábamos íamos imos áramos iéramos iésemos ásemos
"""
_VERB = sorted([*_VERB_TEXT.split(), *_VERB_GU], key=len, reverse=True)
_RESIDUAL = ("os", "a", "o", "á", "í", "ó", "e", "é")
_ACUTE = str.maketrans("áéíóú", "aeiou")


def _regions(word: str) -> tuple[int, int, int]:
    """RV, R1 and R2 as start indexes (len(word) when a region is empty)."""
    n = len(word)

    def after_next(start: int, vowel: bool) -> int | None:
        for i in range(start, n):
            if (word[i] in VOWELS) == vowel:
                return i + 1
        return None

    rv = n
    if n >= 2:
        if word[0] in VOWELS:
            found = after_next(2, True) if word[1] not in VOWELS else after_next(2, False)
        else:
            found = after_next(2, True) if word[1] not in VOWELS else (3 if n >= 3 else None)
        rv = found if found is not None else n

    def region_after(start: int) -> int:
        for i in range(start + 1, n):
            if word[i] not in VOWELS and word[i - 1] in VOWELS:
                return i + 1
        return n

    r1 = region_after(0)
    r2 = region_after(r1) if r1 < n else n
    return rv, r1, r2


def _longest(word: str, suffixes, start: int = 0) -> str | None:
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= start:
            return suffix
    return None


def _step0(word: str, rv: int) -> str:
    pronoun = next((p for p in _PRONOUNS if word.endswith(p)), None)
    if pronoun is None:
        return word
    before = word[: -len(pronoun)]
    for ending in _PRONOUN_VERB_ENDINGS:
        if before.endswith(ending) and len(before) - len(ending) >= rv:
            if ending in ("iéndo", "ándo", "ár", "ér", "ír"):
                return before[: -len(ending)] + ending.translate(_ACUTE)
            return before
    if before.endswith("yendo") and len(before) - 5 >= rv and before[:-5].endswith("u"):
        return before
    return word


def _step1(word: str, r1: int, r2: int) -> str | None:
    """The word without its standard suffix, or None when this step removes nothing."""
    found = next(((s, a) for s, a in _STEP1_SUFFIXES if word.endswith(s)), None)
    if found is None:
        return None
    suffix, action = found
    start = len(word) - len(suffix)
    if action == "amente":
        if start < r1:
            return None
        word = word[:start]
        for tail in ("iv", "os", "ic", "ad"):
            if word.endswith(tail) and len(word) - len(tail) >= r2:
                word = word[: -len(tail)]
                if tail == "iv" and word.endswith("at") and len(word) - 2 >= r2:
                    word = word[:-2]
                break
        return word
    if start < r2:
        return None
    word = word[:start]
    if action == "ic":
        if word.endswith("ic") and len(word) - 2 >= r2:
            word = word[:-2]
    elif action in ("log", "u", "ente"):
        word += action
    elif action == "mente":
        tail = _longest(word, ("ante", "able", "ible"))
        if tail and len(word) - len(tail) >= r2:
            word = word[: -len(tail)]
    elif action == "idad":
        tail = _longest(word, ("abil", "ic", "iv"))
        if tail and len(word) - len(tail) >= r2:
            word = word[: -len(tail)]
    elif action == "iv" and word.endswith("at") and len(word) - 2 >= r2:
        word = word[:-2]
    return word


def _step2(word: str, rv: int) -> str:
    suffix = _longest(word, _Y_VERB, rv)
    if suffix is not None and word[: -len(suffix)].endswith("u"):
        return word[: -len(suffix)]
    suffix = _longest(word, _VERB, rv)
    if suffix is None:
        return word
    word = word[: -len(suffix)]
    if suffix in _VERB_GU and word.endswith("gu"):
        word = word[:-1]
    return word


def _step3(word: str, rv: int) -> str:
    suffix = next((s for s in _RESIDUAL if word.endswith(s)), None)
    if suffix is None or len(word) - len(suffix) < rv:
        return word
    word = word[: -len(suffix)]
    if suffix in ("e", "é") and word.endswith("gu") and len(word) - 1 >= rv:
        word = word[:-1]
    return word


def stem(word: str) -> str:
    """The Snowball Spanish stem of one lower-case word ("residuos" → "residu")."""
    if any(c.isdigit() for c in word) or len(word) < 2:
        return word
    rv, r1, r2 = _regions(word)
    word = _step0(word, rv)
    stemmed = _step1(word, r1, r2)
    word = stemmed if stemmed is not None else _step2(word, rv)
    word = _step3(word, rv)
    return word.translate(_ACUTE)
