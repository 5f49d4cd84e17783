"""R2: pupils' names, with the false-positive heuristics tested both ways."""

import pytest

from tests.policy.helpers import draft
from trip_companion.policy import Photo, Profile, check_names

FACE_FREE = (Photo("Hands shaping clay pots on a table", False),)
FACES = (Photo("Year 4 smiling at the camera", True),)
UNCHECKED = (Photo("Year 4 on the beach", None),)


def names(caption, register, profile=None, **kwargs):
    return check_names(draft(caption, **kwargs), register, profile or Profile())


def said(findings, caption):
    return [caption[f.start : f.end] for f in findings]


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Josh Smith scored the winning goal", ["Josh Smith"]),
        ("Well done Josh a better lesson today", ["Josh"]),
        ("josh had a lovely time", ["josh"]),
        ("JOSH WAS BRILLIANT", ["JOSH"]),
        ("Amy's painting is on the wall", ["Amy's"]),
        ("Zoe made a kite", ["Zoe"]),  # Zoë on the register
        ("ZOË and the kite", ["ZOË"]),
        ("Siobhan’s model bridge", ["Siobhan’s"]),
        ("Siobhán O’Brien built a bridge", ["Siobhán O’Brien"]),
        ("Bill Brown read to Reception", ["Bill Brown"]),  # preferred name
        ("Great work #WellDoneJosh", ["Josh"]),
        ("Great work #josh_smith", ["josh_smith"]),
        ("Great work #joshsmith", ["#joshsmith"]),
        ("Great work #welldonejosh", ["#welldonejosh"]),
    ],
)
def test_names_are_blocked(caption, expected, register):
    findings = names(caption, register)
    assert said(findings, caption) == expected
    assert all(f.severity == "block" and f.rule == "R2" for f in findings)


def test_the_message_cites_the_rule_and_the_seed(register):
    [finding] = names("Josh Smith scored", register)
    assert finding.message.startswith("Pupils' names can't be used — 'Josh Smith' is in Year 4's")
    assert finding.message.endswith("(R2, Use of Twitter Policy 2018)")
    assert finding.seed == "Use of Twitter Policy 2018"
    assert finding.fix == "Year 4"


# Names that are also words: only a name-like context counts. Each pair is the
# same word once as a word (no finding) and once as a name (blocked).
@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("We will visit the castle tomorrow", []),
        ("We went to the castle with Will", ["Will"]),
        ("Will you join us at the fair?", []),  # capital only because it starts the sentence
        ("Sports day is on 21 May", []),
        ("In May we visit the farm", []),
        ("May and Josh built a den", ["May", "Josh"]),  # a list with a pupil's name
        ("Thank you May for helping", ["May"]),  # a cue
        ("Amazing Grace was sung in assembly", []),
        ("We sang with Grace in assembly", ["Grace"]),
        ("We hope you had a great day", []),
        ("Hope's drawing won the prize", ["Hope's"]),  # capitalised possessive
        ("Summer term starts on Monday", []),
        ("Come to the Summer Fair on Saturday", []),  # a capitalised phrase
        ("Year 4 and Summer made a den", ["Summer"]),
        ("A rose grew in the garden", []),
        ("Rose Evans planted a rose", ["Rose Evans"]),
        ("Mark your calendars for the concert", []),
        ("Well done Mark", ["Mark"]),
        ("The bill for the trip is due", []),
        ("Well Done Year 4 At The Summer Fair", []),  # Headline Style
    ],
)
def test_names_that_are_words_need_a_name_like_context(caption, expected, register):
    assert said(names(caption, register), caption) == expected


@pytest.mark.parametrize(
    "caption",
    [
        "Mass at St Mark's Church",
        "A visit to St Joseph's Primary",  # Joseph is on the register
        "Netball against Grace Academy",
        "Mrs Smith led the walk",  # a member of staff
        "Dr Evans visited Year 6",
        "don't forget the PE kits, Year 4",  # Peter Evans's initials are PE
    ],
)
def test_places_adults_and_acronyms_are_not_pupils(caption, register):
    assert names(caption, register) == []


def test_a_surname_alone_warns_rather_than_blocks(register):
    [finding] = names("Thanks to the Smith family for the cakes", register)
    assert finding.severity == "warn" and "surname of 2 pupils in Year 4" in finding.message
    assert names("thanks to the smith for the horseshoes", register) == []


def test_john_smith_becomes_js_where_initials_are_allowed_and_no_face_shows(register):
    initials = Profile(names_mode="initials")
    [finding] = names("John Smith made a clay pot", register, initials, photos=FACE_FREE)
    assert finding.fix == "JS" and "'JS'" in finding.message
    assert names("JS made a clay pot", register, initials, photos=FACE_FREE) == []


@pytest.mark.parametrize("photos", [FACES, UNCHECKED])
def test_no_initials_when_a_photo_shows_or_may_show_faces(photos, register):
    initials = Profile(names_mode="initials")
    [finding] = names("John Smith made a clay pot", register, initials, photos=photos)
    assert finding.fix == "Year 4" and "may show faces" in finding.message
    [warning] = names("JS made a clay pot", register, initials, photos=photos)
    assert warning.severity == "warn"


def test_the_strictest_profile_never_suggests_initials(register):
    [finding] = names("John Smith made a clay pot", register, photos=FACE_FREE)
    assert finding.fix == "Year 4"
    [warning] = names("J.S. made a clay pot", register, photos=FACE_FREE)
    assert warning.severity == "warn" and "initials" in warning.message


CONSENT = Profile(names_mode="first_names_with_consent")


def test_first_names_with_recorded_consent_pass_where_the_profile_allows(register):
    [info] = names("Amy built a den", register, CONSENT)
    assert info.severity == "info" and "(R2, Twitter / Facebook Policy 2017)" in info.message
    [block] = names("Josh built a den", register, CONSENT)
    assert block.severity == "block" and "no recorded name consent" in block.message
    [surname] = names("Amy Brown built a den", register, CONSENT)
    assert surname.severity == "block" and surname.fix == "Amy"


def test_consented_name_with_a_face_and_no_photo_consent_warns_r4(register):
    findings = names("Amy built a den", register, CONSENT, photos=FACES)
    assert [(f.rule, f.severity) for f in findings] == [("R2", "info"), ("R4", "warn")]


def test_a_shared_first_name_with_partial_consent_warns():
    from trip_companion.policy import Pupil

    twins = [Pupil("Amy", "Brown", name_consent=True), Pupil("Amy", "Green")]
    [finding] = names("Amy built a den", twins, CONSENT)
    assert finding.severity == "warn" and "only 1 has name consent" in finding.message


def test_alt_text_is_checked_too_with_its_own_field(register):
    photos = (Photo("Josh Smith holding a kite", False),)
    [finding] = check_names(draft("A windy day", photos=photos), register, Profile())
    assert finding.field == "alt:0" and (finding.start, finding.end) == (0, 10)


def test_vocabulary_places_need_a_strong_context():
    from trip_companion.policy import Pupil

    chester = [Pupil("Chester", "Wood", class_name="Year 2")]
    places = Profile(vocabulary=frozenset({"Chester"}))
    assert names("Our trip to Chester was fun", chester, places) == []
    assert len(names("Our trip to Chester was fun", chester)) == 1
    assert len(names("Well done Chester", chester, places)) == 1
